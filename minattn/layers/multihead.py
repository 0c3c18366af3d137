"""Multi-head attention and positional encoding (Vaswani et al. 2017, "Attention Is All You Need").

Read after ``attention.py`` and ``scores.py``: each head is ``Attention``
with the scaled dot score on its own projections of query, key and value.
``PositionalEncoding`` adds the order that attention by itself ignores.
``attention_pooling.py`` comes next.
"""
import autograd.numpy as anp
import numpy as np

from .. import config
from ..arguments import check_positive, check_positive_int
from ..initializers import glorot_uniform
from . import attention as core
from .attention import ReturnsScores, given_attention_mask, masked_softmax, zero_masked_steps
from .base import Layer
from .scores import scaled_dot_score
from .vocabulary import (layer_label, query_mask, query_value_key_shapes, sequence_shape,
                         split_query_value_key)


def _split_heads(x, kernel, bias):
    """(batch, T, d) through kernel (d, heads, size) and bias (heads, size) -> (batch, heads, T, size)."""
    d, heads, size = kernel.shape
    y = anp.matmul(x, anp.reshape(kernel, (d, heads * size)))        # (batch, T, heads * size)
    y = anp.reshape(y, (y.shape[0], y.shape[1], heads, size))        # (batch, T, heads, size)
    if bias is not None:
        y = y + bias
    return anp.transpose(y, (0, 2, 1, 3))                            # (batch, heads, T, size)


def _merge_heads(x, kernel, bias):
    """(batch, heads, T, size) through kernel (heads, size, d_out) and bias: -> (batch, T, d_out)."""
    heads, size, d_out = kernel.shape
    x = anp.transpose(x, (0, 2, 1, 3))                               # (batch, T, heads, size)
    x = anp.reshape(x, (x.shape[0], x.shape[1], heads * size))       # (batch, T, heads * size)
    y = anp.matmul(x, anp.reshape(kernel, (heads * size, d_out)))    # (batch, T, d_out)
    return y if bias is None else y + bias


