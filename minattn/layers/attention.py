"""The attention family, and its core. Every mechanism is the same three steps

    scores   e = score(query, keys)          (batch, Tq, Tk)   how well each key fits each query
    weights  a = softmax(e) over the keys    (batch, Tq, Tk)   masked keys get exactly 0
    context  c = a @ values                  (batch, Tq, dv)   the weighted average of the values

and the mechanisms differ only in the score and in what plays query, key
and value. Read this module first: the masked softmax and the masks, then
``Attention`` (any score over [query, value, key]). Then, in this order:

* ``scores.py``: the five score functions (each a plain function of arrays,
  then a ``Score`` object holding its weights);
* ``multihead.py``: ``MultiHeadAttention`` and ``PositionalEncoding``
  (Vaswani et al. 2017);
* ``attention_pooling.py``: attention over one sequence with no query
  given: the layers that pool it into one vector or a few,
  ``StructuredSelfAttention`` (Lin et al. 2017), ``AttentionWithContext``
  (Yang et al. 2016) and ``AttentionPooling`` (the article's layer), and
  ``KeyValueAttention`` (Daniluk et al. 2017) over a short window.

``docs/attention.md`` shows each one beside its paper's formula.

Masks: a boolean (batch, time) mask marks the real steps (False = padding).
A masked key gets weight exactly 0, the weights of the real keys sum to 1,
and a query with no key left to attend to gets all-zero weights (never NaN).
A layer with a sequence output sets its output to 0 at masked query steps
and passes the query mask on; a pooled output has no mask.
"""
import autograd.numpy as anp
import numpy as np

from .. import activations
from .base import Layer
from .scores import get_score
from .vocabulary import (check_input_arrays, layer_label, query_mask, query_value_key_shapes, show_shape,
                         split_query_value_key)

MASK_VALUE = -1e9          # a score that softmax turns into exactly 0 (exp underflows)


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


def given_attention_mask(layer, attention_mask, query, key):
    """Keras's ``attention_mask=``: a (batch, Tq, Tk) array, True where query i may attend to key j.

    Returned as booleans; any other shape (it is never broadcast) or a value
    other than 0 / 1 is a ValueError naming ``layer``.
    """
    if attention_mask is None:
        return None
    allowed = np.asarray(attention_mask)
    expected = (query.shape[0], query.shape[1], key.shape[1])
    if allowed.shape != expected:
        raise ValueError(f"{layer_label(layer)}: attention_mask has shape {allowed.shape}; expected "
                         f"(batch, Tq, Tk) = {expected}")
    if allowed.dtype != bool and not np.isin(allowed, (0, 1)).all():
        raise ValueError(f"{layer_label(layer)}: attention_mask must hold booleans or 0 / 1")
    return allowed.astype(bool)


def zero_masked_steps(x, mask):
    """``x`` (batch, time, ...) with the steps where ``mask`` is False set to 0."""
    if mask is None:
        return x
    keep = np.asarray(mask).astype(bool).reshape(np.shape(mask) + (1,) * (anp.ndim(x) - 2))
    return anp.where(keep, x, 0.0)


class ReturnsScores:
    """``return_attention_scores`` at the call, for ``Attention`` and ``MultiHeadAttention``.

    The constructor's ``return_attention_scores`` is the default; a call's
    argument wins. The weights' shape is ``weights_heads + (Tq, Tk)``.
    """
    weights_heads = ()

    def returns_scores(self, return_attention_scores=None):
        """Whether a call returns the weights too: the call's argument, else the constructor's."""
        chosen = return_attention_scores
        return self.return_attention_scores if chosen is None else bool(chosen)

    def call_output_shape(self, input_shape, output_shape, call):
        """``init``'s shape (for the constructor's setting) turned into this call's."""
        built_with, wanted = self.return_attention_scores, self.returns_scores(call.get("return_attention_scores"))
        if wanted == built_with:
            return output_shape
        if not wanted:
            return output_shape[0]
        return [output_shape, tuple(self.weights_heads) + (input_shape[0][0], input_shape[-1][0])]

    def compute_mask(self, x, mask):
        return self.call_compute_mask(x, mask, {})

    def call_compute_mask(self, x, mask, call):
        """The query's mask on the output; none on the weights."""
        scores = self.returns_scores(call.get("return_attention_scores"))
        return [query_mask(mask), None] if scores else query_mask(mask)


# ---------------------------------------------------------------------------
# Attention over [query, value] or [query, value, key]
# ---------------------------------------------------------------------------
class Attention(ReturnsScores, Layer):
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
        causal: query step i sees only keys j <= i (decoder self-attention); a
            shorthand for calling with ``use_causal_mask=True`` every time.
        return_attention_scores: also return the weights a (a shorthand for the
            call argument of the same name).
        name: layer name.

    Call arguments (Keras 3's ``Attention.call``):
        inputs: ``[query, value]`` or ``[query, value, key]``.
        mask: ``[query_mask, value_mask]`` (or with ``key_mask``), boolean
            (batch, Tq) and (batch, Tv), False at padding; replaces the masks
            the inputs carry. None: the inputs' own masks.
        training: accepted as in Keras; this layer has no dropout to switch.
        return_attention_scores: return ``[context, weights]`` (default: the
            constructor's ``return_attention_scores``).
        use_causal_mask: query i sees only keys j <= i (default: the
            constructor's ``causal``).

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
        >>> context, weights = Attention()([q, v], mask=[None, key_mask], return_attention_scores=True)
    """
    accepts_mask = True
    call_keywords = ("return_attention_scores", "use_causal_mask")

    def __init__(self, score="dot", units=None, causal=False, return_attention_scores=False, name=None):
        super().__init__(name)
        self.score = get_score(score, units, layer_label(self))
        self.causal = bool(causal)
        self.return_attention_scores = bool(return_attention_scores)

    def init(self, rng, input_shape):
        query, value, key = query_value_key_shapes(self, input_shape)
        try:
            params = self.score.init(rng, query[-1], key[-1])
        except ValueError as err:
            raise ValueError(f"{layer_label(self)}: {err}; inputs {show_shape(input_shape)}") from None
        context = (query[0], value[-1])
        return ([context, (query[0], key[0])] if self.return_attention_scores else context), params

    def apply(self, params, xs, mask=None, return_attention_scores=None, use_causal_mask=None):
        """``context`` (or ``[context, weights]``); the two call arguments default to the constructor's."""
        check_input_arrays(self, xs, ["query", "value", "key"])
        causal = self.causal if use_causal_mask is None else bool(use_causal_mask)
        query, value, key, query_mask, key_mask = split_query_value_key(xs, mask)
        scores = self.score.scores(params, query, key)                          # (batch, Tq, Tk)
        allowed = attention_mask(key_mask, causal, query.shape[1], key.shape[1])
        weights = masked_softmax(scores, allowed)                               # (batch, Tq, Tk)
        context = zero_masked_steps(anp.matmul(weights, value), query_mask)     # (batch, Tq, dv)
        return [context, weights] if self.returns_scores(return_attention_scores) else context
