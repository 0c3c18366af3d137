"""Where each token is: keras_hub's ``TokenAndPositionEmbedding`` and ``SinePositionEncoding``.

Attention treats its keys as a set; these layers give each step a vector
that depends on its position. A Transformer adds it to the token's vector
(``multihead.py``'s ``PositionalEncoding`` adds the sine table in one layer).
"""
import numpy as np

from .. import config, initializers
from ..arguments import check_positive_int
from .base import Layer
from .embedding import Embedding
from .multihead import sinusoidal_encoding
from .vocabulary import layer_label, show_shape


class SinePositionEncoding(Layer):
    """The sinusoidal position table of Vaswani et al. 2017, keras_hub's layer.

        PE[t, 2i] = sin(t / max_wavelength^(2i/d)),   PE[t, 2i+1] = cos(t / max_wavelength^(2i/d))

    Returns the table broadcast to the input's shape, not the sum: add it
    yourself, ``Add()([x, SinePositionEncoding()(x)])``, as keras_hub does.
    No weights.

    Args:
        max_wavelength: the longest wavelength (default 10000).
        name: layer name.

    Call arguments (keras_hub's): ``inputs``; ``start_index`` (default 0), the
    position of the first step (the table's rows ``start_index ...``);
    ``training``, accepted as by every Keras layer (nothing to switch).

    Input shape: ``(batch, time, d)``. Output shape: the same (the table,
        identical for every sample). No mask is passed on (as keras_hub).
    """
    call_keywords = ("start_index",)

    def __init__(self, max_wavelength=10000, name=None):
        super().__init__(name)
        if not isinstance(max_wavelength, (int, float)) or isinstance(max_wavelength, bool) \
                or not max_wavelength > 0:
            raise ValueError(f"{layer_label(self)}: max_wavelength must be a positive number, "
                             f"got {max_wavelength!r}")
        self.max_wavelength = max_wavelength

    def init(self, rng, input_shape):
        if isinstance(input_shape, list) or len(input_shape) != 2 or input_shape[-1] is None:
            raise ValueError(f"{layer_label(self)}: expected input of shape (None, time, features), got "
                             f"{show_shape(input_shape)}")
        return tuple(input_shape), {}

    def apply(self, params, x, start_index=0):
        start = check_start_index(self, start_index)
        batch, time, depth = np.shape(x)
        table = sinusoidal_encoding(start + time, depth, self.max_wavelength)[start:]   # (T, d)
        return np.broadcast_to(table.astype(np.result_type(x, np.float32)), (batch, time, depth))


class TokenAndPositionEmbedding(Layer):
    """A token embedding plus a learned position embedding (keras_hub's layer):

        y[b, t] = token_embeddings[x[b, t]] + position_embeddings[t]

    Args:
        vocabulary_size: number of token ids; ids must be in ``[0, vocabulary_size)``.
        sequence_length: the longest sequence; the position table has this many rows
            and a shorter input uses its first rows.
        embedding_dim: size of each vector.
        embeddings_initializer: for both tables (default "uniform" in [-0.05, 0.05]).
        mask_zero: id 0 is padding; the layer emits the mask ``x != 0``.
        name: layer name.

    Input shape: ``(batch, time)`` of integer ids, ``time <= sequence_length``.
    Output shape: ``(batch, time, embedding_dim)``.

    Weights, keras_hub's order: ``token_embedding/embeddings (vocabulary_size,
    embedding_dim)``, ``position_embedding/embeddings (sequence_length, embedding_dim)``.

    Call arguments (keras_hub's): ``inputs``; ``start_index`` (default 0), the
    position of the first step: its rows of the position table are
    ``start_index ... start_index + time - 1``; ``training``, accepted as by
    every Keras layer (nothing to switch).

    Differences from keras_hub: no ``tie_weights`` reverse projection (use a
    ``Dense`` for the output logits); a sequence reaching past
    ``sequence_length`` is an error.
    """
    call_keywords = ("start_index",)

    def __init__(self, vocabulary_size, sequence_length, embedding_dim, embeddings_initializer="uniform",
                 mask_zero=False, name=None):
        super().__init__(name)
        self.vocabulary_size = check_positive_int(vocabulary_size, f"{layer_label(self)}: vocabulary_size")
        self.sequence_length = check_positive_int(sequence_length, f"{layer_label(self)}: sequence_length")
        self.embedding_dim = check_positive_int(embedding_dim, f"{layer_label(self)}: embedding_dim")
        self.embeddings_initializer = initializers.get(embeddings_initializer, layer_label(self))
        self.mask_zero = bool(mask_zero)
        self.token_embedding = Embedding(self.vocabulary_size, self.embedding_dim, mask_zero=mask_zero,
                                         embeddings_initializer=embeddings_initializer,
                                         name=f"{self.name}/token_embedding")

    def _check_length(self, time, start=0):
        if time is not None and start + time > self.sequence_length:
            where = "are longer than" if start == 0 else f"from start_index={start} reach past"
            raise ValueError(f"{layer_label(self)}: sequences of {time} steps {where} "
                             f"sequence_length={self.sequence_length}")

    def init(self, rng, input_shape):
        if isinstance(input_shape, list) or len(input_shape) != 1:
            raise ValueError(f"{layer_label(self)}: expected token ids of shape (None, time), got "
                             f"{show_shape(input_shape)}")
        self._check_length(input_shape[0])
        output_shape, token = self.token_embedding.init(rng, input_shape)
        position = self.embeddings_initializer(rng, (self.sequence_length, self.embedding_dim),
                                               config.floatx())
        return output_shape, {"token_embedding": token, "position_embedding": {"embeddings": position}}

    def apply(self, params, x, start_index=0):
        start, time = check_start_index(self, start_index), np.shape(x)[1]
        self._check_length(time, start)
        tokens = self.token_embedding.apply(params["token_embedding"], x)          # (batch, T, d)
        return tokens + params["position_embedding"]["embeddings"][start:start + time]   # + (T, d)

    def compute_mask(self, x, mask):
        return self.token_embedding.compute_mask(x, mask)


def check_start_index(layer, start_index):
    """keras_hub's ``start_index``: a whole number >= 0 (a Python or NumPy integer)."""
    if isinstance(start_index, bool) or not isinstance(start_index, (int, np.integer)) or start_index < 0:
        raise ValueError(f"{layer_label(layer)}: start_index must be an integer >= 0, got {start_index!r}")
    return int(start_index)
