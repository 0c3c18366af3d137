"""The attention decoder's loop on the fast path: a few recorded ops per target step.

``AttentionDecoder.apply`` runs ``step`` once per target token, and each
step records about 60 small ops (the LSTM cell's gates one by one, the
score, the masked softmax, the context, the output softmax). This is the
same loop with

* the LSTM cell as one op (``cell.lstm_cell``);
* the additive and concat scores as one op, with the keys' projection
  ``k W2`` hoisted out of the loop (it is the same at every step); dot,
  scaled-dot and general scores as one ``einsum``;
* the global alignment's masked softmax as one op (``attention.masked_softmax``);
  hard attention takes its straight-through one-hot on top of it; local-p
  runs the layer's own ``align``;
* the context as one ``einsum``, the combination ``tanh([ctx; h] W_c)`` as one
  Dense op, and the output softmax -- which no later step reads -- computed
  for all steps at once after the loop, as one Dense op.

The numbers are ``apply``'s to float rounding (tests/test_fast.py). Greedy
decoding (``seq2seq.greedy_decode``) keeps using the readable ``step``.
"""
import autograd.numpy as anp
import numpy as np

from .. import activations as act
from ..layers.decoder import straight_through_hard
from ..layers.scores import AdditiveScore, ConcatScore, DotScore, GeneralScore, ScaledDotScore
from .attention import additive_scores, masked_softmax
from .cell import lstm_cell
from .dense import dense


def supports(layer):
    """The cell must be the usual sigmoid / tanh LSTM (it always is: ``AttentionDecoder`` makes it)."""
    return layer.cell.activation is act.tanh and layer.cell.recurrent_activation is act.sigmoid


def step_scores(score, params, keys):
    """``h -> scores (batch, Tx)`` for one decoder step, with whatever does not depend on h done once."""
    if isinstance(score, AdditiveScore):
        keys_projected = anp.matmul(keys, params["key_kernel"])            # (batch, Tx, units), once
        return lambda h: additive_scores(h, keys_projected, params["query_kernel"], params["v"])
    if isinstance(score, ConcatScore):                                   # [q; k] W = q W[:dq] + k W[dq:]
        dq = params["kernel"].shape[0] - keys.shape[-1]
        keys_projected = anp.matmul(keys, params["kernel"][dq:])
        return lambda h: additive_scores(h, keys_projected, params["kernel"][:dq], params["v"])
    if type(score) is DotScore:
        return lambda h: anp.einsum("bd,bsd->bs", h, keys)
    if type(score) is ScaledDotScore:
        scale = float(np.sqrt(keys.shape[-1]))
        return lambda h: anp.einsum("bd,bsd->bs", h, keys) / scale
    if type(score) is GeneralScore:
        return lambda h: anp.einsum("bd,bsd->bs", anp.dot(h, params["kernel"]), keys)
    return lambda h: score.scores(params, h[:, None, :], keys)[:, 0]      # a Score of your own


def run_decoder(layer, params, xs, mask=None):
    """``AttentionDecoder.apply``'s result (teacher forcing), computed as described above."""
    decoder_inputs, encoder_outputs = xs[0], xs[1]
    encoder_mask = mask[1] if isinstance(mask, (list, tuple)) else None
    allowed = None if encoder_mask is None else np.asarray(encoder_mask).astype(bool)
    h, c, h_tilde = layer.initial_states(encoder_outputs, *xs[2:4])
    cell = params["cell"]
    scores_of = step_scores(layer.score, params["score"], encoder_outputs)
    h_tildes, weights = [], []
    for t in range(decoder_inputs.shape[1]):
        x = anp.concatenate([decoder_inputs[:, t], h_tilde], axis=-1)                # (batch, E + u)
        states = lstm_cell(x, h, c, cell["kernel"], cell["recurrent_kernel"], cell["bias"])
        h, c = states[0], states[1]
        scores = scores_of(h)                                                         # (batch, Tx)
        if layer.attention == "local_p":
            a = layer.align(params, scores, h, encoder_mask)
        else:
            a = masked_softmax(scores, allowed)
            a = straight_through_hard(a) if layer.attention == "hard" else a
        context = anp.einsum("bs,bsd->bd", a, encoder_outputs)                        # (batch, dv)
        h_tilde = dense(anp.concatenate([context, h], axis=-1), params["combine_kernel"], None, act.tanh)
        h_tildes.append(h_tilde)
        weights.append(a)
    probs = dense(anp.stack(h_tildes, axis=1), params["output_kernel"], params["output_bias"],
                  act.softmax)                                                        # (batch, Ty, vocab)
    return [probs, anp.stack(weights, axis=1)] if layer.return_attention else probs
