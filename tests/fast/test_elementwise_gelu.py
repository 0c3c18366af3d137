"""gelu in the fast activations (``minattn.fast.elementwise``): the readable gelu's numbers, and a
derivative that needs the input (``activate_keeping`` / ``kept_vjp``)."""
import numpy as np
import pytest
from autograd import elementwise_grad

from minattn import activations as act
from minattn.fast.elementwise import activate_keeping, kept_vjp, supports_keeping

X = np.linspace(-6.0, 6.0, 41) + 0.013          # off 0, where nothing is special anyway


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gelu_values_are_the_readable_ones(dtype):
    x = X.astype(dtype)
    y, _ = activate_keeping(act.gelu, x)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, act.gelu(x))


def test_gelu_derivative_from_what_the_forward_kept():
    y, kept = activate_keeping(act.gelu, X)
    g = np.cos(X)
    np.testing.assert_allclose(kept_vjp(act.gelu, kept, g), g * elementwise_grad(act.gelu)(X), rtol=1e-13,
                               atol=1e-15)
    eps = 1e-6
    numeric = (act.gelu(X + eps) - act.gelu(X - eps)) / (2 * eps)
    np.testing.assert_allclose(kept_vjp(act.gelu, kept, np.ones_like(X)), numeric, rtol=1e-7, atol=1e-9)


def test_the_other_activations_keep_their_output():
    y, kept = activate_keeping(act.tanh, X)
    assert kept is y
    np.testing.assert_allclose(kept_vjp(act.tanh, kept, np.ones_like(X)), 1 - np.tanh(X) ** 2)
    assert supports_keeping(act.gelu) and supports_keeping(act.softmax) and not supports_keeping(act.hard_swish)
