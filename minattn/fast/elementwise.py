"""The activations as the fast kernels see them: plain NumPy forward, derivative from the output.

Inside a fast kernel nothing is recorded by autograd, so the activations run
as plain NumPy (calling the autograd-wrapped ``minattn.activations`` there
would only add overhead), and every hand-written backward pass takes the
activation's derivative from its OUTPUT ``y`` (sigmoid' = y (1 - y)), so
nothing is recomputed.

gelu is the exception: its derivative is not a function of its output, so it
lives in a second table, ``FROM_INPUT``, whose forward also returns what the
derivative needs (``activate_keeping`` / ``kept_vjp`` serve both tables).
"""
import functools
import math

import numpy as np

from .. import activations as act


def np_sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


ELEMENTWISE = {
    act.linear: (lambda x: x, lambda y: 1.0),
    act.sigmoid: (np_sigmoid, lambda y: y * (1.0 - y)),
    act.tanh: (np.tanh, lambda y: 1.0 - y * y),
    act.relu: (lambda x: np.maximum(x, 0.0), lambda y: (y > 0).astype(y.dtype)),
    act.relu6: (lambda x: np.clip(x, 0.0, 6.0), lambda y: ((y > 0) & (y < 6)).astype(y.dtype)),
    act.hard_sigmoid: (lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
                       lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6.0),
    act.legacy_hard_sigmoid: (lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),
                              lambda y: ((y > 0) & (y < 1)).astype(y.dtype) * 0.2),
}


# -- gelu: its derivative needs the input, not the output ------------------------------------
def gelu_keeping(x):
    """``(gelu(x), (x, Phi(x)))`` with ``Phi(x) = (1 + erf(x / sqrt 2)) / 2``, the normal CDF:
    the same operations as ``activations.gelu``, so the same numbers."""
    cdf = 0.5 * (1.0 + act.erf(x * (1.0 / math.sqrt(2.0))))
    return x * cdf, (x, cdf)


def gelu_derivative(kept):
    """``gelu'(x) = Phi(x) + x phi(x)``, ``phi(x) = exp(-x^2 / 2) / sqrt(2 pi)`` (the normal density)."""
    x, cdf = kept
    return cdf + x * np.exp(-0.5 * x * x) * (1.0 / math.sqrt(2.0 * math.pi))


# activation -> (x -> (y, kept), kept -> d y / d x)
FROM_INPUT = {act.gelu: (gelu_keeping, gelu_derivative)}


def activate_keeping(fn, x):
    """``(activation(x), kept)``: kept is what ``kept_vjp`` needs -- the output itself, but for
    the activations of ``FROM_INPUT`` (gelu)."""
    if fn in FROM_INPUT:
        return FROM_INPUT[fn][0](x)
    y = activate(fn, x)
    return y, y


def kept_vjp(fn, kept, g):
    """Gradient wrt the pre-activation from ``activate_keeping``'s ``kept`` and g = d loss / d y."""
    if fn in FROM_INPUT:
        return g * FROM_INPUT[fn][1](kept)
    return activation_vjp(fn, kept, g)


def supports_keeping(fn):
    """Whether ``activate_keeping`` runs ``fn``: the elementwise table, softmax, or gelu."""
    return fn in ELEMENTWISE or fn in FROM_INPUT or fn is act.softmax


def supports(*activation_fns):
    """True when every activation is one the fused ops can run and differentiate."""
    for fn in activation_fns:                  # (a loop, not all(...): this runs on every forward pass)
        if fn not in ELEMENTWISE:
            return False
    return True


def activate(fn, x):
    """The activation in plain NumPy (softmax over the last axis included)."""
    if fn is act.softmax:
        return np_softmax(x, -1)
    return ELEMENTWISE[fn][0](x)


def derivative(fn, y):
    """d activation / d x at the output y."""
    return ELEMENTWISE[fn][1](y)


