"""The attention family. Every mechanism here is the same three steps

    scores   e = score(query, keys)          (batch, Tq, Tk)   how well each key fits each query
    weights  a = softmax(e) over the keys    (batch, Tq, Tk)   masked keys get exactly 0
    context  c = a @ values                  (batch, Tq, dv)   the weighted average of the values

and the mechanisms differ only in the score and in what plays query, key
and value. Read in this order: the masked softmax, the five score functions
(each a plain function of arrays, then a ``Score`` object holding its
weights), ``Attention`` (any score over [query, value, key]),
``MultiHeadAttention`` and ``PositionalEncoding`` (Vaswani et al. 2017),
then the pooling layers that turn a sequence into one vector or a few:
``StructuredSelfAttention`` (Lin et al. 2017), ``KeyValueAttention``
(Daniluk et al. 2017), ``AttentionWithContext`` (Yang et al. 2016) and
``AttentionPooling`` (the article's layer). ``docs/attention.md`` shows
each one beside its paper's formula.

Masks: a boolean (batch, time) mask marks the real steps (False = padding).
A masked key gets weight exactly 0, the weights of the real keys sum to 1,
and a query with no key left to attend to gets all-zero weights (never NaN).
A layer with a sequence output sets its output to 0 at masked query steps
and passes the query mask on; a pooled output has no mask.
"""
import autograd.numpy as anp
import numpy as np

from .. import activations, config, initializers
from .base import Layer, show_shape
from .core import _positive_int

MASK_VALUE = -1e9          # a score that softmax turns into exactly 0 (exp underflows)
EPSILON = 1e-7             # Keras's K.epsilon(), used by the article's AttentionWithContext


def _where(layer):
    return f"{type(layer).__name__} '{layer.name}'"


def _glorot(rng, shape):
    return initializers.glorot_uniform(rng, shape, config.floatx())


# ---------------------------------------------------------------------------
# Masks
# ---------------------------------------------------------------------------
def masked_softmax(scores, allowed=None, axis=-1):
    """Softmax over ``axis`` in which the places where ``allowed`` is False get exactly 0.

    A disallowed score is replaced by -1e9 before the softmax, so its exp
    underflows to 0 and the allowed weights sum to 1. Setting the disallowed
    places to 0 afterwards turns a row with nothing allowed (its softmax would
    be uniform over the -1e9s) into zeros. ``anp.where`` rather than adding
    -1e9 keeps the allowed scores exact and passes no gradient to the others.

    Args:
        scores: array of scores, e.g. (batch, Tq, Tk).
        allowed: boolean array broadcastable to ``scores``, or None (all allowed).
        axis: the axis the weights sum to 1 over.
    """
    if allowed is None:
        return activations.softmax(scores, axis=axis)
    allowed = np.asarray(allowed).astype(bool)
    weights = activations.softmax(anp.where(allowed, scores, MASK_VALUE), axis=axis)
    return anp.where(allowed, weights, 0.0)


def attention_mask(key_mask=None, causal=False, query_len=None, key_len=None):
    """Which (query i, key j) pairs may attend: boolean (batch or 1, Tq, Tk), or None for all.

    Args:
        key_mask: boolean (batch, Tk), False at padded keys, or None.
        causal: query i may only see keys j <= i (the lower triangle).
        query_len: Tq, needed when ``causal``.
        key_len: Tk, needed when ``causal``.
    """
    allowed = None
    if key_mask is not None:
        allowed = np.asarray(key_mask).astype(bool)[:, None, :]            # (batch, 1, Tk)
    if causal:
        lower = np.tril(np.ones((query_len, key_len), dtype=bool))[None]   # (1, Tq, Tk)
        allowed = lower if allowed is None else allowed & lower
    return allowed


def zero_masked_steps(x, mask):
    """``x`` (batch, time, ...) with the steps where ``mask`` is False set to 0."""
    if mask is None:
        return x
    keep = np.asarray(mask).astype(bool).reshape(np.shape(mask) + (1,) * (anp.ndim(x) - 2))
    return anp.where(keep, x, 0.0)


