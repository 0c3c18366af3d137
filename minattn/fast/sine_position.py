"""SinePositionEncoding as a fast record: the sine table, made once per shape, and a zero gradient.

    y[b, t, i] = PE[t, i]     (the same table for every sample; see ``layers/position.py``)

The output does not depend on the values of x, only on its shape, so
d loss / d x is 0 and there are no weights. The table is kept for each
(time, depth, max_wavelength, dtype) it was made for (read-only), so a
training step does not recompute its sines and cosines.
"""
import functools

import numpy as np

from ..layers.multihead import sinusoidal_encoding
from ..layers.position import SinePositionEncoding
from .record import Record


@functools.lru_cache(maxsize=32)
def sine_table(time, depth, max_wavelength, dtype):
    """The (time, depth) table as ``SinePositionEncoding.apply`` makes it, read-only."""
    table = sinusoidal_encoding(time, depth, max_wavelength).astype(dtype)
    table.flags.writeable = False
    return table


def forward(layer, params, x):
    batch, time, depth = np.shape(x)
    table = sine_table(time, depth, layer.max_wavelength, np.result_type(x, np.float32))
    return np.broadcast_to(table, (batch, time, depth)), np.shape(x)


def backward(layer, params, shape, g, wanted):
    return (np.zeros(shape, g.dtype) if wanted[0] else None), {}


RECORDS = {SinePositionEncoding: Record(forward, backward)}
