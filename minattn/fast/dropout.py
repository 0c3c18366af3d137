"""Dropout as a fast record, drawing the same random numbers as the readable layer.

    training:   keep = (u >= rate), u ~ U[0, 1) from ``rng.random(x.shape)``
                y = x * keep * (1 / (1 - rate))          dx = g * keep * (1 / (1 - rate))
    otherwise:  y = x                                    dx = g

``rng`` is the generator ``fit`` hands the step (else ``config.rng()``), and the
numbers are drawn in the same order and shape as ``Dropout.apply`` draws them,
so the fast and readable paths drop the same units.
"""
import numpy as np

from .. import config
from ..layers.core import Dropout
from .record import Record


def dropout_keep(rate, shape, training, rng):
    """The scaled keep mask ``keep / (1 - rate)`` the readable layers draw, or None when nothing
    is dropped (inference, or rate 0). Shared by ``Dropout`` and the attention's weights."""
    if not training or rate == 0.0:
        return None
    rng = rng if rng is not None else config.rng()
    keep = rng.random(shape) >= rate                    # True for the kept entries
    return keep, 1.0 / (1.0 - rate)


def apply_keep(x, kept):
    """``x * keep * scale`` (the readable layers' order of operations), or x when ``kept`` is None."""
    if kept is None:
        return x
    keep, scale = kept
    return x * keep * scale


def forward(layer, params, x, training=False, rng=None):
    kept = dropout_keep(layer.rate, np.shape(x), training, rng)
    return apply_keep(x, kept), kept


def backward(layer, params, kept, g, wanted):
    return (apply_keep(g, kept) if wanted[0] else None), {}


RECORDS = {Dropout: Record(forward, backward)}
