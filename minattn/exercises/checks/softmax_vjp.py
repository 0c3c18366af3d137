"""Grading of softmax_vjp: softmax over the last axis as an autograd primitive with its own VJP.

Reference: ``minattn.activations.softmax``. Because the student's softmax
is a primitive, autograd cannot trace through its operations: the gradient
check below exercises exactly the VJP registered with ``defvjp``.
"""
from functools import partial

import numpy as np

from .. import compare
from ... import activations

SUMMARY = "softmax over the last axis as an autograd primitive, with its VJP registered by defvjp"
FUNCTIONS = ("softmax",)
SHAPES = ((1, 5), (3, 4), (2, 3, 6))           # a batch of 1, a matrix, and a 3-D array
SUM_HINT = "Subtract the max and divide by the sum over the last axis (axis=-1, keepdims=True)."
VJP_HINT = ("The VJP you registered with defvjp is wrong. It must return x_bar with "
            "x_bar_i = sum_j g_j dy_j/dx_i, where dy_j/dx_i = y_j (delta_ij - y_i) and j runs over the last axis only.")


def checks(module):
    softmax = module.softmax
    return [("softmax is an autograd primitive with a VJP registered by defvjp", partial(check_primitive, softmax))] + [
        (f"values match minattn's softmax, shape {shape}", partial(check_values, softmax, shape))
        for shape in SHAPES] + [
        ("large logits (about +-1000) give finite values, in float64", partial(check_large_logits, softmax, np.float64)),
        ("the same in float32 (exp overflows beyond 88 there)", partial(check_large_logits, softmax, np.float32))] + [
        (f"your VJP agrees with finite differences, shape {shape}", partial(check_vjp, softmax, shape))
        for shape in SHAPES]


def check_primitive(softmax):
    facts = softmax.probe()
    if not facts["primitive"]:
        raise compare.CheckFailure(
            "softmax is not an autograd primitive, so autograd would trace through its operations and never "
            "use your VJP. Decorate it: from autograd.extend import primitive, then @primitive above def softmax.")
    if not facts["vjp"]:
        raise compare.CheckFailure("no VJP is registered for softmax. After defining it, call "
                                   "defvjp(softmax, softmax_vjp) (from autograd.extend import defvjp).")


def check_values(softmax, shape, seed=0):
    logits = 3.0 * np.random.default_rng(seed).standard_normal(shape)
    _expect_softmax(softmax, logits)


def check_large_logits(softmax, dtype):
    """Logits around +1000 and -1000: exp overflows (beyond 709 in float64, 88 in float32) or underflows."""
    logits = 1000.0 + np.random.default_rng(1).standard_normal((3, 5))
    logits[1] -= 2000.0                                          # a row around -1000 too
    logits = logits.astype(dtype)
    weights = compare.call(softmax, logits)
    compare.expect_finite(weights, f"softmax of {np.dtype(dtype).name} logits around 1000",
                          "exp(1000) overflows to inf (and exp(-1000) underflows to 0, giving 0/0). "
                          "Subtract each row's max before exp: softmax is unchanged by a shift.")
    _expect_softmax(softmax, logits, **(compare.FLOAT32 if dtype == np.float32 else {}))


def check_vjp(softmax, shape):
    check_primitive(softmax)                  # otherwise autograd traces through softmax and never calls the VJP
    logits = 2.0 * np.random.default_rng(2).standard_normal(shape)
    compare.expect_gradients(softmax, {"x": logits}, "softmax", VJP_HINT)


def _expect_softmax(softmax, logits, rtol=compare.RTOL, atol=compare.ATOL):
    weights = compare.call(softmax, logits)
    compare.expect_shape(weights, logits.shape, "softmax's output", "the shape of x")
    compare.expect_finite(weights, "softmax", "Subtract each row's max before exp.")
    compare.expect_rows_sum_to_one(weights, "softmax", SUM_HINT)
    compare.expect_close(weights, activations.softmax(logits.astype(np.float64)), "softmax", rtol=rtol, atol=atol)