def _combine(*masks):
    """Logical and of the masks that are not None (None when all are)."""
    present = [np.asarray(m).astype(bool) for m in masks if m is not None]
    if not present:
        return None
    out = present[0]
    for m in present[1:]:
        out = out & m
    return out


# ---------------------------------------------------------------------------
# Score functions: (batch, Tq, dq) queries and (batch, Tk, dk) keys -> (batch, Tq, Tk)
# ---------------------------------------------------------------------------
def dot_score(query, keys):
    """Luong et al. 2015 "dot": ``e_ij = q_i . k_j`` (needs dq == dk). Works for any leading axes."""
    return anp.matmul(query, anp.swapaxes(keys, -1, -2))     # (..., Tq, d) @ (..., d, Tk)


def scaled_dot_score(query, keys):
    """Vaswani et al. 2017: ``e_ij = q_i . k_j / sqrt(d)``, so scores don't grow with d."""
    return dot_score(query, keys) / float(np.sqrt(query.shape[-1]))     # a Python float keeps float32


def general_score(query, keys, kernel):
    """Luong et al. 2015 "general": ``e_ij = q_i^T W k_j`` with W (dq, dk)."""
    return dot_score(anp.matmul(query, kernel), keys)         # q W: (batch, Tq, dk)


def additive_score(query, keys, query_kernel, key_kernel, v):
    """Bahdanau et al. 2015: ``e_ij = v^T tanh(W1 q_i + W2 k_j)``.

    W1 = query_kernel (dq, units), W2 = key_kernel (dk, units), v (units,);
    the layout is Keras's (x @ kernel), i.e. the paper's matrices transposed.
    """
    q = anp.matmul(query, query_kernel)[:, :, None, :]          # (batch, Tq, 1, units)
    k = anp.matmul(keys, key_kernel)[:, None, :, :]             # (batch, 1, Tk, units)
    return anp.sum(activations.tanh(q + k) * v, axis=-1)        # (batch, Tq, Tk, units) -> (batch, Tq, Tk)


def concat_score(query, keys, kernel, v):
    """Luong et al. 2015 "concat": ``e_ij = v^T tanh(W [q_i; k_j])`` with W (dq + dk, units).

    ``[q; k] @ W`` equals ``q @ W[:dq] + k @ W[dq:]``: the same maths as the
    additive score with W split in two, without building every (i, j) pair
    of concatenated vectors.
    """
    dq = query.shape[-1]
    return additive_score(query, keys, kernel[:dq], kernel[dq:], v)


class Score:
    """A score function with its weights.

    ``init(rng, query_dim, key_dim) -> params`` creates the weights (a dict,
    empty for dot and scaled_dot); ``scores(params, query, keys)`` maps
    (batch, Tq, dq) and (batch, Tk, dk) to scores (batch, Tq, Tk).

    Args:
        units: the hidden size of additive and concat scores (default: key_dim).
    """
    name = None

    def __init__(self, units=None):
        self.units = None if units is None else _positive_int(units, f"{type(self).__name__}", "units")

    def init(self, rng, query_dim, key_dim):
        return {}

    def scores(self, params, query, keys):
        raise NotImplementedError

    def _same_dims(self, query_dim, key_dim):
        if query_dim != key_dim:
            raise ValueError(f"the {self.name!r} score needs queries and keys of the same size, "
                             f"got query dim {query_dim} and key dim {key_dim}")


class DotScore(Score):
    """``q . k`` (Luong et al. 2015)."""
    name = "dot"

    def init(self, rng, query_dim, key_dim):
        self._same_dims(query_dim, key_dim)
        return {}

    def scores(self, params, query, keys):
        return dot_score(query, keys)


class ScaledDotScore(DotScore):
    """``q . k / sqrt(d)`` (Vaswani et al. 2017)."""
    name = "scaled_dot"

    def scores(self, params, query, keys):
        return scaled_dot_score(query, keys)


