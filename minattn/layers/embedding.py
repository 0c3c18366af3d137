"""Embedding: look up a learned vector for each integer token id."""
import numpy as np

from .. import config, initializers
from ..arguments import check_positive_int
from .base import Layer
from .vocabulary import layer_label


class Embedding(Layer):
    """Map token ids to vectors: ``y[b, t] = embeddings[x[b, t]]``.

    Args:
        input_dim: vocabulary size; ids must be in ``[0, input_dim)``.
        output_dim: size of each vector.
        mask_zero: treat id 0 as padding: the layer then emits a mask
            (``x != 0``) that the layers above use to ignore padded steps.
        embeddings_initializer: default "uniform" in [-0.05, 0.05], as Keras.
        name: layer name.

    Input shape: ``(batch, time)`` of integer ids.
    Output shape: ``(batch, time, output_dim)``.

    Weights: ``embeddings (input_dim, output_dim)``.
    """

    def __init__(self, input_dim, output_dim, mask_zero=False, embeddings_initializer="uniform",
                 name=None):
        super().__init__(name)
        self.input_dim = check_positive_int(input_dim, f"{layer_label(self)}: input_dim")
        self.output_dim = check_positive_int(output_dim, f"{layer_label(self)}: output_dim")
        self.mask_zero = bool(mask_zero)
        self.embeddings_initializer = initializers.get(embeddings_initializer, layer_label(self))

    def init(self, rng, input_shape):
        params = {"embeddings": self.embeddings_initializer(
            rng, (self.input_dim, self.output_dim), config.floatx())}
        return tuple(input_shape) + (self.output_dim,), params

    def apply(self, params, x):
        ids = np.asarray(x)
        if not np.issubdtype(ids.dtype, np.integer):
            if not np.all(ids == np.round(ids)):
                raise ValueError(f"{layer_label(self)}: expected integer token ids, got values "
                                 f"such as {ids.flat[np.argmax(ids != np.round(ids))]!r}")
            ids = ids.astype(np.int64)
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids.min() if ids.min() < 0 else ids.max()
            raise ValueError(f"{layer_label(self)}: token id {bad} is outside [0, {self.input_dim})")
        return params["embeddings"][ids]            # (batch, time, output_dim)

    def compute_mask(self, x, mask):
        return (np.asarray(x) != 0) if self.mask_zero else None


