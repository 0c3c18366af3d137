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


def as_metric_list(metrics):
    """``compile``'s ``metrics`` as a list of names and functions.

    As in Keras 3 it must be a list or tuple: ``metrics="accuracy"`` is an
    error (Keras 3 raises on it too), not the letters 'a', 'c', 'c', ...
    """
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        raise ValueError(f"compile: metrics must be a list, e.g. metrics=[{metrics!r}], got "
                         f"{metrics!r} alone (Keras 3 also requires a list or tuple)")
    if not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile: metrics must be a list of names or functions, got {type(metrics).__name__}")
    return list(metrics)


def name_of(metric):
    """The name a metric is logged under: the string given, or the function's ``__name__``."""
    return metric if isinstance(metric, str) else getattr(metric, "__name__", type(metric).__name__)


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
