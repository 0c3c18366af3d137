"""Layers that combine several tensors: Multiply, Add, Concatenate."""
import autograd.numpy as anp

from ..arguments import check_int
from .base import Layer
from .vocabulary import check_mask, combine_masks, layer_label, show_shape


def _check_list(layer, input_shape):
    if not isinstance(input_shape, list) or len(input_shape) < 2:
        raise ValueError(f"{layer_label(layer)}: must be called on a list of at "
                         f"least 2 tensors, got {show_shape(input_shape)}")


def _broadcast_shape(layer, shapes):
    """Same rank required; a size may differ only where one of them is 1."""
    first = shapes[0]
    if any(len(s) != len(first) for s in shapes):
        raise ValueError(f"{layer_label(layer)}: inputs must have the same rank, "
                         f"got {show_shape(list(shapes))}")
    out = []
    for sizes in zip(*shapes):
        known = {d for d in sizes if d not in (None, 1)}
        if len(known) > 1:
            raise ValueError(f"{layer_label(layer)}: input shapes "
                             f"{show_shape(list(shapes))} do not match (sizes may differ only "
                             "where one of them is 1)")
        out.append(known.pop() if known else (None if None in sizes else 1))
    return tuple(out)


class _Merge(Layer):
    propagates_mask = True

    def init(self, rng, input_shape):
        _check_list(self, input_shape)
        return _broadcast_shape(self, input_shape), {}

    def compute_mask(self, x, mask):
        check_mask(self, mask, x)                   # each input's mask against that input
        return combine_masks(*(mask or []))


class Multiply(_Merge):
    """Element-wise product of a list of tensors: ``y = x_1 * x_2 * ...``.

    The attention articles' ``merge([a, b], mode='mul')``: multiplying the
    inputs by attention probabilities of the same shape.

    Args:
        name: layer name (default multiply_1, ...).

    Input shape: a list of tensors of the same shape (a size of 1 in one of
    them is broadcast, e.g. (H, W, C) * (1, 1, C) in squeeze-excitation;
    any other mismatch is an error).
    Output shape: the common shape.
    """

    def apply(self, params, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Add(_Merge):
    """Element-wise sum of a list of tensors: ``y = x_1 + x_2 + ...``.

    Args:
        name: layer name (default add_1, ...).

    Input shape: a list of tensors of the same shape (size-1 axes broadcast).
    Output shape: the common shape.
    """

    def apply(self, params, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Concatenate(Layer):
    """Join a list of tensors along ``axis`` (default -1, the features).

    Args:
        axis: the axis to join on, counting the batch axis as 0 like Keras
            (so -1 or, for sequences, 2 is the feature axis).
        name: layer name (default concatenate_1, ...).

    Input shape: a list of tensors equal in every axis but ``axis``.
    Output shape: the same, with the sizes on ``axis`` added.
    """

    def __init__(self, axis=-1, name=None):
        super().__init__(name)
        self.axis = check_int(axis, f"{layer_label(self)}: axis", low=None)
        if self.axis == 0:
            raise ValueError(f"{layer_label(self)}: cannot join along the batch axis 0")

    def init(self, rng, input_shape):
        _check_list(self, input_shape)
        rank = len(input_shape[0])
        axis = self.axis - 1 if self.axis > 0 else rank + self.axis   # index without the batch axis
        if not 0 <= axis < rank or any(len(s) != rank for s in input_shape):
            raise ValueError(f"{layer_label(self)}: axis {self.axis} does not fit inputs "
                             f"{show_shape(input_shape)}")
        for i in range(rank):
            sizes = {s[i] for s in input_shape if s[i] is not None}
            if i != axis and len(sizes) > 1:
                raise ValueError(f"{layer_label(self)}: inputs {show_shape(input_shape)} differ "
                                 f"on axis {i + 1}, which is not the join axis")
        sizes = [s[axis] for s in input_shape]
        joined = None if None in sizes else sum(sizes)
        return tuple(input_shape[0][:axis]) + (joined,) + tuple(input_shape[0][axis + 1:]), {}

    def apply(self, params, xs):
        return anp.concatenate(xs, axis=self.axis)