class GeneralScore(Score):
    """``q^T W k`` (Luong et al. 2015); weight ``kernel (dq, dk)``."""
    name = "general"

    def init(self, rng, query_dim, key_dim):
        return {"kernel": _glorot(rng, (query_dim, key_dim))}

    def scores(self, params, query, keys):
        return general_score(query, keys, params["kernel"])


class AdditiveScore(Score):
    """``v^T tanh(W1 q + W2 k)`` (Bahdanau et al. 2015); weights ``query_kernel``, ``key_kernel``, ``v``."""
    name = "additive"

    def init(self, rng, query_dim, key_dim):
        units = self.units or key_dim
        return {"query_kernel": _glorot(rng, (query_dim, units)),
                "key_kernel": _glorot(rng, (key_dim, units)), "v": _glorot(rng, (units,))}

    def scores(self, params, query, keys):
        return additive_score(query, keys, params["query_kernel"], params["key_kernel"], params["v"])


class ConcatScore(Score):
    """``v^T tanh(W [q; k])`` (Luong et al. 2015); weights ``kernel (dq + dk, units)``, ``v``."""
    name = "concat"

    def init(self, rng, query_dim, key_dim):
        units = self.units or key_dim
        return {"kernel": _glorot(rng, (query_dim + key_dim, units)), "v": _glorot(rng, (units,))}

    def scores(self, params, query, keys):
        return concat_score(query, keys, params["kernel"], params["v"])


SCORES = {cls.name: cls for cls in (DotScore, ScaledDotScore, GeneralScore, AdditiveScore, ConcatScore)}


def get_score(score, units=None, where="score"):
    """A ``Score`` for a name in ``SCORES`` ("dot", "scaled_dot", "general", "additive", "concat")."""
    if isinstance(score, Score):
        return score
    if isinstance(score, str) and score in SCORES:
        return SCORES[score](units)
    raise ValueError(f"{where}: unknown score {score!r}; expected one of {sorted(SCORES)} "
                     "or a Score instance")


# ---------------------------------------------------------------------------
# Attention over [query, value] or [query, value, key]
# ---------------------------------------------------------------------------
def _query_value_key_shapes(layer, input_shape):
    """Check [query, value(, key)] shapes, each (time, dim); return the three, key = value if absent."""
    if not isinstance(input_shape, list) or len(input_shape) not in (2, 3) or any(
            len(s) != 2 or s[-1] is None for s in input_shape):
        raise ValueError(f"{_where(layer)}: expected a list [query, value] or [query, value, key] "
                         f"of shapes (None, time, dim), got {show_shape(input_shape)}")
    query, value = input_shape[0], input_shape[1]
    key = input_shape[2] if len(input_shape) == 3 else value
    if value[0] is not None and key[0] is not None and value[0] != key[0]:
        raise ValueError(f"{_where(layer)}: value and key must have the same number of steps, "
                         f"got {show_shape(input_shape)}")
    return query, value, key


def _split_query_value_key(xs, mask):
    """(query, value, key, query mask, key mask); the key mask is the value's (and the key's) mask."""
    masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(xs)
    key = xs[2] if len(xs) == 3 else xs[1]
    return xs[0], xs[1], key, masks[0], _combine(*masks[1:])


def _query_mask(mask):
    return mask[0] if isinstance(mask, (list, tuple)) else None