def activation_vjp(fn, y, g):
    """Gradient wrt the pre-activation, given the output y and the gradient g wrt y."""
    if fn is act.softmax:                      # Jacobian of softmax over the last axis: y (g - sum g y)
        dz = g - sum_along(g * y, -1)
        dz *= y
        return dz
    return g * derivative(fn, y)


# -- softmax, and the two reductions along its axis ----------------------------------------
SHORT_AXIS = 32         # up to this many entries, the reductions below avoid NumPy's row loop
SAFE_SPREAD = 30.0      # exp(-30) ~ 1e-13: far from underflow in float32 as in float64


def np_softmax(x, axis):
    """``exp(x - shift) / sum exp(x - shift)`` along ``axis``; the shift is any number that keeps
    exp from overflowing and each row's largest term from underflowing (``softmax_shift``)."""
    exps = np.exp(x - softmax_shift(x, axis))
    return exps / sum_along(exps, axis)


def softmax_shift(x, axis):
    """What softmax subtracts before exp: the whole array's max when every row's max is within
    ``SAFE_SPREAD`` of it, else each row's max.

    Softmax is the same for any shift of a row, so the readable ``x - max(x, axis)`` and this
    agree to float rounding. The whole array's max and min are two quick reductions; a max
    along a short axis is slow in NumPy (``max_along``), and it is needed only when the values
    spread so far that a row could underflow to all zeros (or contain inf or nan).
    """
    if x.size:
        top, bottom = np.max(x), np.min(x)
        if top - bottom <= SAFE_SPREAD:           # False for inf or nan too
            return top
    return max_along(x, axis)


def sum_along(x, axis):
    """``np.sum(x, axis, keepdims=True)``; on a short last axis as a product with a vector of
    ones (one BLAS call, where NumPy sums 320 rows of 10 one row at a time: 6.6 us vs 1.3 us)."""
    if not _short_last_axis(x, axis):
        return np.sum(x, axis=axis, keepdims=True)
    size = x.shape[-1]
    return x.reshape(-1, size).dot(_ones(size, x.dtype)).reshape(x.shape[:-1] + (1,))


def sum_last(x):
    """``np.sum(x, -1, keepdims=True)`` of a float array as a product with a vector of ones, at any
    length of the last axis: one BLAS call where NumPy sums row by row (for 131 072 rows of 64,
    0.05 ms against 0.4). The sum's order is BLAS's, so it differs from NumPy's in rounding."""
    size = x.shape[-1]
    return x.reshape(-1, size).dot(_ones(size, x.dtype)).reshape(x.shape[:-1] + (1,))


def _short_last_axis(x, axis):
    """Whether ``axis`` is x's last, holds 1 to ``SHORT_AXIS`` entries, and x is a float array
    with some entries: where the column-wise reductions here beat NumPy's own."""
    return (axis in (-1, x.ndim - 1) and 0 < x.shape[axis] <= SHORT_AXIS and x.dtype.kind == "f"
            and x.size > 0)


@functools.lru_cache(maxsize=64)
def _ones(size, dtype):
    ones = np.ones(size, dtype)
    ones.flags.writeable = False
    return ones


def max_along(x, axis):
    """``np.max(x, axis, keepdims=True)``, the same numbers, faster on a short last axis.

    NumPy reduces a short contiguous axis one row at a time (about 50 ns a row:
    18 us for E2's 320 rows of 10), while ``np.maximum`` of two whole columns
    runs vectorised; so for a last axis of at most ``SHORT_AXIS`` entries the
    maximum is taken column by column (max is exact: the result is identical).
    """
    if not _short_last_axis(x, axis):
        return np.max(x, axis=axis, keepdims=True)
    size = x.shape[-1]
    out = x[..., :1].copy()
    for j in range(1, size):
        np.maximum(out, x[..., j:j + 1], out=out)
    return out


def any_nonzero(array):
    """Whether any element is non-zero, in one pass: the largest bit pattern, read as
    unsigned integers of the same size, is 0 only if every element is 0.0 (-0.0 counts as
    non-zero, which costs nothing but a wasted addition)."""
    return array.size > 0 and array.view(f"u{array.itemsize}").max() != 0
