"""The words every layer shares: names, shapes and masks.

A layer file imports what it needs from here, never a ``_private`` helper of
another layer file. Nothing here knows about a particular layer.

* naming: ``unique_name`` (dense_1, dense_2, ...), ``clear_session``,
  ``snake_case``, and ``layer_label`` -- how every error message names the
  layer it is about: ``Dense 'dense_1': units must be a positive int, got 0``
  (argument checks themselves are ``minattn.arguments``, shared with fit);
* shapes (batch axis left out, as everywhere in minattn): ``show_shape``,
  ``shapes_match``, ``sequence_shape``, ``query_value_key_shapes``;
* inputs: ``check_input_arrays`` (batch and built shapes of several inputs);
* masks: ``check_mask``, ``combine_masks``, ``split_query_value_key``, ``query_mask``.
"""
import re

import numpy as np
from autograd.tracer import getval

# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------
_NAME_COUNTS = {}


def unique_name(prefix):
    """Keras-2 style names: dense_1, dense_2, ... (one counter per prefix)."""
    _NAME_COUNTS[prefix] = _NAME_COUNTS.get(prefix, 0) + 1
    return f"{prefix}_{_NAME_COUNTS[prefix]}"


def clear_session():
    """Restart layer-name numbering (dense_1, ...), as ``keras.backend.clear_session``."""
    _NAME_COUNTS.clear()


def snake_case(class_name):
    """'RepeatVector' -> 'repeat_vector', 'LSTM' -> 'lstm'."""
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", class_name)
    return re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", words).lower()


def layer_label(layer):
    """How error messages name a layer: its class and its name, ``Dense 'dense_1'``."""
    return f"{type(layer).__name__} '{layer.name}'"


# ---------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------
def show_shape(shape):
    """A shape (or list of shapes) as Keras prints it, with the batch axis: (None, 10)."""
    if isinstance(shape, list):
        return "[" + ", ".join(show_shape(s) for s in shape) + "]"
    return str((None,) + tuple(shape))


def shapes_match(expected, actual):
    """True when two shapes agree, a ``None`` in either matching any size."""
    if len(expected) != len(actual):
        return False
    return all(e is None or a is None or e == a for e, a in zip(expected, actual))


def sequence_shape(layer, input_shape):
    """``(time, features)`` with features known, or a ValueError naming the layer and the shape."""
    if isinstance(input_shape, list) or len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(f"{layer_label(layer)}: expected input of shape (None, time, features), got "
                         f"{show_shape(input_shape)}")
    return tuple(input_shape)


def query_value_key_shapes(layer, input_shape):
    """Check [query, value(, key)] shapes, each (time, dim); return the three, key = value if absent."""
    if not isinstance(input_shape, list) or len(input_shape) not in (2, 3) or any(
            len(s) != 2 or s[-1] is None for s in input_shape):
        raise ValueError(f"{layer_label(layer)}: expected a list [query, value] or [query, value, key] "
                         f"of shapes (None, time, dim), got {show_shape(input_shape)}")
    query, value = input_shape[0], input_shape[1]
    key = input_shape[2] if len(input_shape) == 3 else value
    if value[0] is not None and key[0] is not None and value[0] != key[0]:
        raise ValueError(f"{layer_label(layer)}: value and key must have the same number of steps, "
                         f"got {show_shape(input_shape)}")
    return query, value, key


