"""Attention over one sequence with no query given: pooling, and key-value attention.

Read last, after ``attention.py``, ``scores.py`` and ``multihead.py``. The
same three steps (score, masked softmax, weighted sum), with the scores made
from the sequence itself (batch, time, features). ``StructuredSelfAttention``
(Lin et al. 2017, with its ``attention_penalty``), ``AttentionWithContext``
(Yang et al. 2016, or the article's variant) and ``AttentionPooling`` (the
article's layer) pool the sequence into one vector or a few;
``KeyValueAttention`` (Daniluk et al. 2017) gives each step a context from
the few steps before it.
"""
import autograd.numpy as anp
import numpy as np

from .. import activations, config
from ..arguments import check_positive_int
from ..initializers import glorot_uniform
from .attention import attention_mask, masked_softmax, zero_masked_steps
from .base import Layer
from .scores import additive_score
from .vocabulary import layer_label, sequence_shape, show_shape



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

    Call arguments: ``inputs``; ``mask``, boolean (batch, time), False at
    padding, replacing the input's own mask (None: keep it); ``training``,
    accepted as in Keras (this layer has nothing to switch).

    Input shape: ``(batch, time, features)`` -- H, e.g. an LSTM's sequences.
    Output shape: ``(batch, r, features)`` (Flatten it for a Dense); with
        ``return_attention`` a list ``[M (batch, r, features), A (batch, r, time)]``.

    Weights: ``ws1 (features, da)`` and ``ws2 (da, r)``: the paper's W_s1 and
    W_s2 transposed, so that ``H @ ws1`` is Keras's layout.
    """
    accepts_mask = True

    def __init__(self, da, r=1, return_attention=False, name=None):
        super().__init__(name)
        self.da = check_positive_int(da, f"{layer_label(self)}: da")
        self.r = check_positive_int(r, f"{layer_label(self)}: r")
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = sequence_shape(self, input_shape)
        params = {"ws1": glorot_uniform(rng, (features, self.da)), "ws2": glorot_uniform(rng, (self.da, self.r))}
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

    Call arguments: ``inputs``; ``mask``, boolean (batch, time), False at
    padding, replacing the input's own mask (None: keep it); ``training``,
    accepted as in Keras (this layer has nothing to switch).

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
        self.window = check_positive_int(window, f"{layer_label(self)}: window")
        self.units = None if units is None else check_positive_int(units, f"{layer_label(self)}: units")
        self.return_attention = bool(return_attention)

    def init(self, rng, input_shape):
        time, features = sequence_shape(self, input_shape)
        if features % 2:
            raise ValueError(f"{layer_label(self)}: features must be even to split into key and value "
                             f"halves, got input of shape {show_shape(input_shape)}")
        half = features // 2
        units = self.units or half
        params = {"memory_kernel": glorot_uniform(rng, (half, units)), "query_kernel": glorot_uniform(rng, (half, units)),
                  "v": glorot_uniform(rng, (units,))}
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

    Call arguments: ``inputs``; ``mask``, boolean (batch, time), False at
    padding, replacing the input's own mask (None: keep it); ``training``,
    accepted as in Keras (this layer has nothing to switch).

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
        time, features = sequence_shape(self, input_shape)
        params = {"kernel": glorot_uniform(rng, (features, features))}
        if self.use_bias:
            params["bias"] = np.zeros((features,), config.floatx())
        if self.context:
            params["context_vector"] = glorot_uniform(rng, (features,))
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
    return a / (anp.sum(a, axis=1, keepdims=True) + config.EPSILON)     # Keras's K.epsilon()


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

    Call arguments: ``inputs``; ``mask``, boolean (batch, time), False at
    padding, replacing the input's own mask (None: keep it); ``training``,
    accepted as in Keras (this layer has nothing to switch).

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
        time, features = sequence_shape(self, input_shape)
        params = {"kernel": _normal(rng, (features, 1), config.floatx())}
        if self.use_bias:
            if time is None:
                raise ValueError(f"{layer_label(self)}: use_bias=True needs a known number of steps "
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
