"""Loss functions ``loss(y_true, y_pred) -> per-sample loss``, as in Keras.

Each returns one value per sample (reduced over the last axis); ``fit``
takes the mean over the batch. Probabilities are clipped to
``[EPSILON, 1 - EPSILON]`` before the log, so a prediction of exactly 0 or 1
gives a large but finite loss, never inf or nan.
"""
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from .config import EPSILON


def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)^2)`` over the last axis."""
    return anp.mean((y_pred - y_true) ** 2, axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(|y_pred - y_true|)`` over the last axis."""
    return anp.mean(anp.abs(y_pred - y_true), axis=-1)


def binary_crossentropy(y_true, y_pred):
    """``-mean(y log p + (1 - y) log(1 - p))`` over the last axis; p = clipped y_pred."""
    p = anp.clip(y_pred, EPSILON, 1.0 - EPSILON)
    return -anp.mean(y_true * anp.log(p) + (1.0 - y_true) * anp.log(1.0 - p), axis=-1)


def binary_crossentropy_from_logits(y_true, logits):
    """Binary cross-entropy of ``sigmoid(logits)``, computed without the sigmoid.

    ``max(z, 0) - z y + log(1 + exp(-|z|))`` equals the cross-entropy and
    never overflows.
    """
    per_unit = anp.maximum(logits, 0.0) - logits * y_true + anp.log1p(anp.exp(-anp.abs(logits)))
    return anp.mean(per_unit, axis=-1)


def categorical_crossentropy(y_true, y_pred):
    """``-sum(y log p)`` over the last axis; y one-hot, p = y_pred rescaled to sum 1 and clipped."""
    p = y_pred / anp.sum(y_pred, axis=-1, keepdims=True)
    p = anp.clip(p, EPSILON, 1.0 - EPSILON)
    return -anp.sum(y_true * anp.log(p), axis=-1)


def sparse_categorical_crossentropy(y_true, y_pred):
    """Categorical cross-entropy with integer class ids ``y_true`` instead of one-hot.

    ``y_true`` has y_pred's shape without the class axis (or with a class
    axis of size 1). Every label must be a whole number in ``[0, classes)``
    (``check_labels``): a label out of range would add 0 to the loss.
    """
    check_labels(y_true, anp.shape(y_pred)[-1], "sparse_categorical_crossentropy")
    return categorical_crossentropy(one_hot_like(y_true, y_pred), y_pred)


def masked_sparse_categorical_crossentropy(y_true, y_pred):
    """Cross-entropy of integer targets per step, padded steps (label 0) left out.

    ``y_true`` (batch, Ty) ids with 0 = padding; ``y_pred`` (batch, Ty, vocab)
    probabilities. Per sample: ``-sum_t real_t log p_t[y_t] / sum_t real_t``,
    the mean over that sample's real tokens (0 for a sample with none).
    ``fit`` averages the samples; with targets of equal length (as the
    dates) that is exactly the mean over all real tokens. A padded step's
    prediction has no effect on the value or the gradient.
    """
    check_labels(y_true, anp.shape(y_pred)[-1], "masked_sparse_categorical_crossentropy")
    labels = anp.reshape(y_true, anp.shape(y_pred)[:-1])                      # (batch, Ty)
    real = (np.asarray(labels) != 0).astype(y_pred.dtype)                     # (batch, Ty)
    picked = anp.sum(one_hot_like(labels, y_pred) * y_pred, axis=-1)          # p_t[y_t]
    nll = -anp.log(anp.clip(picked, EPSILON, 1.0)) * real
    return anp.sum(nll, axis=-1) / np.maximum(real.sum(axis=-1), 1.0)


masked_sparse_categorical_crossentropy.sparse_labels = True       # y_true has no class axis


def check_labels(labels, classes, where):
    """Raise ``ValueError`` unless every label is a whole number in ``[0, classes)``.

    The message names ``where``, the first bad value and its index.
    """
    labels = np.asarray(getval(labels))
    if labels.dtype == bool or not (np.issubdtype(labels.dtype, np.integer) or
                                    np.issubdtype(labels.dtype, np.floating)):
        raise ValueError(f"{where}: integer class labels expected, got an array of dtype {labels.dtype}")
    bad = ~np.isfinite(labels) | (labels != np.floor(labels)) | (labels < 0)
    if classes is not None:
        bad |= labels >= classes
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{where}: label {labels[index]} at index {index} is not a class id; "
                         f"sparse labels must be whole numbers in [0, {classes}) -- one per class of "
                         "the output's last axis")


def one_hot_like(labels, y_pred):
    """One-hot of integer ``labels`` with as many classes as ``y_pred``'s last axis."""
    labels = anp.reshape(labels, anp.shape(y_pred)[:-1])
    classes = anp.arange(anp.shape(y_pred)[-1])
    return (labels[..., None] == classes).astype(y_pred.dtype)


_BY_NAME = {
    "mse": mean_squared_error, "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
    "binary_crossentropy": binary_crossentropy,
    "binary_crossentropy_from_logits": binary_crossentropy_from_logits,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}


def get(loss):
    """Return the loss function for a name or a callable ``(y_true, y_pred)``."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss in _BY_NAME:
        return _BY_NAME[loss]
    raise ValueError(f"compile: unknown loss {loss!r}; expected one of {sorted(_BY_NAME)} "
                     "or a function (y_true, y_pred) -> per-sample loss")


def all_losses():
    """Every named loss function, deduplicated: name -> function (used by the tests)."""
    seen, out = set(), {}
    for name, fn in _BY_NAME.items():
        if fn not in seen:
            seen.add(fn)
            out[fn.__name__] = fn
    return out


def is_sparse(loss_fn):
    """True when the loss takes integer labels (its y_true has no class axis).

    A loss defined elsewhere says so with ``loss_fn.sparse_labels = True``.
    """
    return loss_fn is sparse_categorical_crossentropy or getattr(loss_fn, "sparse_labels", False)


def total_loss(per_output, added=()):
    """The outputs' mean losses plus the ``add_loss`` terms, added in that order.

    Starting from the first term (not from 0.0) keeps the total in the terms'
    float type under NumPy 1.x's promotion rules as well as 2.x's.
    """
    total = per_output[0]
    for term in list(per_output[1:]) + list(added):
        total = total + term
    return total
