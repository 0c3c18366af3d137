"""The activations as the fast kernels see them: plain NumPy forward, derivative from the output.

Inside a fast kernel nothing is recorded by autograd, so the activations run
as plain NumPy (calling the autograd-wrapped ``minattn.activations`` there
would only add overhead), and every hand-written backward pass takes the
activation's derivative from its OUTPUT ``y`` (sigmoid' = y (1 - y)), so
nothing is recomputed.
"""
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
    if fn is act.softmax:                      # Jacobian of softmax over the last axis
        return y * (g - np.sum(g * y, axis=-1, keepdims=True))
    return g * derivative(fn, y)


def np_softmax(x, axis):
    exps = np.exp(x - max_along(x, axis))
    return exps / np.sum(exps, axis=axis, keepdims=True)


SHORT_AXIS = 32         # up to this many entries, max_along compares column by column


def max_along(x, axis):
    """``np.max(x, axis, keepdims=True)``, the same numbers, faster on a short last axis.

    NumPy reduces a short contiguous axis one row at a time (about 50 ns a row:
    18 us for E2's 320 rows of 10), while ``np.maximum`` of two whole columns
    runs vectorised; so for a last axis of at most ``SHORT_AXIS`` entries the
    maximum is taken column by column (max is exact: the result is identical).
    """
    size = x.shape[axis]
    if axis not in (-1, x.ndim - 1) or size > SHORT_AXIS or size == 0 or x.dtype.kind != "f":
        return np.max(x, axis=axis, keepdims=True)
    out = x[..., :1].copy()
    for j in range(1, size):
        np.maximum(out, x[..., j:j + 1], out=out)
    return out

