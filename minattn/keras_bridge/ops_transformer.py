"""keras_hub's ``TransformerEncoder`` and ``TransformerDecoder``, written with ``keras.ops``.

keras_hub itself pulls TensorFlow in, so these are its two blocks rewritten:
the same constructor arguments, the same weights in the same
``get_weights()`` order (each sub-layer's arrays in keras_hub's sub-layer
order), and the maths of ``minattn/layers/transformer.py`` line for line:

    post-norm:  x = LayerNorm(x + Dropout(sublayer(x)))
    pre-norm:   x = x + Dropout(sublayer(LayerNorm(x)))      (normalize_first=True)

The attention is minattn's ``MultiHeadAttention`` (padded keys get weight
exactly 0; ``ops_attention.masked_softmax``), in ``keras.ops`` that keep
float64.

Differences from keras_hub's call, as minattn's blocks: the padding masks
come from the inputs' Keras masks (or ``mask=``), not ``padding_mask=``
arguments; the decoder takes ``[decoder_sequence, encoder_sequence]`` as one
list; there is no ``attention_mask``, ``return_attention_scores`` or cache,
and the decoder's self-attention is always causal.
"""
import numpy as np

from .activations import keras_activation
from .backend import import_keras
from .ops_attention import MinattnLayer, masked_softmax
from .ops_position import layer_norm

keras = import_keras()
ops = keras.ops


def split_heads(x, kernel, bias):
    """(batch, T, d) through kernel (d, heads, size) and bias (heads, size) -> (batch, heads, T, size)."""
    d, heads, size = kernel.shape
    y = ops.matmul(x, ops.reshape(kernel, (d, heads * size)))                     # (batch, T, heads * size)
    y = ops.reshape(y, (-1, ops.shape(x)[1], heads, size)) + bias                 # (batch, T, heads, size)
    return ops.transpose(y, (0, 2, 1, 3))


def merge_heads(x, kernel, bias):
    """(batch, heads, T, size) through kernel (heads, size, d_out) and bias (d_out,) -> (batch, T, d_out)."""
    heads, size, d_out = kernel.shape
    x = ops.reshape(ops.transpose(x, (0, 2, 1, 3)), (-1, ops.shape(x)[2], heads * size))
    return ops.matmul(x, ops.reshape(kernel, (heads * size, d_out))) + bias