class Attention(Layer):
    """Attention of a query sequence over a value sequence, with any score function.

    For each query step i, with keys k_j (default: the values) and values v_j:

        e_ij = score(q_i, k_j)              one of the scores below
        a_ij = softmax_j(e_ij)              masked keys (and, if causal, j > i) get a_ij = 0
        c_i  = sum_j a_ij v_j

    Scores (``score=``): "dot" ``q . k`` and "general" ``q^T W k`` and
    "concat" ``v^T tanh(W [q; k])`` (Luong et al. 2015, "Effective Approaches
    to Attention-based Neural Machine Translation"); "additive"
    ``v^T tanh(W1 q + W2 k)`` (Bahdanau et al. 2015, "Neural Machine
    Translation by Jointly Learning to Align and Translate"); "scaled_dot"
    ``q . k / sqrt(d)`` (Vaswani et al. 2017, "Attention Is All You Need").
    With "dot" it is ``keras.layers.Attention``; with "additive" it is
    ``keras.layers.AdditiveAttention`` plus the projections W1, W2 of the paper.

    Args:
        score: a name above or a ``Score`` instance (default "dot").
        units: hidden size of the "additive" and "concat" scores (default: key dim).
        causal: query step i sees only keys j <= i (decoder self-attention).
        return_attention_scores: also return the weights a.
        name: layer name.

    Input shape: a list ``[query (batch, Tq, dq), value (batch, Tv, dv)]`` or
        ``[query, value, key (batch, Tv, dk)]``; "dot" and "scaled_dot" need
        dq == dk.
    Output shape: ``(batch, Tq, dv)``; with ``return_attention_scores`` a list
        ``[context (batch, Tq, dv), weights (batch, Tq, Tv)]``.

    Weights: those of the score (none for "dot" and "scaled_dot").

    Masks: the value's mask (and key's, if given) removes keys; the context
    at a masked query step is 0 (as Keras does) and the query mask is passed on.

    Example:
        >>> context = Attention(score="additive")([decoder_states, encoder_states])
    """
    accepts_mask = True

    def __init__(self, score="dot", units=None, causal=False, return_attention_scores=False, name=None):
        super().__init__(name)
        self.score = get_score(score, units, _where(self))
        self.causal = bool(causal)
        self.return_attention_scores = bool(return_attention_scores)

    def init(self, rng, input_shape):
        query, value, key = _query_value_key_shapes(self, input_shape)
        try:
            params = self.score.init(rng, query[-1], key[-1])
        except ValueError as err:
            raise ValueError(f"{_where(self)}: {err}; inputs {show_shape(input_shape)}") from None
        context = (query[0], value[-1])
        return ([context, (query[0], key[0])] if self.return_attention_scores else context), params

    def apply(self, params, xs, mask=None):
        query, value, key, query_mask, key_mask = _split_query_value_key(xs, mask)
        scores = self.score.scores(params, query, key)                          # (batch, Tq, Tk)
        allowed = attention_mask(key_mask, self.causal, query.shape[1], key.shape[1])
        weights = masked_softmax(scores, allowed)                               # (batch, Tq, Tk)
        context = zero_masked_steps(anp.matmul(weights, value), query_mask)     # (batch, Tq, dv)
        return [context, weights] if self.return_attention_scores else context

    def compute_mask(self, x, mask):
        return [_query_mask(mask), None] if self.return_attention_scores else _query_mask(mask)


# ---------------------------------------------------------------------------
# Multi-head attention and positional encoding (Vaswani et al. 2017)
# ---------------------------------------------------------------------------
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


