"""The losses' values and gradients for the fast step, the batch mean included.

mse and binary cross-entropy have theirs written by hand, as plain NumPy
(``mse_value``/``mse_grad``, ``bce_value``/``bce_grad``); any other loss is
differentiated by autograd, one call of the readable ``mean(loss_fn(y, p))``.
``loss_with_grad(loss_fn)`` is what the fast step calls.
"""
import numpy as np
from autograd.core import make_vjp

from .. import losses
from ..config import EPSILON
from ..losses import weights_like
from . import sequence_loss


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


# the readable loss -> (mean value, its gradient wrt y_pred), by hand
LOSS_GRADS = {losses.mean_squared_error: (mse_value, mse_grad),
              losses.binary_crossentropy: (bce_value, bce_grad),
              **sequence_loss.LOSS_GRADS}
WEIGHTED = {losses.mean_squared_error, losses.binary_crossentropy}     # take ``sample_weight=``


def loss_with_grad(loss_fn):
    """``(y_true, y_pred, sample_weight=None) -> (mean loss, its gradient wrt y_pred)``: by hand
    for mse and binary cross-entropy, else through autograd -- one call of the readable
    ``losses.batch_mean`` (Keras's weighted mean when sample weights are given)."""
    by_hand = LOSS_GRADS.get(loss_fn)

    def with_grad(y_true, y_pred, sample_weight=None):
        if by_hand is not None and (sample_weight is None or loss_fn in WEIGHTED):
            value_fn, grad_fn = by_hand
            if sample_weight is None:
                return value_fn(y_true, y_pred), grad_fn(y_true, y_pred)
            return (value_fn(y_true, y_pred, sample_weight=sample_weight),
                    grad_fn(y_true, y_pred, sample_weight=sample_weight))
        vjp, value = make_vjp(lambda p: losses.batch_mean(loss_fn, y_true, p, sample_weight), y_pred)
        return value, vjp(np.ones_like(value))
    return with_grad
