"""Dense and softmax as single recorded ops with hand-written gradients.

The maths is written once, as plain NumPy (``dense_values``, ``dense_grads``,
``softmax_grad``); the recorded ops here and the tape-free step's rules
(``fast.rules``) both call it.
"""
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive

from .elementwise import activate, activation_vjp, np_softmax, sum_along


# -- softmax -------------------------------------------------------------------------
@primitive
def softmax(x, axis=-1):
    """``exp(x - max) / sum exp(x - max)`` along ``axis``, as one op."""
    return np_softmax(x, axis)


def softmax_grad(y, g, axis=-1):
    """d loss / d x of softmax along ``axis``, from its output y and g = d loss / d y."""
    return y * (g - sum_along(g * y, axis))


defvjp(softmax, lambda y, x, axis=-1: lambda g: softmax_grad(y, g, axis))


# -- Dense -----------------------------------------------------------------------------
def dense_values(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, plain NumPy (bias may be None).

    Every position is a row: x is read as one (rows, in) matrix, so the product is one BLAS
    call (``np.matmul`` of a 3-D x makes one small product per sample).
    """
    z = np.dot(x.reshape(-1, x.shape[-1]), kernel)    # (rows, units)
    if bias is not None:
        z += bias
    return activate(activation, z).reshape(x.shape[:-1] + (kernel.shape[1],))


def dense_grads(x, kernel, activation, y, g, wanted=(0, 1, 2)):
    """Gradients of Dense's x, kernel and bias (those whose index is in ``wanted``).

    With dz = d loss / d z (z = x W + b), every position a row of the batch:
    dx = dz W^T, dW = x^T dz, db = sum of dz over the rows.
    """
    dz = activation_vjp(activation, y, g)            # (..., units)
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


@primitive
def dense(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, as one op (bias may be None)."""
    return dense_values(x, kernel, bias, activation)


def _dense_vjp(argnums, y, args, kwargs):
    x, kernel, bias, activation = args
    return lambda g: dense_grads(x, kernel, activation, y, g, argnums)


defvjp_argnums(dense, _dense_vjp)