class MultiHeadAttention(Layer):
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
        use_bias: biases on the four projections (default True).
        causal: query step i sees only keys j <= i.
        return_attention_scores: also return the weights of every head.
        name: layer name.

    Input shape: ``[query (batch, Tq, dq), value (batch, Tv, dv)]`` or
        ``[query, value, key (batch, Tv, dk)]``.
    Output shape: ``(batch, Tq, dq)``; with ``return_attention_scores`` a list
        ``[output (batch, Tq, dq), weights (batch, H, Tq, Tv)]``.

    Weights, Keras's names and layout: ``query_kernel (dq, H, key_dim)``,
    ``query_bias (H, key_dim)``, ``key_kernel (dk, H, key_dim)``, ``key_bias``,
    ``value_kernel (dv, H, value_dim)``, ``value_bias (H, value_dim)``,
    ``output_kernel (H, value_dim, dq)``, ``output_bias (dq,)``.

    Masks: as ``Attention`` (Keras's layer leaves masked query steps as they
    are; here they are 0, like every sequence output of this module).
    """
    accepts_mask = True

    def __init__(self, num_heads, key_dim, value_dim=None, use_bias=True, causal=False,
                 return_attention_scores=False, name=None):
        super().__init__(name)
        self.num_heads = _positive_int(num_heads, _where(self), "num_heads")
        self.key_dim = _positive_int(key_dim, _where(self), "key_dim")
        self.value_dim = (self.key_dim if value_dim is None
                          else _positive_int(value_dim, _where(self), "value_dim"))
        self.use_bias = bool(use_bias)
        self.causal = bool(causal)
        self.return_attention_scores = bool(return_attention_scores)

    def init(self, rng, input_shape):
        query, value, key = _query_value_key_shapes(self, input_shape)
        h, dq = self.num_heads, query[-1]
        params = {}
        for part, dim, size in (("query", dq, self.key_dim), ("key", key[-1], self.key_dim),
                                ("value", value[-1], self.value_dim)):
            params[f"{part}_kernel"] = _glorot(rng, (dim, h, size))
            if self.use_bias:
                params[f"{part}_bias"] = np.zeros((h, size), config.floatx())
        params["output_kernel"] = _glorot(rng, (h, self.value_dim, dq))
        if self.use_bias:
            params["output_bias"] = np.zeros((dq,), config.floatx())
        out = (query[0], dq)
        return ([out, (h, query[0], key[0])] if self.return_attention_scores else out), params

    def apply(self, params, xs, mask=None):
        query, value, key, query_mask, key_mask = _split_query_value_key(xs, mask)
        q = _split_heads(query, params["query_kernel"], params.get("query_bias"))   # (batch, H, Tq, key_dim)
        k = _split_heads(key, params["key_kernel"], params.get("key_bias"))         # (batch, H, Tk, key_dim)
        v = _split_heads(value, params["value_kernel"], params.get("value_bias"))   # (batch, H, Tk, value_dim)
        allowed = attention_mask(key_mask, self.causal, query.shape[1], key.shape[1])
        allowed = None if allowed is None else allowed[:, None]                    # (batch | 1, 1, Tq, Tk)
        weights = masked_softmax(scaled_dot_score(q, k), allowed)                 # (batch, H, Tq, Tk)
        heads = anp.matmul(weights, v)                                             # (batch, H, Tq, value_dim)
        output = _merge_heads(heads, params["output_kernel"], params.get("output_bias"))   # (batch, Tq, dq)
        output = zero_masked_steps(output, query_mask)
        return [output, weights] if self.return_attention_scores else output

    def compute_mask(self, x, mask):
        return [_query_mask(mask), None] if self.return_attention_scores else _query_mask(mask)


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
        self.max_wavelength = float(max_wavelength)

    def init(self, rng, input_shape):
        _sequence_shape(self, input_shape)
        return tuple(input_shape), {}

    def apply(self, params, x):
        table = sinusoidal_encoding(x.shape[1], x.shape[2], self.max_wavelength)   # (T, d)
        return x + table.astype(x.dtype)


# ---------------------------------------------------------------------------
# Attention that pools a sequence
# ---------------------------------------------------------------------------
def _sequence_shape(layer, input_shape):
    """``(time, features)`` with features known, or a ValueError naming the layer and the shape."""
    if isinstance(input_shape, list) or len(input_shape) != 2 or input_shape[-1] is None:
        raise ValueError(f"{_where(layer)}: expected input of shape (None, time, features), got "
                         f"{show_shape(input_shape)}")
    return tuple(input_shape)


def _penalty_per_sample(attention):
    """``||A A^T - I||_F^2`` for each sample of A (batch, r, T)."""
    gram = anp.matmul(attention, anp.swapaxes(attention, 1, 2))     # (batch, r, r)
    return anp.sum((gram - np.eye(attention.shape[1], dtype=attention.dtype)) ** 2, axis=(1, 2))


def attention_penalty(attention):
    """Lin et al. 2017's penalty ``P = ||A A^T - I||_F^2``, averaged over the batch.

    It is 0 when the r rows of A are one-hot on different steps, and grows as
    rows overlap (the hops look at the same words) or spread out. Add it to
    the training loss with ``Model.add_loss``:

        >>> m, a = StructuredSelfAttention(da=16, r=4, return_attention=True)(h)
        >>> model = Model(inputs, Dense(1, activation="sigmoid")(Flatten()(m)))
        >>> model.add_loss(Lambda(attention_penalty)(a), weight=0.1)     # loss + 0.1 * P
    """
    return anp.mean(_penalty_per_sample(attention))


class StructuredSelfAttention(Layer):
    """Structured self-attention (Lin et al. 2017, "A Structured Self-Attentive Sentence Embedding").

        A = softmax(W_s2 tanh(W_s1 H^T))     (r, T): r "hops", each a distribution over the steps
        M = A H                               (r, F): one summary of the sequence per hop

    Train it with the penalty ``||A A^T - I||_F^2`` (``attention_penalty``,
    added by ``Model.add_loss``) so the hops look at different steps.

    Args:
        da: hidden size of the score network.
        r: number of hops (default 1).
        return_attention: also return A.
        name: layer name.

    Input shape: ``(batch, time, features)`` -- H, e.g. an LSTM's sequences.
    Output shape: ``(batch, r, features)`` (Flatten it for a Dense); with
        ``return_attention`` a list ``[M (batch, r, features), A (batch, r, time)]``.

    Weights: ``ws1 (features, da)`` and ``ws2 (da, r)``: the paper's W_s1 and
    W_s2 transposed, so that ``H @ ws1`` is Keras's layout.
    """
    accepts_mask = True

    def __init__(self, da, r=1, return_attention=False, name=None):
        super().__init__(name)
        self.da = _positive_int(da, _where(self), "da")
        self.r = _positive_int(r, _where(self), "r")
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = _sequence_shape(self, input_shape)
        params = {"ws1": _glorot(rng, (features, self.da)), "ws2": _glorot(rng, (self.da, self.r))}
        out = (self.r, features)
        return ([out, (self.r, time)] if self.return_attention else out), params

    def apply(self, params, x, mask=None):
        scores = anp.matmul(activations.tanh(anp.matmul(x, params["ws1"])), params["ws2"])  # (batch, T, r)
        allowed = None if mask is None else np.asarray(mask).astype(bool)[:, :, None]     # (batch, T, 1)
        a = anp.swapaxes(masked_softmax(scores, allowed, axis=1), 1, 2)       # (batch, r, T): softmax over T
        m = anp.matmul(a, x)                                                   # (batch, r, features)
        return [m, a] if self.return_attention else m

    def compute_mask(self, x, mask):
        return [None, None] if self.return_attention else None


class KeyValueAttention(Layer):
    """Key-value attention over a short window (Daniluk et al. 2017, "Frustratingly Short
    Attention Spans in Neural Language Modeling").

    Each hidden vector h_t is split in two halves, a key and a value:
    ``h_t = [k_t; v_t]``. Step t attends to the keys of the L = ``window``
    steps before it:

        e_ts = w^T tanh(W_y k_s + W_h k_t)        for s = t-L, ..., t-1
        a_t  = softmax_s(e_ts)
        r_t  = sum_s a_ts v_s                      the context of step t

    The first step has nothing before it: its weights and context are 0.

    Args:
        window: L, how many earlier steps each step looks at.
        units: hidden size of the score (default: the key size, features / 2).
        return_attention: also return the weights.
        name: layer name.

    Input shape: ``(batch, time, features)``, features even.
    Output shape: ``(batch, time, features / 2)``; with ``return_attention`` a
        list ``[contexts, weights (batch, time, time)]`` where ``weights[:, t, s]``
        is nonzero only for t - L <= s < t.

    Weights: ``memory_kernel (features/2, units)`` (W_y), ``query_kernel
    (features/2, units)`` (W_h), ``v (units,)`` (w).

    Masks: a masked step is never attended to, its context is 0, and the
    mask is passed on.
    """
    accepts_mask = True

    def __init__(self, window, units=None, return_attention=False, name=None):
        super().__init__(name)
        self.window = _positive_int(window, _where(self), "window")
        self.units = None if units is None else _positive_int(units, _where(self), "units")
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = _sequence_shape(self, input_shape)
        if features % 2:
            raise ValueError(f"{_where(self)}: features must be even to split into key and value "
                             f"halves, got input of shape {show_shape(input_shape)}")
        half = features // 2
        units = self.units or half
        params = {"memory_kernel": _glorot(rng, (half, units)), "query_kernel": _glorot(rng, (half, units)),
                  "v": _glorot(rng, (units,))}
        out = (time, half)
        return ([out, (time, time)] if self.return_attention else out), params

    def apply(self, params, x, mask=None):
        half, time = x.shape[2] // 2, x.shape[1]
        keys, values = x[:, :, :half], x[:, :, half:]                      # (batch, T, F/2) each
        scores = additive_score(keys, keys, params["query_kernel"], params["memory_kernel"],
                                params["v"])                               # (batch, T (t), T (s))
        lag = np.arange(time)[:, None] - np.arange(time)[None, :]          # (T, T): t - s
        in_window = ((lag >= 1) & (lag <= self.window))[None]              # (1, T, T)
        allowed = in_window if mask is None else in_window & attention_mask(mask)
        weights = masked_softmax(scores, allowed)                          # (batch, T, T)
        contexts = zero_masked_steps(anp.matmul(weights, values), mask)    # (batch, T, F/2)
        return [contexts, weights] if self.return_attention else contexts

    def compute_mask(self, x, mask):
        return [mask, None] if self.return_attention else mask


class AttentionWithContext(Layer):
    """Attention pooling with a learned context vector (Yang et al. 2016, "Hierarchical
    Attention Networks for Document Classification"), or the article's variant.

    The paper (``context=True``, the default):

        u_t = tanh(W h_t + b)                     (F,)
        a_t = exp(u_t . u_w) / sum_s exp(u_s . u_w)   one weight per step, sums to 1 over t
        s   = sum_t a_t h_t                       (F,)

    The article's Keras layer (``context=False``), as printed: it names the
    paper but never creates ``u_w``, and normalises each feature on its own:

        u_t = tanh(h_t W + b)                     (F,)
        a_t = exp(u_t) * mask_t / (sum_s exp(u_s) * mask_s + 1e-7)   (F,): element-wise
        s   = sum_t h_t * a_t                     (F,), element-wise product

    So the article's a is (time, F): for each feature f, ``a[:, f]`` sums to
    (almost) 1 over the steps, and a step may weigh a lot for one feature and
    little for another. There is no score per step, and the 1e-7 means even
    the per-feature sums are slightly below 1.

    Args:
        context: True for the paper's layer, False for the article's.
        use_bias: add b (default True, as both).
        return_attention: also return the weights.
        name: layer name.

    Input shape: ``(batch, time, features)``.
    Output shape: ``(batch, features)``; with ``return_attention`` a list
        ``[s, a]`` with a ``(batch, time)`` (paper) or ``(batch, time, features)``
        (article).

    Weights: ``kernel (F, F)`` (W, Keras layout), ``bias (F,)``, and for the
    paper ``context_vector (F,)`` (u_w).

    Masks: masked steps get weight exactly 0; the output has no mask.
    """
    accepts_mask = True

    def __init__(self, context=True, use_bias=True, return_attention=False, name=None):
        super().__init__(name)
        self.context = bool(context)
        self.use_bias = bool(use_bias)
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = _sequence_shape(self, input_shape)
        params = {"kernel": _glorot(rng, (features, features))}
        if self.use_bias:
            params["bias"] = np.zeros((features,), config.floatx())
        if self.context:
            params["context_vector"] = _glorot(rng, (features,))
        weights = (time,) if self.context else (time, features)
        return ([(features,), weights] if self.return_attention else (features,)), params

    def apply(self, params, x, mask=None):
        u = anp.matmul(x, params["kernel"])                      # (batch, T, F)
        if self.use_bias:
            u = u + params["bias"]
        u = activations.tanh(u)
        if self.context:
            a = masked_softmax(anp.matmul(u, params["context_vector"]), mask)   # (batch, T)
            s = anp.sum(x * a[:, :, None], axis=1)                               # (batch, F)
        else:
            a = _article_weights(u, mask)                                        # (batch, T, F)
            s = anp.sum(x * a, axis=1)                                           # (batch, F)
        return [s, a] if self.return_attention else s

    def compute_mask(self, x, mask):
        return [None, None] if self.return_attention else None


def _article_weights(u, mask):
    """The article's ``a = exp(u) * mask / (sum over steps + epsilon)``, per feature: (batch, T, F)."""
    a = anp.exp(u)                                              # u = tanh(...) in (-1, 1): no overflow
    if mask is not None:
        a = a * np.asarray(mask).astype(u.dtype)[:, :, None]   # the mask after exp, as printed
    return a / (anp.sum(a, axis=1, keepdims=True) + EPSILON)


def _normal(rng, shape, dtype):
    """Keras 2's "normal" initializer: N(0, 0.05^2)."""
    return (0.05 * rng.standard_normal(shape)).astype(dtype)


class AttentionPooling(Layer):
    """The article's simple attention layer (seed 003): one score per step, softmax, weighted sum.

        e_t = h_t . w                   (the printed code: ``squeeze(dot(x, W))``)
        a   = softmax_t(e)              one weight per step
        out = sum_t a_t h_t

    The article's layer also creates a bias ``b (time, 1)`` but never adds
    it. ``use_bias=False`` (default) is the layer as printed, without that
    unused weight; ``use_bias=True`` adds it, ``e_t = h_t . w + b_t``, which
    needs the number of steps to be known.

    Args:
        use_bias: add the per-step bias the printed code forgot.
        return_attention: also return the weights a.
        name: layer name.

    Input shape: ``(batch, time, features)``.
    Output shape: ``(batch, features)``; with ``return_attention`` a list
        ``[out, a (batch, time)]``.

    Weights: ``kernel (features, 1)`` (initialised N(0, 0.05^2), Keras 2's
    "normal", as the article) and with ``use_bias`` ``bias (time, 1)``.

    Masks: masked steps get weight exactly 0; the output has no mask.

    Example (the article's model):
        >>> h = LSTM(100, return_sequences=True)(Embedding(vocab, 128)(inputs))
        >>> out = Dense(1, activation="sigmoid")(AttentionPooling()(h))
    """
    accepts_mask = True

    def __init__(self, use_bias=False, return_attention=False, name=None):
        super().__init__(name)
        self.use_bias = bool(use_bias)
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = _sequence_shape(self, input_shape)
        params = {"kernel": _normal(rng, (features, 1), config.floatx())}
        if self.use_bias:
            if time is None:
                raise ValueError(f"{_where(self)}: use_bias=True needs a known number of steps "
                                 f"(one bias per step), got input of shape {show_shape(input_shape)}")
            params["bias"] = np.zeros((time, 1), config.floatx())
        return ([(features,), (time,)] if self.return_attention else (features,)), params

    def apply(self, params, x, mask=None):
        e = anp.matmul(x, params["kernel"])[:, :, 0]             # (batch, T, 1) -> (batch, T)
        if self.use_bias:
            e = e + params["bias"][:, 0]                          # (T,) broadcast over the batch
        a = masked_softmax(e, mask)                               # (batch, T)
        out = anp.sum(x * a[:, :, None], axis=1)                  # (batch, F)
        return [out, a] if self.return_attention else out

    def compute_mask(self, x, mask):
        return [None, None] if self.return_attention else None
