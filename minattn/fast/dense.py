"""Dense and softmax as single recorded ops with hand-written gradients."""
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive

from .elementwise import activate, activation_vjp, np_softmax


# -- softmax -------------------------------------------------------------------------
@primitive
def softmax(x, axis=-1):
    """``exp(x - max) / sum exp(x - max)`` along ``axis``, as one op."""
    return np_softmax(x, axis)


defvjp(softmax, lambda y, x, axis=-1: lambda g: y * (g - np.sum(g * y, axis=axis, keepdims=True)))


# -- Dense -----------------------------------------------------------------------------
@primitive
def dense(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, as one op (bias may be None)."""
    z = np.matmul(x, kernel)                          # np.dot would be slow on 3-D x
    if bias is not None:
        z += bias
    return activate(activation, z)


def _dense_vjp(argnums, y, args, kwargs):
    x, kernel, bias, activation = args

    def vjp(g):
        dz = activation_vjp(activation, y, g)            # (..., units)
        dz_rows = dz.reshape(-1, dz.shape[-1])             # (batch * ..., units)
        grads = {0: lambda: np.matmul(dz, kernel.T).astype(x.dtype),                       # (..., in)
                 1: lambda: np.dot(x.reshape(-1, x.shape[-1]).T, dz_rows).astype(kernel.dtype),
                 2: lambda: dz_rows.sum(axis=0).astype(dz.dtype)}
        return tuple(grads[i]() for i in argnums)
    return vjp


defvjp_argnums(dense, _dense_vjp)
