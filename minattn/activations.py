"""Activation functions, each a few lines of ``autograd.numpy``.

Every function maps an array to an array of the same shape, is written so it
never overflows (no warning, finite gradient even at |x| = 1e4), and gets its
gradient from autograd (tanh's from its output; see ``tanh``). ``get(name)``
turns the Keras names into functions.
"""
import math

import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive


def linear(x):
    """Identity: ``f(x) = x``."""
    return x


@primitive
def tanh(x):
    """Hyperbolic tangent ``(e^x - e^-x) / (e^x + e^-x)``.

    Its derivative is taken from the output, ``1 - tanh(x)^2``: autograd's
    own rule ``1 / cosh(x)^2`` overflows, with a warning, for |x| beyond
    about 89 (float32) or 710 (float64).
    """
    return np.tanh(x)


defvjp(tanh, lambda ans, x: lambda g: g * (1.0 - ans * ans))


def sigmoid(x):
    """Logistic sigmoid ``1 / (1 + exp(-x))``.

    Computed as ``0.5 * (tanh(x / 2) + 1)``, the same function, because tanh
    never overflows: ``exp(-x)`` would for x = -1e4.
    """
    return 0.5 * (tanh(0.5 * x) + 1.0)


def relu(x):
    """Rectified linear unit ``max(x, 0)``, with gradient 0 at exactly 0.

    The factor ``(x != 0)`` is 1 everywhere but at 0, where the value is 0
    anyway: it only sets the gradient there to 0, as Keras (TensorFlow,
    JAX), PyTorch and the fast kernels have it. autograd's ``maximum`` alone
    would split the tie and give 1/2 -- which matters where inputs are
    exactly 0 (padding, dropped units) and a bias is still 0.
    """
    return anp.maximum(x, 0.0) * (x != 0)


def relu6(x):
    """ReLU capped at 6: ``min(max(x, 0), 6)`` (MobileNet)."""
    return anp.clip(x, 0.0, 6.0)


def softmax(x, axis=-1):
    """Softmax along ``axis``: ``exp(x_i) / sum_j exp(x_j)``.

    The maximum is subtracted first (softmax is unchanged by a shift), so
    ``exp`` only ever sees numbers <= 0 and cannot overflow.
    """
    shifted = x - anp.max(x, axis=axis, keepdims=True)
    exps = anp.exp(shifted)
    return exps / anp.sum(exps, axis=axis, keepdims=True)


def hard_sigmoid(x):
    """Piecewise-linear sigmoid, Keras 3 form: ``clip(x / 6 + 0.5, 0, 1)``."""
    return anp.clip(x / 6.0 + 0.5, 0.0, 1.0)


def legacy_hard_sigmoid(x):
    """Keras 2's hard sigmoid: ``clip(0.2 x + 0.5, 0, 1)``.

    This was the default ``recurrent_activation`` of Keras 2's LSTM.
    """
    return anp.clip(0.2 * x + 0.5, 0.0, 1.0)


def hard_swish(x):
    """MobileNetV3's hard swish: ``x * relu6(x + 3) / 6 = x * hard_sigmoid(x)``."""
    return x * hard_sigmoid(x)


_ERF_EACH = np.frompyfunc(math.erf, 1, 1)       # the C library's erf, one element at a time


@primitive
def erf(x):
    """The error function ``erf(x) = 2 / sqrt(pi) * integral_0^x exp(-t^2) dt``.

    Its values come from Python's ``math.erf`` (correct to the last bit or
    so of float64; no SciPy needed), applied element by element, which is
    about 100 times slower than ``np.tanh``. Its derivative is exact:
    ``erf'(x) = 2 / sqrt(pi) * exp(-x^2)``.
    """
    values = _ERF_EACH(x)
    dtype = np.result_type(x, np.float32)          # float32 in, float32 out; ints -> float64
    return np.asarray(values, dtype=np.float64).astype(dtype)


defvjp(erf, lambda ans, x: lambda g: g * (2.0 / math.sqrt(math.pi)) * np.exp(-np.square(x)))


def gelu(x):
    """Gaussian error linear unit (Hendrycks & Gimpel 2016), Keras's exact form:

        gelu(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))

    where Phi is the standard normal CDF. Keras's ``approximate=True`` tanh
    form is not provided.
    """
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


_BY_NAME = {
    "linear": linear,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "relu6": relu6,
    "softmax": softmax,
    "hard_sigmoid": hard_sigmoid,
    "legacy_hard_sigmoid": legacy_hard_sigmoid,
    "hard_swish": hard_swish,
    "gelu": gelu,
}


def get(activation, where="activation"):
    """Return the activation function for a name, a callable, or None (linear).

    Args:
        activation: a name such as "relu", a function, or None.
        where: who asks (e.g. the layer's name), used in the error message.
    """
    if activation is None:
        return linear
    if callable(activation):
        return activation
    if isinstance(activation, str) and activation in _BY_NAME:
        return _BY_NAME[activation]
    raise ValueError(f"{where}: unknown activation {activation!r}; "
                     f"expected one of {sorted(_BY_NAME)} or a function")


def name_of(fn):
    """The name ``get`` knows a function by (for summaries and errors)."""
    for name, known in _BY_NAME.items():
        if known is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


def all_activations():
    """Every named activation, as a dict name -> function (used by the tests)."""
    return dict(_BY_NAME)