class TransformerBlock(MinattnLayer):
    """What the two blocks share: keras_hub's settings, weights made by name, the residual wrapper."""
    SETTINGS = ("intermediate_dim", "num_heads", "dropout", "activation", "layer_norm_epsilon",
                "kernel_initializer", "bias_initializer", "normalize_first")

    def __init__(self, intermediate_dim=None, num_heads=None, dropout=0.0, activation="relu",
                 layer_norm_epsilon=1e-05, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 normalize_first=False, **kwargs):
        super().__init__(intermediate_dim=intermediate_dim, num_heads=num_heads, dropout=dropout,
                         activation=activation, layer_norm_epsilon=layer_norm_epsilon,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         normalize_first=normalize_first, **kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.w = {}                     # "sub-layer/weight" -> variable, in keras_hub's order

    # -- weights, in keras_hub's order -------------------------------------------
    def add(self, sublayer, name, shape, initializer):
        self.w[f"{sublayer}/{name}"] = self.weight(f"{sublayer}_{name}", shape, initializer)

    def add_attention(self, sublayer, query_dim, key_dim):
        heads, size = self.num_heads, query_dim // self.num_heads       # keras_hub: key_dim = hidden // heads
        for part, dim in (("query", query_dim), ("key", key_dim), ("value", key_dim)):
            self.add(sublayer, f"{part}_kernel", (dim, heads, size), "glorot_uniform")
            self.add(sublayer, f"{part}_bias", (heads, size), "zeros")
        self.add(sublayer, "output_kernel", (heads, size, query_dim), "glorot_uniform")
        self.add(sublayer, "output_bias", (query_dim,), "zeros")

    def add_norm(self, sublayer, hidden):
        self.add(sublayer, "gamma", (hidden,), "ones")
        self.add(sublayer, "beta", (hidden,), "zeros")

    def add_dense(self, sublayer, units_in, units_out):
        self.add(sublayer, "kernel", (units_in, units_out), self.kernel_initializer)
        self.add(sublayer, "bias", (units_out,), self.bias_initializer)

    # -- running ---------------------------------------------------------------
    def drop(self, x, training):
        if not training or self.dropout == 0.0:
            return x
        return keras.random.dropout(x, self.dropout, seed=self.seed_generator)

    def norm(self, name, x):
        return layer_norm(x, (len(x.shape) - 1,), self.w[f"{name}/gamma"], self.w[f"{name}/beta"],
                          self.layer_norm_epsilon)

    def residual(self, x, norm_name, sublayer, training):
        """``x`` plus the sub-layer's output, normalized after (post-norm) or before (normalize_first)."""
        inner = self.norm(norm_name, x) if self.normalize_first else x
        y = x + self.drop(sublayer(inner), training)
        return y if self.normalize_first else self.norm(norm_name, y)

    def attention(self, name, query, value, key_mask, causal, training):
        """minattn's MultiHeadAttention: (batch, Tq, d) over value (batch, Tk, dk) -> (batch, Tq, d)."""
        w = {k.split("/", 1)[1]: v for k, v in self.w.items() if k.startswith(name + "/")}
        q = split_heads(query, w["query_kernel"], w["query_bias"])              # (batch, H, Tq, size)
        k = split_heads(value, w["key_kernel"], w["key_bias"])                  # (batch, H, Tk, size)
        v = split_heads(value, w["value_kernel"], w["value_bias"])
        scores = ops.matmul(q, ops.swapaxes(k, -1, -2)) / float(np.sqrt(q.shape[-1]))   # (batch, H, Tq, Tk)
        allowed = None
        if key_mask is not None:
            allowed = ops.expand_dims(ops.expand_dims(ops.cast(key_mask, "bool"), 1), 1)  # (batch, 1, 1, Tk)
        if causal:
            tq, tk = ops.shape(query)[1], ops.shape(value)[1]
            lower = ops.tril(ops.ones((tq, tk), dtype="bool"))[None, None]               # (1, 1, Tq, Tk)
            allowed = lower if allowed is None else ops.logical_and(allowed, lower)
        weights = self.drop(masked_softmax(scores, allowed), training)
        return merge_heads(ops.matmul(weights, v), w["output_kernel"], w["output_bias"])

    def attention_block(self, x, name, norm_name, key_mask, training, causal=False, value=None):
        """Residual + norm ``norm_name`` around attention ``name`` (self-attention when ``value`` is None)."""
        return self.residual(x, norm_name, lambda h: self.attention(name, h, h if value is None else value,
                                                                    key_mask, causal, training), training)

    def feedforward_block(self, x, training):
        def feedforward(h):
            h = ops.matmul(h, self.w["feedforward_intermediate_dense/kernel"]) \
                + self.w["feedforward_intermediate_dense/bias"]                  # (batch, T, intermediate_dim)
            h = keras_activation(self.activation)(h)
            return ops.matmul(h, self.w["feedforward_output_dense/kernel"]) + self.w["feedforward_output_dense/bias"]
        return self.residual(x, "feedforward_layer_norm", feedforward, training)

    def compute_mask(self, inputs, mask=None):
        return mask[0] if isinstance(mask, (list, tuple)) else mask


@keras.saving.register_keras_serializable(package="minattn")
class TransformerEncoder(TransformerBlock):
    """keras_hub's ``TransformerEncoder``; the input's mask is the padding mask, and is passed on.

    Weights: ``self_attention_layer`` (query, key, value, output kernels and
    biases), ``self_attention_layer_norm``, ``feedforward_layer_norm``,
    ``feedforward_intermediate_dense``, ``feedforward_output_dense``.
    """

    def build(self, input_shape):
        hidden = input_shape[-1]
        self.add_attention("self_attention_layer", hidden, hidden)
        self.add_norm("self_attention_layer_norm", hidden)
        self.add_norm("feedforward_layer_norm", hidden)
        self.add_dense("feedforward_intermediate_dense", hidden, self.intermediate_dim)
        self.add_dense("feedforward_output_dense", self.intermediate_dim, hidden)

    def call(self, x, mask=None, training=None):
        x = self.attention_block(x, "self_attention_layer", "self_attention_layer_norm", mask, training)
        return self.feedforward_block(x, training)


@keras.saving.register_keras_serializable(package="minattn")
class TransformerDecoder(TransformerBlock):
    """keras_hub's ``TransformerDecoder`` (always causal), called on ``x`` or ``[x, encoder_sequence]``.

    Weights: ``self_attention``, ``self_attention_layer_norm``, with an encoder
    ``cross_attention`` and ``cross_attention_layer_norm``, then
    ``feedforward_intermediate_dense``, ``feedforward_output_dense``,
    ``feedforward_layer_norm``. The decoder sequence's mask is passed on.
    """

    def build(self, input_shape):
        cross = isinstance(input_shape, (list, tuple)) and isinstance(input_shape[0], (list, tuple))
        decoder_shape = input_shape[0] if cross else input_shape
        hidden = decoder_shape[-1]
        self.add_attention("self_attention", hidden, hidden)
        self.add_norm("self_attention_layer_norm", hidden)
        if cross:
            self.add_attention("cross_attention", hidden, input_shape[1][-1])
            self.add_norm("cross_attention_layer_norm", hidden)
        self.add_dense("feedforward_intermediate_dense", hidden, self.intermediate_dim)
        self.add_dense("feedforward_output_dense", self.intermediate_dim, hidden)
        self.add_norm("feedforward_layer_norm", hidden)

    def call(self, inputs, mask=None, training=None):
        cross = isinstance(inputs, (list, tuple))
        x, encoder = (inputs[0], inputs[1]) if cross else (inputs, None)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask, None]
        x = self.attention_block(x, "self_attention", "self_attention_layer_norm", masks[0], training,
                                 causal=True)
        if cross:
            x = self.attention_block(x, "cross_attention", "cross_attention_layer_norm", masks[1], training,
                                     value=encoder)
        return self.feedforward_block(x, training)
