"""Dense and Activation as records: ``activation(x W + b)`` and ``activation(x``), by hand.

    forward:   z = x W + b            y = act(z)            (every position of x a row)
    backward:  dz = act'(y) * g       dx = dz W^T    dW = x^T dz    db = sum of dz over the rows

``act`` is any activation of ``elementwise.ELEMENTWISE`` or softmax over the
last axis, or (for Dense) gelu, whose derivative needs z rather than y
(``elementwise.FROM_INPUT``); a layer with another one (a function of your own, hard_swish, ...)
has no record: its ``apply`` runs, differentiated by autograd.
"""
import numpy as np

from .. import activations as act
from ..layers.core import Activation, Dense
from .elementwise import ELEMENTWISE, FROM_INPUT, activate, activate_keeping, activation_vjp, kept_vjp
from .record import Record


def dense_values(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, plain NumPy (bias may be None).

    Every position is a row: x is read as one (rows, in) matrix, so the product is one BLAS
    call (``np.matmul`` of a 3-D x makes one small product per sample).
    """
    z = np.dot(x.reshape(-1, x.shape[-1]), kernel)    # (rows, units)
    if bias is not None:
        z += bias
    return activate(activation, z).reshape(x.shape[:-1] + (kernel.shape[1],))


def dense_grads(x, kernel, activation, kept, g, wanted=(0, 1, 2)):
    """Gradients of Dense's x, kernel and bias (those whose index is in ``wanted``); ``kept`` is
    what ``activate_keeping`` kept: the output y (gelu: its input and Phi).

    With dz = d loss / d z (z = x W + b), every position a row of the batch:
    dx = dz W^T, dW = x^T dz, db = sum of dz over the rows.
    """
    dz = kept_vjp(activation, kept, g)               # (..., units)
    dz_rows = dz.reshape(-1, dz.shape[-1])             # (batch * ..., units)
    grads = []
    for i in wanted:
        if i == 0:
            grads.append(np.dot(dz_rows, kernel.T).reshape(x.shape).astype(x.dtype, copy=False))
        elif i == 1:
            x_rows = x.reshape(-1, x.shape[-1])
            grads.append(np.dot(x_rows.T, dz_rows).astype(kernel.dtype, copy=False))
        else:
            grads.append(dz_rows.sum(axis=0).astype(dz.dtype, copy=False))
    return tuple(grads)


def computes(activation):
    """Whether the records here compute this activation (softmax, or one of ``ELEMENTWISE``)."""
    return activation is act.softmax or activation in ELEMENTWISE


# -- Dense -------------------------------------------------------------------------------------
def dense_forward(layer, params, x):
    x_rows = x.reshape(-1, x.shape[-1])            # every position a row; kept for the backward pass
    z_rows = dense_values(x_rows, params["kernel"], params.get("bias"), act.linear)       # x W + b
    y_rows, kept = activate_keeping(layer.activation, z_rows)      # kept: y, or gelu's x and Phi(x)
    return y_rows.reshape(x.shape[:-1] + (layer.units,)), (x_rows, kept, x.shape)


def dense_backward(layer, params, saved, g, wanted):
    x_rows, kept, x_shape = saved
    has_bias = "bias" in params
    grads = dense_grads(x_rows, params["kernel"], layer.activation, kept, g.reshape(-1, layer.units),
                        ((0,) if wanted[0] else ()) + ((1, 2) if has_bias else (1,)))
    dx, grads = (grads[0].reshape(x_shape), grads[1:]) if wanted[0] else (None, grads)
    return dx, dict(zip(("kernel", "bias"), grads))


# -- Activation ------------------------------------------------------------------------------
def activation_forward(layer, params, x):
    y = activate(layer.activation, x)
    return y, y


def activation_backward(layer, params, y, g, wanted):
    return activation_vjp(layer.activation, y, g), {}


RECORDS = {
    Dense: Record(dense_forward, dense_backward,
                  lambda layer: computes(layer.activation) or layer.activation in FROM_INPUT),
    Activation: Record(activation_forward, activation_backward, lambda layer: computes(layer.activation)),
}
