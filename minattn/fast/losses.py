"""The mse and binary cross-entropy losses as single recorded ops (the batch mean included).

Each loss's value and gradient are written once, as plain NumPy
(``mse_value``/``mse_grad``, ``bce_value``/``bce_grad``); the recorded ops
here and the tape-free step (``fast.direct``, through ``LOSS_GRADS``) call them.

``batch_loss_fn(loss_fn)`` is how the fast training step picks them: for a
loss that has a kernel here it returns the kernel, for any other loss
``mean(loss_fn(y_true, y_pred))`` as the readable path computes it.
"""
import numpy as np
from autograd.extend import defvjp, primitive

from .. import losses
from ..config import EPSILON
from ..losses import weights_like


# -- the maths, plain NumPy -------------------------------------------------------------------
# ``sample_weight`` (None, or per sample as in ``losses.batch_mean``) multiplies every element of
# its sample: the mean over all elements then equals Keras's weighted mean of the per-sample losses.
def weighted(elementwise, sample_weight):
    return elementwise if sample_weight is None else elementwise * weights_like(sample_weight, elementwise.ndim)


def mse_value(y_true, y_pred, sample_weight=None):
    """``mean(w (y_pred - y_true)^2)`` over every element (a scalar)."""
    return np.mean(weighted(np.square(y_pred - y_true), sample_weight))


def mse_grad(y_true, y_pred, g=1.0, sample_weight=None):
    """d (g * mse) / d y_pred = g * 2 w (y_pred - y_true) / size."""
    return weighted(g * 2.0 / y_pred.size * (y_pred - y_true), sample_weight).astype(y_pred.dtype, copy=False)


def bce_value(y_true, y_pred, epsilon=EPSILON, sample_weight=None):
    """Mean weighted binary cross-entropy of probabilities clipped to [epsilon, 1 - epsilon] (a scalar)."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(weighted(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p), sample_weight))


def bce_grad(y_true, y_pred, g=1.0, epsilon=EPSILON, sample_weight=None):
    """d (g * bce) / d y_pred = g w (p - y) / (p (1 - p)) / size, zero where the clip is active."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    inside = (y_pred > epsilon) & (y_pred < 1.0 - epsilon)      # the clip passes gradient here only
    grad = (p - y_true) / (p * (1.0 - p)) * inside / y_pred.size
    return weighted(g * grad, sample_weight).astype(y_pred.dtype, copy=False)


# -- as recorded ops ------------------------------------------------------------------------------
@primitive
def mean_squared_error(y_true, y_pred, sample_weight=None):
    """``mean(w (y_pred - y_true)^2)`` over every element, as one op (a scalar)."""
    return mse_value(y_true, y_pred, sample_weight)


defvjp(mean_squared_error, None, lambda ans, y_true, y_pred, sample_weight=None:
       lambda g: mse_grad(y_true, y_pred, g, sample_weight))


@primitive
def binary_crossentropy(y_true, y_pred, sample_weight=None):
    """Mean weighted binary cross-entropy of clipped probabilities over every element, as one op."""
    return bce_value(y_true, y_pred, EPSILON, sample_weight)


defvjp(binary_crossentropy, None, lambda ans, y_true, y_pred, sample_weight=None:
       lambda g: bce_grad(y_true, y_pred, g, EPSILON, sample_weight))


KERNELS = {losses.mean_squared_error: mean_squared_error,
           losses.binary_crossentropy: binary_crossentropy}
# the readable loss -> (value, gradient wrt y_pred), for the tape-free step
LOSS_GRADS = {losses.mean_squared_error: (mse_value, mse_grad),
              losses.binary_crossentropy: (bce_value, bce_grad)}


def batch_loss_fn(loss_fn):
    """``(y_true, y_pred, sample_weight=None) -> mean loss`` as one op where a kernel exists, else
    the readable ``losses.batch_mean``."""
    return KERNELS.get(loss_fn) or (lambda y_true, y_pred, sample_weight=None:
                                    losses.batch_mean(loss_fn, y_true, y_pred, sample_weight))
