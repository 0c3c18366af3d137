"""Layer normalization and keras_hub's position layers, written with ``keras.ops``.

``TokenAndPositionEmbedding`` and ``SinePositionEncoding`` are keras_hub's
layers (constructor arguments, weights and their order), rewritten here
because keras_hub pulls TensorFlow in; the maths is that of
``minattn/layers/position.py``. ``LayerNormalization`` stands in for Keras's
own in float64 exports only: Keras 3.15's ``ops.mean`` and ``ops.var`` sum
float64 input in float32 on JAX (an error of ~1e-7 after normalizing), so
``layer_norm`` takes its means as ``ops.sum(x) / n``, which keeps float64.
"""
import functools

import numpy as np

from .backend import import_keras
from .ops_attention import MinattnLayer, sinusoidal_table

keras = import_keras()
ops = keras.ops


def normalized_axes(axis, rank):
    """Keras's ``axis`` setting (an int or a tuple, counted with the batch axis) as sorted non-negative ints."""
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    return tuple(sorted({a % rank for a in axes}))


def mean_over(x, axes):
    """The mean over ``axes``, keeping them, as ``sum / n`` (``ops.mean`` sums float64 in float32)."""
    count = int(np.prod([x.shape[a] for a in axes]))
    return ops.sum(x, axis=axes, keepdims=True) / float(count)


def layer_norm(x, axes, gamma=None, beta=None, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axes`` (with the batch axis)."""
    mean = mean_over(x, axes)
    centred = x - mean
    variance = mean_over(centred * centred, axes)
    y = centred / ops.sqrt(variance + epsilon)
    weight_shape = [x.shape[i] if i in axes else 1 for i in range(len(x.shape))]
    if gamma is not None:
        y = y * ops.reshape(gamma, weight_shape)
    if beta is not None:
        y = y + ops.reshape(beta, weight_shape)
    return y


@functools.cache
def layer_norm_loses_float64():
    """True while Keras's LayerNormalization is only float32-accurate on float64 input (checked, not assumed).

    Call it with float64 on (JAX's x64 mode), as a float64 export does.
    """
    x = np.array([[1.0, 2.0, 4.0 + 1e-9]])
    exact = (x - x.mean()) / np.sqrt(x.var() + 1e-3)
    norm = keras.layers.LayerNormalization(dtype="float64")
    got = np.asarray(norm(x))
    return got.dtype != np.float64 or np.max(np.abs(got - exact)) > 1e-13


@keras.saving.register_keras_serializable(package="minattn")
class LayerNormalization(MinattnLayer):
    """Keras's ``LayerNormalization`` (same settings, ``gamma`` then ``beta``), exact in float64."""
    SETTINGS = ("axis", "epsilon", "center", "scale")

    def build(self, input_shape):
        axes = normalized_axes(self.axis, len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        self.gamma = self.weight("gamma", shape, "ones") if self.scale else None
        self.beta = self.weight("beta", shape, "zeros") if self.center else None

    def call(self, x):
        return layer_norm(x, normalized_axes(self.axis, len(x.shape)), self.gamma, self.beta, self.epsilon)

    def compute_mask(self, inputs, mask=None):
        return mask


@keras.saving.register_keras_serializable(package="minattn")
class SinePositionEncoding(MinattnLayer):
    """keras_hub's ``SinePositionEncoding``: the sine table broadcast to the input's shape (not added)."""
    SETTINGS = ("max_wavelength",)

    def call(self, x):
        time, depth = x.shape[1], x.shape[-1]
        if time is not None:                         # the table in NumPy, float64, as minattn
            table = ops.cast(sinusoidal_table(np.arange(time)[:, None], depth, self.max_wavelength), x.dtype)
        else:
            positions = ops.expand_dims(ops.cast(ops.arange(ops.shape(x)[1]), x.dtype), 1)   # (T, 1)
            table = ops.cast(sinusoidal_table(positions, depth, self.max_wavelength, ops), x.dtype)
        return ops.broadcast_to(table, ops.shape(x))                                      # (batch, T, d)

    def compute_mask(self, inputs, mask=None):
        return None                                  # as keras_hub: the table carries no mask


@keras.saving.register_keras_serializable(package="minattn")
class TokenAndPositionEmbedding(MinattnLayer):
    """keras_hub's ``TokenAndPositionEmbedding``: ``token_embeddings[x] + position_embeddings[:T]``.

    Weights in keras_hub's order: token embeddings (vocabulary_size,
    embedding_dim), then position embeddings (sequence_length, embedding_dim).
    With ``mask_zero`` the mask ``x != 0`` is passed on.
    """
    SETTINGS = ("vocabulary_size", "sequence_length", "embedding_dim", "mask_zero")

    def build(self, input_shape):
        self.token_embeddings = self.weight("token_embeddings", (self.vocabulary_size, self.embedding_dim),
                                            "uniform")
        self.position_embeddings = self.weight("position_embeddings", (self.sequence_length, self.embedding_dim),
                                               "uniform")

    def call(self, ids):
        ids = ops.cast(ids, "int32")
        time = ids.shape[1] if ids.shape[1] is not None else ops.shape(ids)[1]
        tokens = ops.take(self.token_embeddings, ids, axis=0)               # (batch, T, d)
        return tokens + self.position_embeddings[:time]                      # + (T, d)

    def compute_mask(self, inputs, mask=None):
        return ops.not_equal(inputs, 0) if self.mask_zero else None
