"""The masked sparse categorical cross-entropy over sequences: its value and gradient, plain NumPy.

``losses.masked_sparse_categorical_crossentropy`` is the loss of the
Transformers and the translators: per sample, the mean over its real steps
(label != 0) of ``-log p_t[y_t]``; ``fit`` takes the mean over the batch:

    loss = (1 / B) sum_b sum_t real[b, t] * -log(clip(p[b, t, y[b, t]], eps, 1)) / n_b
    d loss / d p[b, t, v] = -real[b, t] / (B n_b p[b, t, y]) where v = y[b, t]
                            and eps < p[b, t, y] < 1 (the clip passes no gradient at its ends), else 0

with n_b = max(number of real steps of sample b, 1). The fast step takes
both from ``LOSS_GRADS`` (one entry: this loss), as it does mse's and the
binary cross-entropy's (``fast.losses``).
"""
import numpy as np

from .. import losses
from ..config import EPSILON


def picked_probabilities(y_true, y_pred):
    """``(labels (B, T) ints, real (B, T), p of each label (B, T))`` after the readable loss's check."""
    losses.check_labels(y_true, y_pred.shape[-1], "masked_sparse_categorical_crossentropy")
    labels = np.asarray(y_true).reshape(y_pred.shape[:-1]).astype(np.intp)
    real = (labels != 0).astype(y_pred.dtype)
    picked = np.take_along_axis(y_pred, labels[..., None], axis=-1)[..., 0]     # p_t[y_t]
    return labels, real, picked


def per_step_weights(real):
    """``real / n_b``: each real step's share of its sample's mean, (B, T)."""
    return real / np.maximum(real.sum(axis=-1, keepdims=True), 1.0)


def masked_sequence_value(y_true, y_pred):
    """The batch mean of the loss (a scalar)."""
    _, real, picked = picked_probabilities(y_true, y_pred)
    nll = -np.log(np.clip(picked, EPSILON, 1.0)) * real
    return np.mean(nll.sum(axis=-1) / np.maximum(real.sum(axis=-1), 1.0))


def masked_sequence_grad(y_true, y_pred, g=1.0):
    """d (g * loss) / d y_pred: nonzero only at each real step's label (see the module docstring)."""
    labels, real, picked = picked_probabilities(y_true, y_pred)
    clipped = np.clip(picked, EPSILON, 1.0)
    inside = (clipped != EPSILON) & (clipped != 1.0)           # autograd's clip: no gradient at its ends
    d_picked = -g * per_step_weights(real) * inside / (picked.shape[0] * clipped)   # (B, T)
    grad = np.zeros_like(y_pred)
    np.put_along_axis(grad, labels[..., None], d_picked[..., None].astype(y_pred.dtype), axis=-1)
    return grad


LOSS_GRADS = {losses.masked_sparse_categorical_crossentropy: (masked_sequence_value, masked_sequence_grad)}