class MultiHeadAttention(ReturnsScores, Layer):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017, "Attention Is All You Need").

        head_h = softmax(Q_h K_h^T / sqrt(key_dim)) V_h,
                 Q_h = query W^Q_h + b,  K_h = key W^K_h + b,  V_h = value W^V_h + b
        output = concat(head_1, ..., head_H) W^O + b^O

    Each head is ``Attention(score="scaled_dot")`` on its own projections;
    call it on ``[x, x]`` for self-attention, ``[y, x]`` for cross-attention.

    Args:
        num_heads: number of heads H.
        key_dim: size of each head's queries and keys.
        value_dim: size of each head's values (default key_dim).
        dropout: the fraction of attention weights dropped while training
            (default 0), Keras's ``dropout``: each head's weights are dropped
            and rescaled by 1 / (1 - dropout) before they average the values.
        use_bias: biases on the four projections (default True).
        causal: query step i sees only keys j <= i; a shorthand for calling with
            ``use_causal_mask=True`` every time.
        return_attention_scores: also return the weights of every head (a
            shorthand for the call argument of the same name).
        name: layer name.

    Call arguments (Keras 3's ``MultiHeadAttention.call``):
        query: (batch, Tq, dq); or the list ``[query, value(, key)]``.
        value: (batch, Tv, dv).
        key: (batch, Tv, dk), default the value.
        query_mask, value_mask, key_mask: boolean (batch, Tq) / (batch, Tv),
            False at padding; each replaces that input's own mask (None: keep it).
        attention_mask: boolean (batch, Tq, Tv), True where query i may attend
            to key j; combined with the key masks and the causal mask.
        return_attention_scores: return ``[output, weights]`` (default: the
            constructor's).
        training: switches the attention dropout (in a model: fit's mode unless given).
        use_causal_mask: query i sees only keys j <= i (default: the constructor's ``causal``).

    Input shape: ``[query (batch, Tq, dq), value (batch, Tv, dv)]`` or
        ``[query, value, key (batch, Tv, dk)]``.
    Output shape: ``(batch, Tq, dq)``; with ``return_attention_scores`` a list
        ``[output (batch, Tq, dq), weights (batch, H, Tq, Tv)]``.

    Weights, Keras's names and layout: ``query_kernel (dq, H, key_dim)``,
    ``query_bias (H, key_dim)``, ``key_kernel (dk, H, key_dim)``, ``key_bias``,
    ``value_kernel (dv, H, value_dim)``, ``value_bias (H, value_dim)``,
    ``output_kernel (H, value_dim, dq)``, ``output_bias (dq,)``.

    Masks: as ``Attention`` (Keras's layer leaves masked query steps as they
    are; here they are 0, like every sequence output of the attention family).
    """
    accepts_mask = True
    accepts_training = True
    call_inputs = ("query", "value", "key")
    mask_keywords = ("query_mask", "value_mask", "key_mask")
    call_keywords = ("attention_mask", "return_attention_scores", "use_causal_mask")

    @property
    def weights_heads(self):
        return (self.num_heads,)

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, causal=False,
                 return_attention_scores=False, name=None):
        super().__init__(name)
        self.num_heads = check_positive_int(num_heads, f"{layer_label(self)}: num_heads")
        self.key_dim = check_positive_int(key_dim, f"{layer_label(self)}: key_dim")
        self.value_dim = (self.key_dim if value_dim is None
                          else check_positive_int(value_dim, f"{layer_label(self)}: value_dim"))
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{layer_label(self)}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.causal = bool(causal)
        self.return_attention_scores = bool(return_attention_scores)

    def init(self, rng, input_shape):
        query, value, key = query_value_key_shapes(self, input_shape)
        h, dq = self.num_heads, query[-1]
        params = {}
        for part, dim, size in (("query", dq, self.key_dim), ("key", key[-1], self.key_dim),
                                ("value", value[-1], self.value_dim)):
            params[f"{part}_kernel"] = glorot_uniform(rng, (dim, h, size))
            if self.use_bias:
                params[f"{part}_bias"] = np.zeros((h, size), config.floatx())
        params["output_kernel"] = glorot_uniform(rng, (h, self.value_dim, dq))
        if self.use_bias:
            params["output_bias"] = np.zeros((dq,), config.floatx())
        out = (query[0], dq)
        return ([out, (h, query[0], key[0])] if self.return_attention_scores else out), params

    def apply(self, params, xs, mask=None, training=False, rng=None, attention_mask=None,
              return_attention_scores=None, use_causal_mask=None):
        """``output`` (or ``[output, weights]``); the last two arguments default to the constructor's."""
        causal = self.causal if use_causal_mask is None else bool(use_causal_mask)
        query, value, key, query_mask, key_mask = split_query_value_key(xs, mask)
        q = _split_heads(query, params["query_kernel"], params.get("query_bias"))   # (batch, H, Tq, key_dim)
        k = _split_heads(key, params["key_kernel"], params.get("key_bias"))         # (batch, H, Tk, key_dim)
        v = _split_heads(value, params["value_kernel"], params.get("value_bias"))   # (batch, H, Tk, value_dim)
        allowed = core.attention_mask(key_mask, causal, query.shape[1], key.shape[1])  # (batch | 1, Tq, Tk)
        given = given_attention_mask(self, attention_mask, query, key)             # (batch, Tq, Tk)
        if given is not None:
            allowed = given if allowed is None else allowed & given
        allowed = None if allowed is None else allowed[:, None]                    # (batch | 1, 1, Tq, Tk)
        weights = masked_softmax(scaled_dot_score(q, k), allowed)                 # (batch, H, Tq, Tk)
        heads = anp.matmul(drop_weights(weights, self.dropout, training, rng), v)  # (batch, H, Tq, value_dim)
        output = _merge_heads(heads, params["output_kernel"], params.get("output_bias"))   # (batch, Tq, dq)
        output = zero_masked_steps(output, query_mask)
        return [output, weights] if self.returns_scores(return_attention_scores) else output


def drop_weights(weights, rate, training, rng):
    """Attention dropout: while training, zero each weight with probability ``rate``, scale the rest by 1 / (1 - rate).

    The returned (undropped) weights still sum to 1; the dropped ones only
    average the values, as in Keras's MultiHeadAttention.
    """
    if not training or rate == 0.0:
        return weights
    rng = rng if rng is not None else config.rng()
    keep = rng.random(np.shape(weights)) >= rate
    return weights * keep * (1.0 / (1.0 - rate))


def sinusoidal_encoding(length, depth, max_wavelength=10000.0):
    """The (length, depth) table ``PE[t, 2i] = sin(t / 10000^(2i/d))``, ``PE[t, 2i+1] = cos(...)``."""
    positions = np.arange(length)[:, None]                                  # (T, 1)
    index = np.arange(depth)[None, :]                                       # (1, d)
    angles = positions / max_wavelength ** (2 * (index // 2) / depth)      # (T, d)
    return np.where(index % 2 == 0, np.sin(angles), np.cos(angles))


class PositionalEncoding(Layer):
    """Add the sinusoidal position encoding: ``y[:, t] = x[:, t] + PE[t]`` (Vaswani et al. 2017).

    ``PE[t, 2i] = sin(t / 10000^(2i/d))`` and ``PE[t, 2i+1] = cos(t / 10000^(2i/d))``:
    each pair of features is a clock of its own frequency, so attention,
    which by itself ignores order, can tell positions apart. No weights.

    Args:
        max_wavelength: the 10000 in the formula.
        name: layer name.

    Input shape: ``(batch, time, d)``. Output shape: the same. The mask is passed on.
    """
    propagates_mask = True

    def __init__(self, max_wavelength=10000.0, name=None):
        super().__init__(name)
        self.max_wavelength = check_positive(max_wavelength, f"{layer_label(self)}: max_wavelength")

    def init(self, rng, input_shape):
        sequence_shape(self, input_shape)
        return tuple(input_shape), {}

    def apply(self, params, x):
        table = sinusoidal_encoding(x.shape[1], x.shape[2], self.max_wavelength)   # (T, d)
        return x + table.astype(x.dtype)
