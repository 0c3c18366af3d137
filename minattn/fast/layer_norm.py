"""LayerNormalization as a fast record: the normalization and its hand-written backward.

Over the normalized axes (the features, for ``axis=-1``) of each sample:

    mean = mean(x)    c = x - mean    var = mean(c^2)    s = sqrt(var + epsilon)
    xhat = c / s      y = xhat * gamma + beta

and, with n the number of normalized entries and dxhat = g * gamma,

    d beta  = sum of g over every other axis     d gamma = sum of g * xhat likewise
    dx      = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / s

(the two means over the normalized axes: the part of dxhat that moves the
mean, and the part that moves the variance, are taken out).
"""
import numpy as np

from ..layers.normalization import LayerNormalization
from .elementwise import sum_last
from .record import Record


def normalized_axes(layer, x):
    """The normalized axes of ``x`` (batch axis included) and the shape gamma/beta broadcast to."""
    axes = tuple(sorted({a % x.ndim for a in layer.axis}))      # Keras counts the batch axis too
    return axes, tuple(x.shape[i] if i in axes else 1 for i in range(x.ndim))


def mean_over(x, axes):
    """The mean over ``axes`` (kept as size-1 axes); over the last axis alone as one BLAS product
    (``sum_last``: NumPy reduces a short last axis row by row)."""
    if axes == (x.ndim - 1,):
        return sum_last(x) * (1.0 / x.shape[-1])
    return np.mean(x, axis=axes, keepdims=True)


def layer_norm_values(x, gamma, beta, epsilon, axes, weight_shape):
    """``(y, (xhat, s))``: the normalized, scaled and shifted x, and what the backward needs.

    ``gamma``/``beta`` may be None (``scale=False`` / ``center=False``).
    """
    centred = x - mean_over(x, axes)
    spread = np.sqrt(mean_over(centred * centred, axes) + epsilon)      # s
    xhat = centred / spread
    y = xhat if gamma is None else xhat * gamma.reshape(weight_shape)
    if beta is not None:
        y = y + beta.reshape(weight_shape)
    return y, (xhat, spread)


def layer_norm_grads(gamma, saved, g, axes, weight_shape, want_x=True):
    """``(dx or None, d gamma or None, d beta)`` of ``layer_norm_values`` given g = d loss / d y."""
    xhat, spread = saved
    others = tuple(i for i in range(g.ndim) if i not in axes)          # the axes gamma is shared over
    d_beta = g.sum(axis=others).reshape(_kept_shape(weight_shape, axes))
    d_gamma = None if gamma is None else \
        (g * xhat).sum(axis=others).reshape(_kept_shape(weight_shape, axes))
    dx = None
    if want_x:
        dxhat = g if gamma is None else g * gamma.reshape(weight_shape)
        dx = dxhat - mean_over(dxhat, axes)
        dx -= xhat * mean_over(dxhat * xhat, axes)
        dx /= spread
    return dx, d_gamma, d_beta


def _kept_shape(weight_shape, axes):
    return tuple(weight_shape[i] for i in axes)


def forward(layer, params, x):
    axes, weight_shape = normalized_axes(layer, x)
    y, saved = layer_norm_values(x, params.get("gamma"), params.get("beta"), layer.epsilon, axes,
                                 weight_shape)
    return y, (saved, axes, weight_shape)


def backward(layer, params, saved, g, wanted):
    inner, axes, weight_shape = saved
    dx, d_gamma, d_beta = layer_norm_grads(params.get("gamma"), inner, g, axes, weight_shape, wanted[0])
    grads = {}
    if d_gamma is not None:
        grads["gamma"] = d_gamma
    if "beta" in params:
        grads["beta"] = d_beta
    return dx, grads


RECORDS = {LayerNormalization: Record(forward, backward)}
