"""Checking and preparing the arrays given to fit / evaluate / predict.

Everything is checked before any work is done, and every error names the
model, the input or output, the value received and what was expected.
"""
import numbers

import numpy as np

from . import config
from .layers.vocabulary import shapes_match, show_shape


def as_list(arrays):
    return list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]


def prepare_arrays(model, arrays, tensors, role, integer_ok=True):
    """Convert to arrays, check count, shape and finiteness, cast floats to floatx.

    Args:
        model: for error messages.
        arrays: one array or a list, one per tensor.
        tensors: the model's input or output tensors the arrays must fit.
        role: "x" or "y".
    """
    arrays = as_list(arrays)
    if len(arrays) != len(tensors):
        raise ValueError(f"Model '{model.name}': expected {len(tensors)} {role} array(s) "
                         f"(one per model {'input' if role == 'x' else 'output'}), got {len(arrays)}")
    return [_prepare_one(model, a, t, role) for a, t in zip(arrays, tensors)]


def _prepare_one(model, array, tensor, role):
    where = f"Model '{model.name}' {role} for '{tensor.layer.name}'"
    try:
        array = np.asarray(array)
    except Exception as err:
        raise ValueError(f"{where}: could not make an array of {type(array).__name__}: {err}") from err
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{where}: expected numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{where}: expected an array with a batch axis, got a scalar")
    if np.issubdtype(array.dtype, np.floating):
        if not np.all(np.isfinite(array)):
            bad = np.argwhere(~np.isfinite(array))[0]
            raise ValueError(f"{where}: contains {array[tuple(bad)]} at index {tuple(int(i) for i in bad)}; "
                             "the data must be finite (no NaN or inf)")
        array = array.astype(config.floatx(), copy=False)
    elif array.dtype == bool:
        array = array.astype(config.floatx())
    return array


def check_x_shapes(model, xs):
    for array, tensor in zip(xs, model.inputs):
        if not shapes_match(tensor.shape, array.shape[1:]):
            raise ValueError(f"Model '{model.name}' input '{tensor.layer.name}': expected data of "
                             f"shape {show_shape(tensor.shape)}, got {array.shape}")


def check_y_shapes(model, ys, loss_fns):
    from .losses import is_sparse
    for array, tensor, loss_fn in zip(ys, model.outputs, loss_fns):
        expected = tensor.shape
        fits = shapes_match(expected, array.shape[1:])
        if is_sparse(loss_fn):
            fits = shapes_match(expected[:-1], array.shape[1:]) or \
                shapes_match(expected[:-1] + (1,), array.shape[1:])
        if not fits:
            raise ValueError(f"Model '{model.name}' target for output '{tensor.layer.name}': "
                             f"expected y of shape {show_shape(expected)}, got {array.shape} "
                             "(targets are never broadcast: reshape y to match)")


def check_lengths(model, arrays_by_role):
    lengths = {f"{role}[{i}]": len(a) for role, arrays in arrays_by_role.items()
               for i, a in enumerate(arrays)}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Model '{model.name}': x and y must have the same number of samples, "
                         f"got {lengths}")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError(f"Model '{model.name}': got 0 samples")
    return n


def check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {value!r}")
    return int(value)
