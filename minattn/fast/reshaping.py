"""Permute, Reshape, Flatten and RepeatVector as records: numbers moved, not changed.

Each backward moves the gradient back where the forward took the numbers from:
the inverse permutation, the input's shape, or (RepeatVector) the sum of the copies.
"""
import numpy as np

from ..layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from .record import Record


def permute_forward(layer, params, x):
    return np.transpose(x, (0,) + layer.dims), None


def permute_backward(layer, params, saved, g, wanted):
    order = (0,) + layer.dims
    return np.transpose(g, np.argsort(order)), {}          # the inverse permutation


def reshape_forward(layer, params, x):
    target = (x.shape[0],) + (layer.target_shape if isinstance(layer, Reshape) else (-1,))
    return np.reshape(x, target), x.shape


def reshape_backward(layer, params, shape, g, wanted):
    return np.reshape(g, shape), {}


def repeat_forward(layer, params, x):
    return np.repeat(x[:, None], layer.n, axis=1), None     # (batch, d) -> (batch, n, d)


def repeat_backward(layer, params, saved, g, wanted):
    return g.sum(axis=1), {}                                 # every copy's gradient, added


RECORDS = {
    Permute: Record(permute_forward, permute_backward),
    Reshape: Record(reshape_forward, reshape_backward),
    Flatten: Record(reshape_forward, reshape_backward),
    RepeatVector: Record(repeat_forward, repeat_backward),
}
