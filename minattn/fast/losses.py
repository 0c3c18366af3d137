"""The losses' values and gradients for the fast step, the batch mean included.

mse and binary cross-entropy have theirs written by hand, as plain NumPy
(``mse_value``/``mse_grad``, ``bce_value``/``bce_grad``); any other loss is
differentiated by autograd, one call of the readable ``mean(loss_fn(y, p))``.
``loss_with_grad(loss_fn)`` is what the fast step calls.
"""
import autograd.numpy as anp
import numpy as np
from autograd.core import make_vjp

from .. import losses
from ..config import EPSILON
from . import sequence_loss


def mse_value(y_true, y_pred):
    """``mean((y_pred - y_true)^2)`` over every element (a scalar)."""
    return np.mean(np.square(y_pred - y_true))


def mse_grad(y_true, y_pred, g=1.0):
    """d (g * mse) / d y_pred = g * 2 (y_pred - y_true) / size."""
    return (g * 2.0 / y_pred.size * (y_pred - y_true)).astype(y_pred.dtype, copy=False)


def bce_value(y_true, y_pred, epsilon=EPSILON):
    """Mean binary cross-entropy of probabilities clipped to [epsilon, 1 - epsilon] (a scalar)."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def bce_grad(y_true, y_pred, g=1.0, epsilon=EPSILON):
    """d (g * bce) / d y_pred = g (p - y) / (p (1 - p)) / size, zero where the clip is active."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    inside = (y_pred > epsilon) & (y_pred < 1.0 - epsilon)      # the clip passes gradient here only
    grad = (p - y_true) / (p * (1.0 - p)) * inside / y_pred.size
    return (g * grad).astype(y_pred.dtype, copy=False)


# the readable loss -> (mean value, its gradient wrt y_pred), by hand
LOSS_GRADS = {losses.mean_squared_error: (mse_value, mse_grad),
              losses.binary_crossentropy: (bce_value, bce_grad),
              **sequence_loss.LOSS_GRADS}


def loss_with_grad(loss_fn):
    """``(y_true, y_pred) -> (mean loss, its gradient wrt y_pred)``: by hand for mse and binary
    cross-entropy, else through autograd -- one call of the loss either way."""
    if loss_fn in LOSS_GRADS:
        value_fn, grad_fn = LOSS_GRADS[loss_fn]
        return lambda y_true, y_pred: (value_fn(y_true, y_pred), grad_fn(y_true, y_pred))

    def with_autograd(y_true, y_pred):
        vjp, value = make_vjp(lambda p: anp.mean(loss_fn(y_true, p)), y_pred)
        return value, vjp(np.ones_like(value))
    return with_autograd
