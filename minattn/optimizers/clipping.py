"""Gradient clipping on the flat gradient vector: Keras's ``clipnorm``, ``global_clipnorm``, ``clipvalue``.

``sizes`` holds each weight's element count, in order, so the per-weight
norm can be taken on the one flat vector (``np.add.reduceat`` over the
weights' start offsets). Each function returns a new vector (or its
argument itself when nothing is clipped) and never changes its argument.
"""
import math

import numpy as np


def clip_each_norm(flat_grads, sizes, clipnorm):
    """Rescale each weight's gradient g to norm <= clipnorm: ``g * clipnorm / max(|g|, clipnorm)``.

    Args:
        flat_grads: the gradients of all weights, joined (1-D).
        sizes: each weight's element count (None: the vector is one weight).
        clipnorm: the largest norm a weight's gradient keeps, > 0.
    """
    sizes = np.array([flat_grads.size]) if sizes is None else np.asarray(sizes)
    nonempty = sizes > 0                        # reduceat cannot take an empty segment
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])[nonempty]
    norms = np.zeros(len(sizes))
    if flat_grads.size:
        norms[nonempty] = np.sqrt(np.add.reduceat(flat_grads.astype(np.float64) ** 2, starts))
    scales = np.where(norms > clipnorm, clipnorm / np.maximum(norms, 1e-300), 1.0)
    return flat_grads * np.repeat(scales, sizes).astype(flat_grads.dtype)


def clip_global_norm(flat_grads, global_clipnorm):
    """Rescale all gradients together so their joint norm ``sqrt(sum over every weight of g^2)``
    is <= global_clipnorm; the directions between weights are kept.

    A non-finite norm gives NaN gradients, as in Keras (``fit`` then stops
    before applying the step).
    """
    norm = math.sqrt(float(np.dot(flat_grads, flat_grads))) if flat_grads.size else 0.0
    if not math.isfinite(norm):
        return np.full_like(flat_grads, np.nan)
    if norm <= global_clipnorm:
        return flat_grads
    return flat_grads * (global_clipnorm / norm)


def clip_values(flat_grads, clipvalue):
    """Every gradient entry limited to ``[-clipvalue, clipvalue]``."""
    return np.clip(flat_grads, -clipvalue, clipvalue)
