"""Random valid layers for the property tests: one Hypothesis strategy per layer class.

``drawn_layer(name, dtype)`` is a strategy of ``Drawn`` examples: a factory of
fresh layers with the drawn settings (so a model can be rebuilt), inputs of
drawn small shapes in ``dtype``, a mask that fits them (or None), and for the
attention layers where their weights and key mask are in the output.

Sizes stay small (batch 1-3, time 1-5, features 1-4) so that every property,
the finite-difference check included, runs in milliseconds. Activations are
the smooth ones: a finite difference across a kink (relu at 0) disagrees
with any derivative; the kinks are checked by the fixed cases in
``gradcheck_cases.py``.
"""
from dataclasses import dataclass
from typing import Callable

import autograd.numpy as anp
import numpy as np
from hypothesis import strategies as st

from minattn.layers import (GRU, LSTM, Activation, Add, Attention, AttentionDecoder, AttentionPooling,
                            AttentionWithContext, AveragePooling2D, Bidirectional, Concatenate, Conv2D, Dense,
                            Dropout, Embedding, Flatten, GlobalAveragePooling1D, GlobalAveragePooling2D,
                            KeyValueAttention, Lambda, LayerNormalization, MaxPooling2D, MultiHeadAttention,
                            Multiply, Permute, PositionalEncoding, RepeatVector, Reshape, SinePositionEncoding,
                            SpatialTransformer, SqueezeExcite, StructuredSelfAttention, TokenAndPositionEmbedding,
                            TransformerDecoder, TransformerEncoder)
from minattn.model import run_layer

SMOOTH = ("linear", "tanh", "sigmoid", "softmax")
SCORES = ("dot", "scaled_dot", "general", "additive", "concat")


@dataclass
class Drawn:
    """One random example: ``make()`` a fresh layer, its ``inputs`` and ``mask``.

    ``attention(outputs) -> (weights, allowed)``: for a layer returning
    attention weights, the weights with the keys on the last axis and a
    boolean array (broadcastable to them) of the keys that may get weight.
    """
    make: Callable
    inputs: object
    mask: object = None
    attention: Callable = None
    int_inputs: bool = False                 # token ids (Embedding): no derivative, no float cast
    training: bool = False                   # run with training=True (Dropout: a fixed seeded mask)
    smooth: bool = True                      # False: no finite-difference check (a straight-through estimator)
    normalised: bool = True                  # the weights over the allowed keys sum to 1

    def forward(self, layer, inputs, params=None):
        """The layer run as the graph runs it (``model.run_layer``: its record on the fast path
        where the table has one, else ``layer.forward``), with this example's mask and training."""
        kwargs = {"mask": self.mask} if layer.accepts_mask else {}
        if layer.accepts_training:
            kwargs.update(training=self.training, rng=np.random.default_rng(3))
        return run_layer(layer, layer.params if params is None else params, inputs, **kwargs)

    @property
    def shapes(self):
        """The input shape(s) without the batch axis, as ``Layer.build`` takes them."""
        if isinstance(self.inputs, list):
            return [a.shape[1:] for a in self.inputs]
        return self.inputs.shape[1:]


# -- drawing sizes, arrays and masks --------------------------------------------------------
def sizes(draw, count, low=1, high=4):
    return [draw(st.integers(low, high)) for _ in range(count)]


def array(draw, shape, dtype, scale=0.5):
    """A seeded normal array: Hypothesis draws the seed (fast; shapes are what it explores)."""
    seed = draw(st.integers(0, 2**16))
    return (scale * np.random.default_rng(seed).standard_normal(shape)).astype(dtype)


def mask_for(draw, batch, time):
    """A boolean (batch, time) mask, or None; rows may be all False (nothing to attend to)."""
    if not draw(st.booleans()):
        return None
    bits = draw(st.lists(st.booleans(), min_size=batch * time, max_size=batch * time))
    return np.array(bits, dtype=bool).reshape(batch, time)


def key_weights(allowed_from_mask):
    """``attention`` for a layer whose weights are its last output, keys on their last axis."""
    def attention(outputs):
        return outputs[-1], allowed_from_mask
    return attention


def allowed_keys(mask, time, extra_axes):
    """Key mask (batch, 1.., time) broadcastable to the weights (all True without a mask)."""
    allowed = np.ones((1, time), bool) if mask is None else mask
    return allowed.reshape(allowed.shape[:1] + (1,) * extra_axes + (time,))


