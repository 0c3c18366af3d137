"""An LSTM decoder that reads an encoder's states through attention (Luong et al. 2015).

One decoder step, from the previous target token's embedding y_{t-1}, the
states (h, c) and the previous attentional state h~_{t-1} ("input feeding"):

    h_t, c_t = LSTMCell([y_{t-1}; h~_{t-1}], (h_{t-1}, c_{t-1}))
    e_ts     = score(h_t, hbar_s)                 any Score: additive, dot, general, concat
    a_t      = align(e_t)                         global / local_p / hard, below
    ctx_t    = sum_s a_ts hbar_s                  (dv,)
    h~_t     = tanh([ctx_t; h_t] W_c)             the attentional state
    p_t      = softmax(h~_t W_s + b_s)            (vocab,) the next token's distribution

This is Luong's order (query = the *new* state h_t), not Bahdanau's (query =
s_{t-1}, before the cell): with h_t as query the local-p position p_t can be
predicted from the same h_t, as in Luong's paper, and input feeding gives the
cell last step's alignment. ``step`` is a pure function of its arguments, so
teacher forcing (``apply``: the true y_{t-1} at every step) and greedy
decoding (``minattn.seq2seq.greedy_decode``: the model's own previous output)
run exactly the same code.

Alignments (``attention=``):

* ``"global"``: ``a_t = softmax_s(e_ts)`` over every real source position.
* ``"local_p"`` (Luong's local-p): ``p_t = S * sigmoid(v_p^T tanh(W_p h_t))``
  with S = (number of real source positions - 1), so p_t is a position in
  the sentence; ``a_ts = softmax_{|s - p_t| <= D}(e_ts) * exp(-(s - p_t)^2 / (2 (D/2)^2))``:
  only the window of 2D+1 positions around p_t, times a Gaussian centred on
  p_t. The window's edges pass no gradient (they are a hard choice); p_t
  learns through the Gaussian. As in the paper the weights sum to < 1.
* ``"hard"``: one source position, ``argmax_s softmax(e_t)``, trained with the
  straight-through estimator: the forward pass uses the one-hot vector, the
  backward pass uses the gradient of the soft weights as if they had been
  used (``a = soft + stop_gradient(one_hot - soft)``). We chose it over
  REINFORCE because it needs no sampling, no baseline and no reward
  variance, and trains in the same loop as soft attention. Its gradient is
  biased (the forward and backward functions differ), so it learns slower
  than soft attention; see docs/seq2seq.md for the comparison.
"""
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from .. import activations, config, initializers
from ..arguments import check_positive_int
from .attention import masked_softmax
from .base import Layer
from .recurrent import LSTM
from .scores import get_score
from .vocabulary import layer_label, show_shape

ALIGNMENTS = ("global", "local_p", "hard")


def local_p_position(h, position_kernel, position_v, source_lengths):
    """Luong's predicted position ``p_t = S * sigmoid(v_p^T tanh(W_p h_t))``, (batch,).

    ``S = source_lengths - 1``: p_t runs from position 0 to the last real position.
    """
    unit = activations.sigmoid(anp.dot(activations.tanh(anp.dot(h, position_kernel)), position_v))
    return (np.asarray(source_lengths, dtype=getval(unit).dtype) - 1.0) * unit     # in h's float type


def local_p_weights(scores, p, window, allowed=None):
    """Luong's local-p alignment over (batch, Tx) scores around positions ``p`` (batch,).

    ``softmax`` over the positions with ``|s - p| <= window`` (and ``allowed``),
    times ``exp(-(s - p)^2 / (2 (window / 2)^2))``; exactly 0 outside the window.
    """
    positions = np.arange(scores.shape[-1], dtype=getval(p).dtype)[None, :]   # (1, Tx), in p's float type
    distance = positions - p[:, None]                                    # (batch, Tx)
    in_window = np.abs(getval(distance)) <= window                       # a hard choice: no gradient
    if allowed is not None:
        in_window = in_window & np.asarray(allowed).astype(bool)
    sigma = window / 2.0
    gaussian = anp.exp(-(distance ** 2) / (2.0 * sigma * sigma))
    return masked_softmax(scores, in_window) * gaussian


