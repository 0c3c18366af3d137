"""Tests of the gradient checker itself: it passes right gradients and catches wrong ones."""
import re

import autograd.numpy as anp
import numpy as np
import pytest

import minattn
from autograd.extend import defvjp, primitive

from minattn import gradcheck
from minattn.gradcheck import GradientCheckError, check_grads, check_layer, relative_error
from minattn.layers import Concatenate, Dense, Dropout, Layer, Multiply


# ---------------------------------------------------------------------------
# Primitives whose VJP is deliberately wrong
# ---------------------------------------------------------------------------
@primitive
def doubled_vjp_square(x):
    """x^2, but its VJP says 4x instead of 2x."""
    return x ** 2


defvjp(doubled_vjp_square, lambda ans, x: lambda g: g * 4.0 * x)

WRONG_AT = (1, 2)


@primitive
def one_wrong_element(x):
    """sin(x), with a VJP that is right everywhere except at index ``WRONG_AT``."""
    return np.sin(x)


def _one_wrong_vjp(ans, x):
    def vjp(g):
        right = g * np.cos(x)
        wrong = np.zeros_like(right)
        wrong[WRONG_AT] = 0.5           # off by 0.5 at one element only
        return right + wrong
    return vjp


defvjp(one_wrong_element, _one_wrong_vjp)


# ---------------------------------------------------------------------------
# check_grads
# ---------------------------------------------------------------------------
def test_passes_on_a_right_gradient_of_a_dict_pytree():
    rng = np.random.default_rng(0)
    params = {"a": rng.standard_normal((2, 3)), "nested": {"b": rng.standard_normal(4)},
              "c": [rng.standard_normal(2), rng.standard_normal((1, 2))]}

    def f(p):
        return (anp.sum(anp.sin(p["a"])) + anp.sum(anp.sin(p["nested"]["b"]) ** 2)
                + anp.sum(p["c"][0] * p["c"][1]))

    report = check_grads(f, params)
    assert set(report) == {"a", "nested/b", "c[0]", "c[1]"}
    assert all(0.0 <= err < 1e-7 for err in report.values()), report


def test_leaves_the_callers_params_untouched():
    params = {"w": np.array([0.3, -1.2, 2.0], dtype=np.float32)}
    before = params["w"].copy()
    check_grads(lambda p: anp.sum(anp.sin(p["w"])), params)
    np.testing.assert_array_equal(params["w"], before)
    assert params["w"].dtype == np.float32


def test_runs_in_float64_even_for_float32_params():
    seen = []

    def f(p):
        seen.append(np.asarray(getattr(p["w"], "_value", p["w"])).dtype)
        return anp.sum(anp.sin(p["w"]))

    check_grads(f, {"w": np.ones(3, dtype=np.float32)})
    assert seen and all(d == np.float64 for d in seen)


def test_raises_on_a_wrong_vjp():
    with pytest.raises(GradientCheckError, match=r"'x'\[0\] is wrong"):
        check_grads(lambda p: anp.sum(doubled_vjp_square(p["x"])), {"x": np.array([0.7, -0.3])})


@primitive
def nan_vjp_square(x):
    """x^2, but its VJP gives NaN: a comparison like ``error > tol`` is False for NaN."""
    return x ** 2


defvjp(nan_vjp_square, lambda ans, x: lambda g: g * np.nan)


def test_raises_on_a_nan_gradient():
    with pytest.raises(GradientCheckError, match=r"'x'\[0\] is wrong.*nan"):
        check_grads(lambda p: anp.sum(nan_vjp_square(p["x"])), {"x": np.array([0.7, -0.3])})


def test_wrong_vjp_is_caught_even_inside_a_correct_computation():
    def f(p):
        return anp.sum(anp.tanh(p["kernel"]) * 3.0) + anp.sum(doubled_vjp_square(p["bias"]))

    with pytest.raises(GradientCheckError, match=r"'bias'"):
        check_grads(f, {"kernel": np.ones((2, 2)), "bias": np.array([0.5, 1.5])})