# ---------------------------------------------------------------------------
# Masks: boolean (batch, time), False at padded steps
# ---------------------------------------------------------------------------
def check_mask(layer, mask, x, first_input_mask=False):
    """Check ``mask`` against the tensor(s) ``x`` it marks; a ValueError naming the layer if it does not fit.

    A mask is a (batch, time) array of booleans (or of 0 / 1), True at the
    real steps of a (batch, time, ...) tensor: its shape must be the tensor's
    first two sizes -- it is never broadcast. Only shapes and dtypes are
    compared (plus the values of a non-boolean mask), so it is cheap enough
    for every forward pass; masks are plain arrays, never traced.

    Args:
        layer: the layer asking, for the message.
        mask: None, one mask, or (when ``x`` is a list) a list with one mask
            or None per input.
        x: the layer's input: an array, or a list of arrays.
        first_input_mask: with a list ``x``, a single mask is the first
            input's (recurrent layers' ``[x, h0, c0]``); otherwise a list
            input needs a list of masks.

    Raises:
        ValueError: wrong count, rank, shape or values, e.g. ``Attention
            'attention_1': the mask of input 1 (value) has shape (4, 6); expected
            (batch, time) = (4, 5), the first two sizes of the input (4, 5, 3)``.
    """
    if mask is None:
        return
    if not isinstance(x, (list, tuple)):
        _check_one_mask(layer, mask, x, "the mask")
    elif isinstance(mask, (list, tuple)):
        if len(mask) != len(x):
            raise ValueError(f"{layer_label(layer)}: got {len(mask)} masks for {len(x)} inputs; "
                             "expected one mask (or None) per input")
        for i, (m, xi) in enumerate(zip(mask, x)):
            if m is not None:
                _check_one_mask(layer, m, xi, f"the mask of input {i}")
    elif first_input_mask:
        _check_one_mask(layer, mask, x[0], "the mask")
    else:
        raise ValueError(f"{layer_label(layer)}: got one mask of shape {np.shape(getval(mask))} for a list of "
                         f"{len(x)} inputs; expected a list with one mask (or None) per input")


def _check_one_mask(layer, mask, x, which):
    mask, shape = np.asarray(getval(mask)), np.shape(getval(x))
    expected = tuple(shape[:2])                                        # (batch, time)
    if mask.shape != expected or len(shape) < 2:
        raise ValueError(f"{layer_label(layer)}: {which} has shape {mask.shape}; expected (batch, time) = "
                         f"{expected}, the first two sizes of the input {tuple(shape)}")
    if mask.dtype == bool:
        return
    if mask.dtype.kind not in "iuf" or not np.all((mask == 0) | (mask == 1)):
        raise ValueError(f"{layer_label(layer)}: {which} must hold booleans (or 0 / 1), got dtype "
                         f"{mask.dtype}" + (" with other values" if mask.dtype.kind in "iuf" else ""))


def combine_masks(*masks):
    """Logical and of the masks that are not None (None when all are)."""
    present = [np.asarray(m).astype(bool) for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


def check_input_arrays(layer, arrays, names):
    """``ValueError`` naming the layer and every input's shape unless the input arrays share one
    batch size and, once the layer is built, have the shapes it was built for.

    A layer taking several inputs calls it first in ``apply``: calls that skip
    ``build``'s shape check (``forward`` on arrays, a model run) would otherwise
    fail inside a matmul or a broadcast with a message naming no layer.

    Args:
        arrays: the layer's input arrays, e.g. ``[query, value]``.
        names: their names in messages, e.g. ``["query", "value", "key"]``.
    """
    shapes = [tuple(np.shape(getval(a))) for a in arrays]
    shown = ", ".join(f"{name} {shape}" for name, shape in zip(names, shapes))
    if len({shape[:1] for shape in shapes}) > 1:
        raise ValueError(f"{layer_label(layer)}: the inputs' batch sizes differ: {shown}; every input "
                         "needs one entry per sample of the batch")
    built = layer.input_shape
    if isinstance(built, list) and len(built) == len(shapes) and \
            not all(shapes_match(expected, shape[1:]) for expected, shape in zip(built, shapes)):
        raise ValueError(f"{layer_label(layer)}: the inputs have shapes {shown}, but the layer was built for "
                         f"{show_shape(built)} (batch axis left out)")


def split_query_value_key(xs, mask):
    """(query, value, key, query mask, key mask) from [query, value(, key)] and their masks.

    The key mask is the value's mask and'ed with the key's (a step is a real
    key only if both are real).
    """
    masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(xs)
    key = xs[2] if len(xs) == 3 else xs[1]
    return xs[0], xs[1], key, masks[0], combine_masks(*masks[1:])


def query_mask(mask):
    """The query's mask from the masks of [query, value(, key)] (None if there are none)."""
    return mask[0] if isinstance(mask, (list, tuple)) else None
