"""Checking and preparing the arrays given to fit / evaluate / predict.

Everything is checked before any work is done, and every error names the
model, the input or output, the value received and what was expected.
"""
import numpy as np

from . import config
from .layers.vocabulary import shapes_match, show_shape


def as_list(arrays):
    return list(arrays) if isinstance(arrays, (list, tuple)) else [arrays]


def model_float_type(model):
    """The one float dtype of the model's weights (``floatx()`` for a model without weights)."""
    kinds = {np.asarray(w).dtype for layer in model.layers if layer.params for w in layer.get_weights()}
    return np.dtype(kinds.pop()) if len(kinds) == 1 else np.dtype(config.floatx())


def check_one_float_type(model, what):
    """Refuse a model whose weights mix float types: they are never cast behind the user's back.

    ``compile`` and ``fit`` call it. A mix arises from building some layers
    after ``set_floatx`` changed, or from ``set_params`` with arrays of
    another dtype; the message says how to make the model one type.
    """
    by_dtype = {}
    for layer in model.layers:
        for w in layer.get_weights() if layer.params else []:
            by_dtype.setdefault(str(np.asarray(w).dtype), []).append(layer.name)
    if len(by_dtype) > 1:
        listing = "; ".join(f"{dtype}: {sorted(set(names))}" for dtype, names in sorted(by_dtype.items()))
        raise ValueError(f"{what}: model '{model.name}' mixes weight dtypes ({listing}); minattn trains one "
                         "float type per model and never casts weights silently. Build every layer under "
                         "the same minattn.set_floatx(...), or give each layer arrays of one dtype "
                         "with set_weights")


def split_arrays(arrays, tensors, ranks):
    """``arrays`` as one array-like per tensor.

    For a model with several inputs (or outputs) a list or tuple has one
    item per tensor. For a single one, a list or tuple is the per-tensor form
    ``[array]`` only when its single item is a NumPy array or has the rank the
    tensor expects (``ranks``, the batch axis included); otherwise the list
    itself is the data -- nested Python lists of numbers become ONE array
    (``[[1, 2, 3], [4, 5, 6]]`` is two samples of three features).
    """
    if not isinstance(arrays, (list, tuple)):
        return [arrays]
    if len(tensors) > 1:
        return list(arrays)
    if len(arrays) == 1:
        item = arrays[0]
        try:
            item_rank = np.ndim(item)
        except ValueError:                       # ragged: reported when converted
            item_rank = None
        if isinstance(item, np.ndarray) or item_rank in ranks:
            return [item]
    return [arrays]


def prepare_arrays(model, arrays, tensors, role, sparse=()):
    """Convert to arrays, check count, dtype and finiteness; cast floats to the model's float type.

    Args:
        model: for error messages and its float type.
        arrays: one array-like, or a list with one per tensor (see ``split_arrays``).
        tensors: the model's input or output tensors the arrays must fit.
        role: "x" or "y".
        sparse: the indices of the tensors whose targets are integer labels
            (they may lack the last axis).
    """
    ranks = {len(tensors[0].shape) + 1} | ({len(tensors[0].shape)} if 0 in sparse else set())
    arrays = split_arrays(arrays, tensors, ranks)
    if len(arrays) != len(tensors):
        raise ValueError(f"Model '{model.name}': expected {len(tensors)} {role} array(s) "
                         f"(one per model {'input' if role == 'x' else 'output'}), got {len(arrays)}")
    float_type = model_float_type(model)
    return [prepare_one(model, a, t, role, float_type) for a, t in zip(arrays, tensors)]


def prepare_one(model, array, tensor, role, float_type):
    """One array: numbers (not complex) with a batch axis, floats cast to ``float_type`` and then finite."""
    where = f"Model '{model.name}' {role} for '{tensor.layer.name}'"
    try:
        array = np.asarray(array)
    except Exception as err:
        raise ValueError(f"{where}: could not make an array of {type(array).__name__}: {err}") from err
    if np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"{where}: got complex numbers (dtype {array.dtype}); minattn computes with real "
                         "numbers -- pass the real and imaginary parts as separate features")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise ValueError(f"{where}: expected numbers, got an array of dtype {array.dtype}")
    if array.ndim == 0:
        raise ValueError(f"{where}: expected an array with a batch axis, got a scalar")
    if np.issubdtype(array.dtype, np.floating) or array.dtype == bool:
        with np.errstate(over="ignore", invalid="ignore"):
            cast = array.astype(float_type, copy=False)
        if not np.all(np.isfinite(cast)):                 # after the cast: 1e39 is inf in float32
            bad = tuple(int(i) for i in np.argwhere(~np.isfinite(cast))[0])
            raise ValueError(f"{where}: contains {array[bad]} at index {bad}, which is not finite in "
                             f"the model's float type {float_type} (NaN, inf, or beyond "
                             f"{np.finfo(float_type).max:.3g}); the data must be finite")
        array = cast
    return array


def check_x_shapes(model, xs):
    for array, tensor in zip(xs, model.inputs):
        if not shapes_match(tensor.shape, array.shape[1:]):
            raise ValueError(f"Model '{model.name}' input '{tensor.layer.name}': expected data of "
                             f"shape {show_shape(tensor.shape)}, got {array.shape}")


def check_y_shapes(model, ys, loss_fns):
    """Each target's shape against its output's (integer labels for a sparse loss: checked too)."""
    from .losses import check_labels, is_sparse
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
        if is_sparse(loss_fn):
            check_labels(array, expected[-1], f"Model '{model.name}' target for output '{tensor.layer.name}'")


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