def test_error_names_the_exact_weight_and_index():
    """A gradient wrong in one element only: the message points at that element."""
    x = np.random.default_rng(1).standard_normal((3, 4))
    params = {"params": {"bias": np.zeros(2), "kernel": x}}

    def f(p):
        return anp.sum(one_wrong_element(p["params"]["kernel"])) + anp.sum(p["params"]["bias"] ** 2)

    with pytest.raises(GradientCheckError) as info:
        check_grads(f, params)
    message = str(info.value)
    assert "'params/kernel'[1, 2]" in message, message
    # both values are in the message: autograd's (cos + 0.5) and the finite difference (cos)
    numbers = [float(v) for v in re.findall(r"autograd gives (\S+), finite differences (\S+?) ", message)[0]]
    np.testing.assert_allclose(numbers, [np.cos(x[1, 2]) + 0.5, np.cos(x[1, 2])], rtol=1e-6)


def test_wrong_element_outside_a_random_subset_is_not_seen_but_inside_it_is():
    """max_elements checks a subset: the report covers only the chosen elements."""
    x = np.random.default_rng(2).standard_normal((3, 4))
    f = lambda p: anp.sum(one_wrong_element(p["w"]))      # noqa: E731
    chosen = gradcheck._indices((3, 4), 5, seed=0)
    assert len(chosen) == 5 and len(set(chosen)) == 5
    seed_without = next(s for s in range(100) if WRONG_AT not in gradcheck._indices((3, 4), 5, s))
    seed_with = next(s for s in range(100) if WRONG_AT in gradcheck._indices((3, 4), 5, s))
    assert check_grads(f, {"w": x}, max_elements=5, seed=seed_without)["w"] < 1e-7
    with pytest.raises(GradientCheckError, match=r"'w'\[1, 2\]"):
        check_grads(f, {"w": x}, max_elements=5, seed=seed_with)


def test_max_elements_evaluates_only_that_many_elements():
    calls = []

    def f(p):
        calls.append(1)
        return anp.sum(anp.sin(p["w"]))

    check_grads(f, {"w": np.ones((10, 10))}, max_elements=7)
    assert len(calls) == 1 + 2 * 7            # one autograd pass, two evaluations per element


def test_tolerance_is_respected():
    """An error of ~1e-3 passes with tol 1e-2 and fails with tol 1e-5."""
    @primitive
    def slightly_off(x):
        return x ** 2

    defvjp(slightly_off, lambda ans, x: lambda g: g * 2.0 * x * (1.0 + 1e-3))
    f = lambda p: anp.sum(slightly_off(p["x"]))           # noqa: E731
    params = {"x": np.array([1.0, 2.0])}
    assert 5e-4 < check_grads(f, params, tol=1e-2)["x"] < 2e-3
    with pytest.raises(GradientCheckError):
        check_grads(f, params, tol=1e-5)


# ---------------------------------------------------------------------------
# relative_error
# ---------------------------------------------------------------------------
def test_relative_error_is_relative_for_large_values():
    assert relative_error(1.0, 1.0) == 0.0
    assert relative_error(100.0, 101.0) == pytest.approx(1.0 / 101.0)
    assert relative_error(-2.0, 2.0) == pytest.approx(2.0)
    assert relative_error(1e6, 1e6 * (1 + 1e-9)) == pytest.approx(1e-9, rel=1e-3)


def test_relative_error_is_absolute_near_zero():
    floor = 1e-3
    assert relative_error(0.0, 0.0) == 0.0                       # no 0/0
    # both tiny: divided by the floor, not by the tiny values
    assert relative_error(0.0, 1e-12) == pytest.approx(1e-12 / floor)
    assert relative_error(1e-12, 2e-12) == pytest.approx(1e-12 / floor)
    assert relative_error(1e-12, 2e-12) < 1e-5                   # rounding noise passes
    # a real error near zero is still large
    assert relative_error(0.0, 1e-4) == pytest.approx(0.1)
    assert relative_error(0.0, 1e-4, floor=1e-6) == pytest.approx(1.0)


def test_relative_error_works_elementwise():
    err = relative_error(np.array([1.0, 0.0, 3.0]), np.array([1.0, 0.0, 4.0]))
    np.testing.assert_allclose(err, [0.0, 0.0, 0.25])


def test_tiny_correct_gradient_passes():
    """tanh at -8 has derivative ~4.5e-7: rounding noise in the finite difference must not fail it."""
    check_grads(lambda p: 5.0 * anp.sum(anp.tanh(p["x"])) + 10.0, {"x": np.array([-8.0, 8.5, 0.3])})


# ---------------------------------------------------------------------------
# check_layer
# ---------------------------------------------------------------------------
class _WrongDense(Dense):
    """A Dense layer with ``bias ** 2`` whose bias gradient is doubled."""

    def apply(self, params, x):
        return anp.dot(x, params["kernel"]) + doubled_vjp_square(params["bias"])