def straight_through_hard(soft):
    """One-hot of ``argmax(soft)`` in the forward pass, the gradient of ``soft`` backwards.

    ``soft + stop_gradient(one_hot - soft)``: the value is the one-hot
    vector (up to rounding), the derivative is that of ``soft``. A row with
    every key masked (all of ``soft`` 0) stays all 0, as the soft weights do.
    """
    value = getval(soft)
    has_key = np.any(value > 0, axis=-1, keepdims=True)                 # (..., 1): False if all masked
    one_hot = ((np.arange(value.shape[-1]) == np.argmax(value, axis=-1)[..., None]) & has_key).astype(value.dtype)
    return soft + (one_hot - value)


class AttentionDecoder(Layer):
    """An LSTM decoder with attention over the encoder's states, Luong style, with input feeding.

    Per target step t (see the module docstring for the full formulas):
    ``h_t = LSTM([y_{t-1}; h~_{t-1}])``, ``a_t = align(score(h_t, hbar))``,
    ``h~_t = tanh([sum_s a_ts hbar_s; h_t] W_c)``, ``p_t = softmax(h~_t W_s + b_s)``.

    Args:
        units: size of h, c and h~.
        vocab_size: number of target tokens (the output's last axis).
        score: "additive" (default), "dot", "general", "concat", "scaled_dot"
            or a ``Score``; "dot" needs units == the encoder's output size.
        attention: "global" (default), "local_p" or "hard".
        score_units: hidden size of the additive and concat scores (default units).
        window: D, the half-width of the local-p window (default 3).
        return_attention: also return the weights (batch, Ty, Tx).
        name: layer name.

    Call arguments: ``inputs`` (the list below); ``mask``, a list with one
    mask (or None) per input -- the encoder outputs' removes source steps --
    replacing the inputs' own masks; ``training``, accepted as in Keras
    (nothing to switch).

    Input shape: a list ``[decoder_inputs (Ty, E), encoder_outputs (Tx, dv)]``
        or ``[decoder_inputs, encoder_outputs, h0 (units,), c0 (units,)]``;
        decoder_inputs are the embedded targets shifted right (start token
        first). The encoder outputs' mask (from ``Embedding(mask_zero=True)``)
        removes the padded source positions.
    Output shape: ``(Ty, vocab_size)`` probabilities; with
        ``return_attention`` ``[probabilities, weights (Ty, Tx)]``.

    Weights: ``cell``: ``{kernel (E + units, 4 units), recurrent_kernel, bias}``
    (the LSTM cell's, Keras layout, gates i, f, c, o); ``score``: the score's
    own weights (``{}`` for "dot"), nested as Bidirectional nests its layers';
    then ``combine_kernel (dv + units, units)`` = W_c;
    ``output_kernel (units, vocab)``, ``output_bias (vocab,)`` = W_s, b_s; with
    local_p also ``position_kernel (units, units)`` = W_p, ``position_v (units,)``.

    Example:
        >>> probs, weights = AttentionDecoder(64, 13, return_attention=True)([y_embedded, encoded, h, c])
    """
    accepts_mask = True

    def __init__(self, units, vocab_size, score="additive", attention="global", score_units=None,
                 window=3, return_attention=False, name=None):
        super().__init__(name)
        where = layer_label(self)
        self.units = check_positive_int(units, f"{where}: units")
        self.vocab_size = check_positive_int(vocab_size, f"{where}: vocab_size")
        score_units = self.units if score_units is None else check_positive_int(score_units, f"{where}: score_units")
        self.score = get_score(score, score_units, where)
        if attention not in ALIGNMENTS:
            raise ValueError(f"{where}: attention must be one of {list(ALIGNMENTS)}, got {attention!r}")
        self.attention = attention
        self.window = check_positive_int(window, f"{where}: window")
        self.return_attention = bool(return_attention)
        self.cell = LSTM(self.units, name=f"{self.name}_cell")     # only its step() is used

    # -- shapes and weights --------------------------------------------------
    def init(self, rng, input_shape):
        where = layer_label(self)
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 4) or any(
                len(s) != 2 or s[-1] is None for s in input_shape[:2]):
            raise ValueError(f"{where}: expected [decoder_inputs (None, Ty, E), encoder_outputs "
                             f"(None, Tx, dv)] (+ [h0, c0]), got {show_shape(input_shape)}")
        if len(input_shape) == 4 and any(tuple(s) != (self.units,) for s in input_shape[2:]):
            raise ValueError(f"{where}: h0 and c0 must have shape (None, {self.units}), got "
                             f"{show_shape(input_shape[2:])}")
        (ty, emb), (tx, dv) = input_shape[0], input_shape[1]
        u, dtype = self.units, config.floatx()
        _, cell = self.cell.init(rng, (ty, emb + u))
        try:
            score = self.score.init(rng, u, dv)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        params = {"cell": cell, "score": score}       # the sub-parts' weights, nested as theirs
        params["combine_kernel"] = initializers.glorot_uniform(rng, (dv + u, u), dtype)
        params["output_kernel"] = initializers.glorot_uniform(rng, (u, self.vocab_size), dtype)
        params["output_bias"] = np.zeros(self.vocab_size, dtype)
        if self.attention == "local_p":
            params["position_kernel"] = initializers.glorot_uniform(rng, (u, u), dtype)
            params["position_v"] = initializers.glorot_uniform(rng, (u,), dtype)
        out = (ty, self.vocab_size)
        return ([out, (ty, tx)] if self.return_attention else out), params

    def initial_states(self, encoder_outputs, h0=None, c0=None):
        """[h, c, h~] at the start: the given h0, c0 (zeros if None) and h~ = 0."""
        zeros = np.zeros((encoder_outputs.shape[0], self.units), dtype=getval(encoder_outputs).dtype)
        return [zeros if h0 is None else h0, zeros if c0 is None else c0, zeros]

    # -- the maths -------------------------------------------------------------
    def step(self, params, y_prev, states, encoder_outputs, encoder_mask=None):
        """One decoder step; pure: the same arguments always give the same results.

        Args:
            y_prev: the previous token's embedding, (batch, E).
            states: [h, c, h~], each (batch, units).
            encoder_outputs: hbar, (batch, Tx, dv).
            encoder_mask: bool (batch, Tx), False where the source is padding
                (or, in monotonic decoding, before the previous alignment); or None.

        Returns:
            ``(probabilities (batch, vocab), [h, c, h~], weights (batch, Tx))``.
        """
        h, c, h_tilde = states
        x = anp.concatenate([y_prev, h_tilde], axis=-1)                          # (batch, E + u)
        cell = params["cell"]
        h, c = self.cell.step(cell, anp.dot(x, cell["kernel"]) + cell["bias"], [h, c])
        scores = self.score.scores(params["score"], h[:, None, :], encoder_outputs)[:, 0]   # (batch, Tx)
        weights = self.align(params, scores, h, encoder_mask)                   # (batch, Tx)
        context = anp.sum(weights[:, :, None] * encoder_outputs, axis=1)       # (batch, dv)
        h_tilde = activations.tanh(anp.dot(anp.concatenate([context, h], axis=-1), params["combine_kernel"]))
        logits = anp.dot(h_tilde, params["output_kernel"]) + params["output_bias"]
        return activations.softmax(logits), [h, c, h_tilde], weights

    def align(self, params, scores, h, allowed=None):
        """Scores (batch, Tx) -> attention weights (batch, Tx), for ``self.attention``."""
        if self.attention == "local_p":
            if allowed is None:
                lengths = np.full(scores.shape[0], scores.shape[-1])
            else:              # up to the last allowed position (monotonic decoding cuts the front)
                allowed = np.asarray(allowed).astype(bool)
                lengths = allowed.shape[-1] - np.argmax(allowed[:, ::-1], axis=-1)
            p = local_p_position(h, params["position_kernel"], params["position_v"], lengths)
            return local_p_weights(scores, p, self.window, allowed)
        soft = masked_softmax(scores, allowed)
        return straight_through_hard(soft) if self.attention == "hard" else soft

    def apply(self, params, xs, mask=None):
        """Teacher forcing: ``step`` over the given (true, shifted) decoder inputs."""
        decoder_inputs, encoder_outputs = xs[0], xs[1]
        encoder_mask = mask[1] if isinstance(mask, (list, tuple)) else None
        states = self.initial_states(encoder_outputs, *xs[2:4])
        probs, weights = [], []
        for t in range(decoder_inputs.shape[1]):
            p, states, a = self.step(params, decoder_inputs[:, t], states, encoder_outputs, encoder_mask)
            probs.append(p)
            weights.append(a)
        probs = anp.stack(probs, axis=1)                                        # (batch, Ty, vocab)
        return [probs, anp.stack(weights, axis=1)] if self.return_attention else probs   # (batch, Ty, Tx)

    def compute_mask(self, x, mask):
        return [None, None] if self.return_attention else None
