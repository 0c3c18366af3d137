"""Dense and softmax as single recorded ops with hand-written gradients.

The maths is written once, as plain NumPy (``dense_values``, ``dense_grads``,
``softmax_grad``); the recorded ops here and the tape-free step's rules
(``fast.rules``) both call it.
"""
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive

from .elementwise import activate, activation_vjp, np_softmax


# -- softmax -------------------------------------------------------------------------
@primitive
def softmax(x, axis=-1):
    """``exp(x - max) / sum exp(x - max)`` along ``axis``, as one op."""
    return np_softmax(x, axis)


def softmax_grad(y, g, axis=-1):
    """d loss / d x of softmax along ``axis``, from its output y and g = d loss / d y."""
    return y * (g - np.sum(g * y, axis=axis, keepdims=True))


defvjp(softmax, lambda y, x, axis=-1: lambda g: softmax_grad(y, g, axis))


# -- Dense -----------------------------------------------------------------------------
def dense_values(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, plain NumPy (bias may be None)."""
    z = np.matmul(x, kernel)                          # np.dot would be slow on 3-D x
    if bias is not None:
        z += bias
    return activate(activation, z)


def dense_grads(x, kernel, activation, y, g, wanted=(0, 1, 2)):
    """Gradients of Dense's x, kernel and bias (those whose index is in ``wanted``).

    With dz = d loss / d z (z = x W + b), every position a row of the batch:
    dx = dz W^T, dW = x^T dz, db = sum of dz over the rows.
    """
    dz = activation_vjp(activation, y, g)            # (..., units)
    dz_rows = dz.reshape(-1, dz.shape[-1])             # (batch * ..., units)
    grads = {0: lambda: np.matmul(dz, kernel.T).astype(x.dtype, copy=False),            # (..., in)
             1: lambda: np.dot(x.reshape(-1, x.shape[-1]).T, dz_rows).astype(kernel.dtype, copy=False),
             2: lambda: dz_rows.sum(axis=0).astype(dz.dtype, copy=False)}
    return tuple(grads[i]() for i in wanted)


@primitive
def dense(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, as one op (bias may be None)."""
    return dense_values(x, kernel, bias, activation)


def _dense_vjp(argnums, y, args, kwargs):
    x, kernel, bias, activation = args
    return lambda g: dense_grads(x, kernel, activation, y, g, argnums)


defvjp_argnums(dense, _dense_vjp)
