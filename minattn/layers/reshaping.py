"""Layers that move numbers around without changing them: Permute, Reshape,
Flatten, RepeatVector. The batch axis is never touched."""
import autograd.numpy as anp
import numpy as np

from ..arguments import check_int_tuple, check_positive_int
from .base import Layer
from .vocabulary import layer_label, show_shape


class Permute(Layer):
    """Reorder the non-batch axes; ``dims`` count from 1, as in Keras.

    Args:
        dims: a permutation of ``1..rank``; ``(2, 1)`` swaps the two axes of a
            sequence, turning ``(batch, time, features)`` into
            ``(batch, features, time)``.
        name: layer name (default permute_1, ...).

    Input shape: ``(batch, d_1, ..., d_k)``.
    Output shape: ``(batch, d_dims[0], ..., d_dims[k-1])``.

    Example (E3): ``Permute((2, 1))`` before ``Dense(T, activation="softmax")``
    makes the softmax run over time instead of over features.
    """

    def __init__(self, dims, name=None):
        super().__init__(name)
        self.dims = check_int_tuple(dims, f"{layer_label(self)}: dims")
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"{layer_label(self)}: dims must be a permutation of 1..{len(self.dims)} "
                             f"(counting from 1, the batch axis excluded), got {dims!r}")

    def init(self, rng, input_shape):
        if len(input_shape) != len(self.dims):
            raise ValueError(f"{layer_label(self)}: dims {self.dims} need an input of rank "
                             f"{len(self.dims) + 1}, got shape {show_shape(input_shape)}")
        return tuple(input_shape[d - 1] for d in self.dims), {}

    def apply(self, params, x):
        return anp.transpose(x, (0,) + self.dims)     # batch axis stays first


class Reshape(Layer):
    """Reshape the non-batch axes to ``target_shape`` (one entry may be -1).

    Args:
        target_shape: the new shape without the batch axis, e.g. ``(1, 1, C)``;
            one entry may be -1 (inferred from the number of values).
        name: layer name (default reshape_1, ...).

    Input shape: ``(batch, ...)`` with the same number of elements.
    Output shape: ``(batch,) + target_shape``.
    """

    def __init__(self, target_shape, name=None):
        super().__init__(name)
        self.target_shape = check_int_tuple(target_shape, f"{layer_label(self)}: target_shape")
        if sum(d == -1 for d in self.target_shape) > 1 or any(d != -1 and d < 1 for d in self.target_shape):
            raise ValueError(f"{layer_label(self)}: target_shape must be positive ints with at most "
                             f"one -1, got {target_shape!r}")

    def init(self, rng, input_shape):
        if None in input_shape:
            raise ValueError(f"{layer_label(self)}: input shape {show_shape(input_shape)} has an "
                             "unknown size")
        size = int(np.prod(input_shape))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if -1 in self.target_shape:
            if size % known:
                raise ValueError(f"{layer_label(self)}: cannot reshape {show_shape(input_shape)} "
                                 f"to {self.target_shape}")
            return tuple(size // known if d == -1 else d for d in self.target_shape), {}
        if known != size:
            raise ValueError(f"{layer_label(self)}: cannot reshape {show_shape(input_shape)} "
                             f"({size} values) to {self.target_shape} ({known} values)")
        return self.target_shape, {}

    def apply(self, params, x):
        return anp.reshape(x, (x.shape[0],) + self.target_shape)


class Flatten(Layer):
    """Flatten the non-batch axes into one: ``y = reshape(x, (batch, -1))``.

    Args:
        name: layer name (default flatten_1, ...).

    Input shape: ``(batch, d1, d2, ...)``, every size known.
    Output shape: ``(batch, d1 * d2 * ...)``.
    """

    def init(self, rng, input_shape):
        if None in input_shape:
            raise ValueError(f"{layer_label(self)}: input shape {show_shape(input_shape)} has an "
                             "unknown size")
        return (int(np.prod(input_shape)),), {}

    def apply(self, params, x):
        return anp.reshape(x, (x.shape[0], -1))


class RepeatVector(Layer):
    """Repeat a vector n times: ``(batch, d) -> (batch, n, d)``.

    Args:
        n: number of repetitions.
        name: layer name.

    Input shape: ``(batch, d)``.
    Output shape: ``(batch, n, d)``, ``y[:, i] = x`` for every i.
    """

    def __init__(self, n, name=None):
        super().__init__(name)
        self.n = check_positive_int(n, f"{layer_label(self)}: n")

    def init(self, rng, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"{layer_label(self)}: expected input of shape (None, features), "
                             f"got {show_shape(input_shape)}")
        return (self.n,) + tuple(input_shape), {}

    def apply(self, params, x):
        return anp.repeat(anp.expand_dims(x, 1), self.n, axis=1)     # (batch, 1, d) -> (batch, n, d)
