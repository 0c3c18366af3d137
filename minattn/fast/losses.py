"""The mse and binary cross-entropy losses as single recorded ops (the batch mean included).

``batch_loss_fn(loss_fn)`` is how the fast training step picks them: for a
loss that has a kernel here it returns the kernel, for any other loss
``mean(loss_fn(y_true, y_pred))`` as the readable path computes it.
"""
import autograd.numpy as anp
import numpy as np
from autograd.extend import defvjp, primitive

from .. import losses
from ..config import EPSILON


# -- losses ------------------------------------------------------------------------------
@primitive
def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)^2)`` over every element, as one op (a scalar)."""
    return np.mean(np.square(y_pred - y_true))


defvjp(mean_squared_error, None,
       lambda ans, y_true, y_pred: lambda g: (g * 2.0 / y_pred.size * (y_pred - y_true)).astype(y_pred.dtype))


@primitive
def binary_crossentropy(y_true, y_pred, epsilon=EPSILON):
    """Mean binary cross-entropy of clipped probabilities over every element, as one op."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def _bce_vjp(ans, y_true, y_pred, epsilon=EPSILON):
    def vjp(g):
        p = np.clip(y_pred, epsilon, 1.0 - epsilon)
        inside = (y_pred > epsilon) & (y_pred < 1.0 - epsilon)      # the clip passes gradient here only
        grad = (p - y_true) / (p * (1.0 - p)) * inside / y_pred.size
        return (g * grad).astype(y_pred.dtype)
    return vjp


defvjp(binary_crossentropy, None, _bce_vjp)


KERNELS = {losses.mean_squared_error: mean_squared_error,
           losses.binary_crossentropy: binary_crossentropy}


def batch_loss_fn(loss_fn):
    """``(y_true, y_pred) -> mean loss`` as one op where a kernel exists, else the readable mean."""
    return KERNELS.get(loss_fn) or (lambda y_true, y_pred: anp.mean(loss_fn(y_true, y_pred)))