# -- one builder per layer class: draw(draw, dtype) -> Drawn -------------------------------
def dense(draw, dtype):
    batch, features, units = sizes(draw, 3)
    activation, use_bias = draw(st.sampled_from(SMOOTH)), draw(st.booleans())
    shape = (batch,) + tuple(sizes(draw, draw(st.integers(0, 2)))) + (features,)
    return Drawn(lambda: Dense(units, activation=activation, use_bias=use_bias), array(draw, shape, dtype))


def activation(draw, dtype):
    name = draw(st.sampled_from(SMOOTH))
    return Drawn(lambda: Activation(name), array(draw, tuple(sizes(draw, draw(st.integers(2, 3)))), dtype))


def dropout(draw, dtype):
    rate = draw(st.sampled_from([0.0, 0.25, 0.5]))
    return Drawn(lambda: Dropout(rate), array(draw, tuple(sizes(draw, 3)), dtype), training=True)


def permute(draw, dtype):
    rank = draw(st.integers(2, 3))
    dims = tuple(int(d) + 1 for d in draw(st.permutations(range(rank))))
    return Drawn(lambda: Permute(dims), array(draw, tuple(sizes(draw, rank + 1)), dtype))


def reshape(draw, dtype):
    batch, a, b, c = sizes(draw, 4)
    target = draw(st.sampled_from([(a * b, c), (c, a * b), (a * b * c,), (-1, c), (a, -1)]))
    return Drawn(lambda: Reshape(target), array(draw, (batch, a, b, c), dtype))


def flatten(draw, dtype):
    return Drawn(lambda: Flatten(), array(draw, tuple(sizes(draw, draw(st.integers(2, 4)))), dtype))


def repeat_vector(draw, dtype):
    batch, features, n = sizes(draw, 3)
    return Drawn(lambda: RepeatVector(n), array(draw, (batch, features), dtype))


def lambda_layer(draw, dtype):
    axis = draw(st.integers(1, 2))
    return Drawn(lambda: Lambda(lambda x: anp.mean(x, axis=axis) * 2.0), array(draw, tuple(sizes(draw, 4)), dtype))


def merge(layer_class):
    def build(draw, dtype):
        shape = tuple(sizes(draw, draw(st.integers(2, 3))))
        count = draw(st.integers(2, 3))
        inputs = [array(draw, shape, dtype) for _ in range(count)]
        if draw(st.booleans()):                                  # one input broadcast along an axis
            axis = draw(st.integers(1, len(shape) - 1))
            inputs[0] = inputs[0][(slice(None),) * axis + (slice(0, 1),)]
        return Drawn(lambda: layer_class(), inputs)
    return build


def concatenate(draw, dtype):
    shape = sizes(draw, draw(st.integers(2, 3)))
    axis = draw(st.integers(1, len(shape) - 1))
    inputs = []
    for _ in range(draw(st.integers(2, 3))):
        shape[axis] = draw(st.integers(1, 3))
        inputs.append(array(draw, tuple(shape), dtype))
    spelled = draw(st.sampled_from([axis, axis - len(shape)]))     # 2 or -1 for the last of 3 axes
    return Drawn(lambda: Concatenate(axis=spelled), inputs)


def embedding(draw, dtype):
    batch, time, input_dim, output_dim = sizes(draw, 4, high=5)
    mask_zero = draw(st.booleans())
    ids = np.random.default_rng(draw(st.integers(0, 2**16))).integers(0, input_dim, (batch, time))
    return Drawn(lambda: Embedding(input_dim, output_dim, mask_zero=mask_zero), ids, int_inputs=True)


def recurrent_settings(draw, cell):
    settings = {"units": draw(st.integers(1, 3)), "return_sequences": draw(st.booleans()),
                "return_state": draw(st.booleans()), "go_backwards": draw(st.booleans()),
                "use_bias": draw(st.booleans()),
                "activation": draw(st.sampled_from(["tanh", "sigmoid"]))}
    if cell is GRU:
        settings["reset_after"] = draw(st.booleans())
    return settings