def test_check_layer_passes_a_dense_layer_and_reports_every_array():
    report = check_layer(Dense(3), np.random.default_rng(0).standard_normal((2, 4)))
    assert set(report) == {"params/kernel", "params/bias", "inputs"}
    assert all(err < 1e-6 for err in report.values())


def test_check_layer_catches_a_wrong_layer_and_names_the_weight():
    layer = _WrongDense(3)
    layer.build((4,))
    layer.params["bias"] = np.array([0.5, -1.0, 2.0])      # non-zero: at 0 both gradients are 0
    with pytest.raises(GradientCheckError, match=r"'params/bias'\[0\]"):
        check_layer(layer, np.random.default_rng(0).standard_normal((2, 4)))


def test_check_layer_catches_a_wrong_input_gradient():
    class WrongInput(Layer):
        def apply(self, params, x):
            return one_wrong_element(x)

    with pytest.raises(GradientCheckError, match=r"'inputs'\[1, 2\]"):
        check_layer(WrongInput(), np.random.default_rng(0).standard_normal((2, 3)))


def test_check_layer_with_several_inputs():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    report = check_layer(Multiply(), [a, b])
    assert set(report) == {"inputs[0]", "inputs[1]"}

    report = check_layer(Concatenate(axis=1), [rng.standard_normal((2, 2)), rng.standard_normal((2, 3)),
                                               rng.standard_normal((2, 1))])
    assert set(report) == {"inputs[0]", "inputs[1]", "inputs[2]"}


def test_check_layer_names_which_of_several_inputs_is_wrong():
    class WrongSecond(Layer):
        def init(self, rng, input_shape):
            return input_shape[0], {}

        def apply(self, params, xs):
            a, b = xs                       # a real list, so unpacking works
            return a * 2.0 + one_wrong_element(b)

    rng = np.random.default_rng(4)
    with pytest.raises(GradientCheckError, match=r"'inputs\[1\]'\[1, 2\]"):
        check_layer(WrongSecond(), [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))])


def test_check_layer_max_elements_checks_a_subset():
    layer = Dense(6)
    x = np.random.default_rng(5).standard_normal((3, 8))
    evaluations = []
    original = layer.apply

    def counting_apply(params, inputs):
        evaluations.append(1)
        return original(params, inputs)

    layer.apply = counting_apply
    with minattn.readable():                    # check_layer runs layer.forward: apply itself
        report = check_layer(layer, x, max_elements=4)
    assert set(report) == {"params/kernel", "params/bias", "inputs"}
    # first forward pass + autograd pass + 2 evaluations for 4 elements of each of 3 arrays
    assert len(evaluations) == 2 + 2 * 4 * 3


def test_check_layer_wrt_weights_only():
    report = check_layer(Dense(2), np.ones((2, 3)), wrt_inputs=False)
    assert set(report) == {"params/kernel", "params/bias"}


def test_check_layer_builds_in_float64_and_restores_floatx():
    from minattn import config
    before = config.floatx()
    layer = Dense(2)
    check_layer(layer, np.ones((2, 3)))
    assert layer.params["kernel"].dtype == np.float64
    assert config.floatx() == before


def test_check_layer_dropout_in_training_sees_one_mask():
    """Dropout draws a mask per call: every evaluation must get the same one."""
    x = np.random.default_rng(6).standard_normal((3, 5))
    report = check_layer(Dropout(0.5), x, training=True, rng=11)
    assert report["inputs"] < 1e-7
    # a Generator works too, and the caller's generator is not consumed
    gen = np.random.default_rng(11)
    state = gen.bit_generator.state
    check_layer(Dropout(0.5), x, training=True, rng=gen)
    assert gen.bit_generator.state == state


def test_dropout_gradient_is_the_mask():
    """Through dropout the gradient is keep / (1 - rate): zero where dropped."""
    from autograd import grad
    x = np.random.default_rng(7).standard_normal((4, 6))
    layer = Dropout(0.25)
    g = grad(lambda v: anp.sum(layer.apply({}, v, training=True, rng=np.random.default_rng(3))))(x)
    kept = layer.apply({}, np.ones_like(x), training=True, rng=np.random.default_rng(3)) != 0
    assert kept.any() and not kept.all()
    np.testing.assert_allclose(g, kept / 0.75)
