"""GlobalAveragePooling1D as a fast record: the mean over the real steps, and its gradient spread back.

    forward:   y[b] = sum_t m[b, t] x[b, t] / n_b          n_b = max(sum_t m[b, t], 1)  (m = 1 without a mask)
    backward:  dx[b, t] = m[b, t] g[b] / n_b

(the Transformer text classifier pools its encoder's output this way).
"""
import numpy as np

from ..layers.pooling import GlobalAveragePooling1D
from .record import Record


def forward(layer, params, x, mask=None):
    if mask is None:
        share = np.full((1, x.shape[1], 1), 1.0 / x.shape[1], x.dtype)          # (1, t, 1): 1 / t each
        pooled = x.mean(axis=1, keepdims=True)
    else:
        weights = np.asarray(mask, dtype=bool).astype(x.dtype)[:, :, None]      # (b, t, 1)
        counts = np.maximum(weights.sum(axis=1, keepdims=True), 1.0)            # (b, 1, 1)
        share = weights / counts
        pooled = (x * weights).sum(axis=1, keepdims=True) / counts               # (b, 1, f)
    return (pooled if layer.keepdims else pooled[:, 0, :]), share


def backward(layer, params, share, g, wanted):
    if not wanted[0]:
        return None, {}
    g = g if layer.keepdims else g[:, None, :]                                  # (b, 1, f)
    return g * share, {}


RECORDS = {GlobalAveragePooling1D: Record(forward, backward)}