def recurrent(cell_class):
    def build(draw, dtype):
        settings = recurrent_settings(draw, cell_class)
        batch, time, features = sizes(draw, 3)
        x, mask = array(draw, (batch, time, features), dtype), mask_for(draw, batch, time)
        if draw(st.booleans()):                                  # initial states
            count = 2 if cell_class is LSTM else 1
            states = [array(draw, (batch, settings["units"]), dtype) for _ in range(count)]
            return Drawn(lambda: cell_class(**settings), [x] + states,
                         None if mask is None else [mask] + [None] * count)
        return Drawn(lambda: cell_class(**settings), x, mask)
    return build


def bidirectional(draw, dtype):
    cell = draw(st.sampled_from([LSTM, GRU]))
    settings = recurrent_settings(draw, cell)
    settings["return_state"] = False
    merge_mode = draw(st.sampled_from(["concat", "sum", "mul", "ave", None]))
    batch, time, features = sizes(draw, 3)
    x, mask = array(draw, (batch, time, features), dtype), mask_for(draw, batch, time)
    return Drawn(lambda: Bidirectional(cell(**settings), merge_mode=merge_mode), x, mask)


def query_value_key(draw, dtype, same_dims):
    batch, tq, tk, dq = sizes(draw, 4)
    dk = dq if same_dims else draw(st.integers(1, 4))
    dv = draw(st.integers(1, 4))
    with_key = draw(st.booleans())
    inputs = [array(draw, (batch, tq, dq), dtype), array(draw, (batch, tk, dv if with_key else dk), dtype)]
    if with_key:
        inputs.append(array(draw, (batch, tk, dk), dtype))
    masks = [mask_for(draw, batch, tq), mask_for(draw, batch, tk)] + ([None] if with_key else [])
    return inputs, (None if all(m is None for m in masks) else masks), masks[1], tk


def attention(draw, dtype):
    score = draw(st.sampled_from(SCORES))
    causal, weights = draw(st.booleans()), draw(st.booleans())
    inputs, mask, key_mask, tk = query_value_key(draw, dtype, same_dims=score in ("dot", "scaled_dot"))
    allowed = allowed_keys(key_mask, tk, 1)
    if causal:
        tq = inputs[0].shape[1]
        allowed = allowed & np.tril(np.ones((tq, tk), bool))[None]
    return Drawn(lambda: Attention(score, causal=causal, return_attention_scores=weights), inputs, mask,
                 key_weights(allowed) if weights else None)


def multi_head(draw, dtype):
    heads, key_dim = sizes(draw, 2, high=3)
    causal, weights, use_bias = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    inputs, mask, key_mask, tk = query_value_key(draw, dtype, same_dims=False)
    allowed = allowed_keys(key_mask, tk, 2)
    if causal:
        allowed = allowed & np.tril(np.ones((inputs[0].shape[1], tk), bool))[None, None]
    return Drawn(lambda: MultiHeadAttention(heads, key_dim, use_bias=use_bias, causal=causal,
                                            return_attention_scores=weights), inputs, mask,
                 key_weights(allowed) if weights else None)


def positional_encoding(draw, dtype):
    return Drawn(lambda: PositionalEncoding(), array(draw, tuple(sizes(draw, 3, high=5)), dtype))


def sequence_with_mask(draw, dtype, even_features=False):
    batch, time, features = sizes(draw, 3)
    features = 2 * features if even_features else features
    return array(draw, (batch, time, features), dtype), mask_for(draw, batch, time)


def structured_self_attention(draw, dtype):
    da, r = sizes(draw, 2, high=3)
    weights = draw(st.booleans())
    x, mask = sequence_with_mask(draw, dtype)
    return Drawn(lambda: StructuredSelfAttention(da, r=r, return_attention=weights), x, mask,
                 key_weights(allowed_keys(mask, x.shape[1], 1)) if weights else None)


def key_value_attention(draw, dtype):
    window = draw(st.integers(1, 4))
    units = draw(st.sampled_from([None, 2]))
    weights = draw(st.booleans())
    x, mask = sequence_with_mask(draw, dtype, even_features=True)
    time = x.shape[1]
    steps = np.arange(time)
    in_window = (steps[None, :] < steps[:, None]) & (steps[None, :] >= steps[:, None] - window)   # the L previous
    allowed = allowed_keys(mask, time, 1) & in_window[None]
    return Drawn(lambda: KeyValueAttention(window, units=units, return_attention=weights), x, mask,
                 key_weights(allowed) if weights else None)


