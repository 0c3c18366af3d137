"""The words every layer shares: names, shapes and masks.

A layer file imports what it needs from here, never a ``_private`` helper of
another layer file. Nothing here knows about a particular layer.

* naming: ``unique_name`` (dense_1, dense_2, ...), ``clear_session``,
  ``snake_case``, and ``layer_label`` -- how every error message names the
  layer it is about: ``Dense 'dense_1': units must be a positive int, got 0``
  (argument checks themselves are ``minattn.arguments``, shared with fit);
* shapes (batch axis left out, as everywhere in minattn): ``show_shape``,
  ``shapes_match``, ``sequence_shape``, ``query_value_key_shapes``;
* masks: ``combine_masks``, ``split_query_value_key``, ``query_mask``.
"""
import re

import numpy as np

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
def combine_masks(*masks):
    """Logical and of the masks that are not None (None when all are)."""
    present = [np.asarray(m).astype(bool) for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


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
