"""Metrics: plain NumPy (never differentiated), one value per sample.

``accuracy`` means what Keras makes of it: binary accuracy for a binary
cross-entropy model, categorical for categorical cross-entropy, sparse
categorical for integer labels.
"""
import numpy as np

from . import losses


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Share of outputs on the right side of ``threshold``, per sample."""
    return np.mean(np.equal(y_true, y_pred > threshold), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred) == argmax(y_true)`` (one-hot targets), else 0."""
    return np.equal(np.argmax(y_true, axis=-1), np.argmax(y_pred, axis=-1)).astype(float)


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_pred)`` equals the integer label, else 0."""
    labels = np.reshape(y_true, np.shape(y_pred)[:-1])
    return np.equal(labels, np.argmax(y_pred, axis=-1)).astype(float)


_BY_NAME = {"binary_accuracy": binary_accuracy, "categorical_accuracy": categorical_accuracy,
            "sparse_categorical_accuracy": sparse_categorical_accuracy}


def get(metric, loss_fn):
    """Resolve a metric name (or callable) for a model trained with ``loss_fn``."""
    if callable(metric):
        return metric
    if metric in ("accuracy", "acc"):
        if loss_fn is losses.categorical_crossentropy:
            return categorical_accuracy
        if losses.is_sparse(loss_fn):
            return sparse_categorical_accuracy
        return binary_accuracy
    if isinstance(metric, str) and metric in _BY_NAME:
        return _BY_NAME[metric]
    raise ValueError(f"compile: unknown metric {metric!r}; expected 'accuracy', "
                     f"one of {sorted(_BY_NAME)}, or a function (y_true, y_pred)")