def attention_with_context(draw, dtype):
    context, use_bias, weights = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    x, mask = sequence_with_mask(draw, dtype)
    time = x.shape[1]

    def attention(outputs):                  # (batch, T), or the article's (batch, T, F): keys on axis 1
        a = outputs[-1]
        return (a if a.ndim == 2 else np.swapaxes(a, 1, 2)), allowed_keys(mask, time, a.ndim - 2)
    return Drawn(lambda: AttentionWithContext(context=context, use_bias=use_bias, return_attention=weights),
                 x, mask, attention if weights else None)


def attention_pooling(draw, dtype):
    use_bias, weights = draw(st.booleans()), draw(st.booleans())
    x, mask = sequence_with_mask(draw, dtype)
    return Drawn(lambda: AttentionPooling(use_bias=use_bias, return_attention=weights), x, mask,
                 key_weights(allowed_keys(mask, x.shape[1], 0)) if weights else None)


def global_average_pooling_1d(draw, dtype):
    keepdims = draw(st.booleans())
    x, mask = sequence_with_mask(draw, dtype)
    return Drawn(lambda: GlobalAveragePooling1D(keepdims=keepdims), x, mask)


def image(draw, dtype, low=1, high=5):
    batch, channels = sizes(draw, 2, high=3)
    height, width = sizes(draw, 2, low=low, high=high)
    return array(draw, (batch, height, width, channels), dtype)


def conv2d(draw, dtype):
    filters, kh, kw, sh, sw = sizes(draw, 5, high=3)
    padding = draw(st.sampled_from(["valid", "same"]))
    activation, use_bias = draw(st.sampled_from(["linear", "tanh"])), draw(st.booleans())
    x = image(draw, dtype, low=3)
    return Drawn(lambda: Conv2D(filters, (kh, kw), strides=(sh, sw), padding=padding, activation=activation,
                                use_bias=use_bias), x)


def pooling_2d(layer_class):
    def build(draw, dtype):
        ph, pw = sizes(draw, 2, high=3)
        strides = draw(st.sampled_from([None, 1, 2, (1, 2)]))
        padding = draw(st.sampled_from(["valid", "same"]))
        return Drawn(lambda: layer_class((ph, pw), strides=strides, padding=padding), image(draw, dtype, low=3))
    return build


def global_average_pooling_2d(draw, dtype):
    keepdims = draw(st.booleans())
    return Drawn(lambda: GlobalAveragePooling2D(keepdims=keepdims), image(draw, dtype))


def squeeze_excite(draw, dtype):
    ratio, gate, weights = draw(st.integers(1, 4)), draw(st.sampled_from(["sigmoid", "hard_sigmoid"])), \
        draw(st.booleans())
    return Drawn(lambda: SqueezeExcite(ratio, gate=gate, return_weights=weights), image(draw, dtype))


def spatial_transformer(draw, dtype):
    units = tuple(sizes(draw, draw(st.integers(1, 2))))
    output_size = draw(st.sampled_from([None, (2, 3), (4, 4)]))
    theta = draw(st.booleans())
    return Drawn(lambda: SpatialTransformer(units, output_size=output_size, return_theta=theta),
                 image(draw, dtype, low=2))


def attention_decoder(draw, dtype):
    units, vocab = sizes(draw, 2, low=2)
    score = draw(st.sampled_from(SCORES))
    alignment, window = draw(st.sampled_from(["global", "local_p", "hard"])), draw(st.integers(1, 2))
    weights = draw(st.booleans())
    batch, ty, tx, embed = sizes(draw, 4)
    dv = units if score in ("dot", "scaled_dot") else draw(st.integers(1, 4))
    inputs = [array(draw, (batch, ty, embed), dtype), array(draw, (batch, tx, dv), dtype)]
    source_mask = mask_for(draw, batch, tx)
    if draw(st.booleans()):
        inputs += [array(draw, (batch, units), dtype), array(draw, (batch, units), dtype)]
    mask = None if source_mask is None else [None, source_mask] + [None] * (len(inputs) - 2)
    return Drawn(lambda: AttentionDecoder(units, vocab, score=score, attention=alignment, window=window,
                                          return_attention=weights), inputs, mask,
                 key_weights(allowed_keys(source_mask, tx, 1)) if weights else None,
                 smooth=alignment != "hard", normalised=alignment != "local_p")


def layer_normalization(draw, dtype):
    rank = draw(st.integers(2, 3))
    axis = draw(st.sampled_from([-1, 1] if rank == 2 else [-1, 1, 2, (1, 2)]))
    center, scale = draw(st.booleans()), draw(st.booleans())
    return Drawn(lambda: LayerNormalization(axis=axis, center=center, scale=scale),
                 array(draw, (draw(st.integers(1, 3)),) + tuple(sizes(draw, rank - 1, low=2)), dtype, scale=1.0))


def sine_position_encoding(draw, dtype):
    wavelength = draw(st.sampled_from([100, 10000]))
    return Drawn(lambda: SinePositionEncoding(max_wavelength=wavelength),
                 array(draw, tuple(sizes(draw, 3, high=5)), dtype))


def token_and_position_embedding(draw, dtype):
    batch, time, vocabulary, dim = sizes(draw, 4, high=5)
    length = time + draw(st.integers(0, 2))
    mask_zero = draw(st.booleans())
    ids = np.random.default_rng(draw(st.integers(0, 2**16))).integers(0, vocabulary, (batch, time))
    return Drawn(lambda: TokenAndPositionEmbedding(vocabulary, length, dim, mask_zero=mask_zero), ids,
                 int_inputs=True)


def transformer_settings(draw):
    heads, per_head, intermediate = sizes(draw, 3, high=3)
    settings = dict(intermediate_dim=intermediate, num_heads=heads, activation=draw(st.sampled_from(["tanh", "gelu"])),
                    normalize_first=draw(st.booleans()))
    return settings, heads * per_head


def transformer_encoder(draw, dtype):
    settings, features = transformer_settings(draw)
    batch, time = sizes(draw, 2)
    return Drawn(lambda: TransformerEncoder(**settings), array(draw, (batch, time, features), dtype),
                 mask_for(draw, batch, time))


def transformer_decoder(draw, dtype):
    settings, features = transformer_settings(draw)
    batch, time, source_time = sizes(draw, 3)
    x = array(draw, (batch, time, features), dtype)
    if not draw(st.booleans()):                              # decoder-only (GPT): causal self-attention
        return Drawn(lambda: TransformerDecoder(**settings), x, mask_for(draw, batch, time))
    encoder = array(draw, (batch, source_time, features), dtype)
    return Drawn(lambda: TransformerDecoder(**settings), [x, encoder],
                 [mask_for(draw, batch, time), mask_for(draw, batch, source_time)])


BUILDERS = {
    "Dense": dense, "Activation": activation, "Dropout": dropout, "Permute": permute, "Reshape": reshape,
    "Flatten": flatten, "RepeatVector": repeat_vector, "Lambda": lambda_layer, "Add": merge(Add),
    "Multiply": merge(Multiply), "Concatenate": concatenate, "Embedding": embedding,
    "LSTM": recurrent(LSTM), "GRU": recurrent(GRU), "Bidirectional": bidirectional,
    "Attention": attention, "MultiHeadAttention": multi_head, "PositionalEncoding": positional_encoding,
    "StructuredSelfAttention": structured_self_attention, "KeyValueAttention": key_value_attention,
    "AttentionWithContext": attention_with_context, "AttentionPooling": attention_pooling,
    "GlobalAveragePooling1D": global_average_pooling_1d, "Conv2D": conv2d,
    "MaxPooling2D": pooling_2d(MaxPooling2D), "AveragePooling2D": pooling_2d(AveragePooling2D),
    "GlobalAveragePooling2D": global_average_pooling_2d, "SqueezeExcite": squeeze_excite,
    "SpatialTransformer": spatial_transformer, "AttentionDecoder": attention_decoder,
    "LayerNormalization": layer_normalization, "SinePositionEncoding": sine_position_encoding,
    "TokenAndPositionEmbedding": token_and_position_embedding, "TransformerEncoder": transformer_encoder,
    "TransformerDecoder": transformer_decoder,
}
ATTENTION_LAYERS = ("Attention", "MultiHeadAttention", "StructuredSelfAttention", "KeyValueAttention",
                    "AttentionWithContext", "AttentionPooling", "AttentionDecoder")


@st.composite
def drawn_layer(draw, name, dtype="float64"):
    """A ``Drawn`` example of layer class ``name`` with inputs of ``dtype``."""
    return BUILDERS[name](draw, np.dtype(dtype))
