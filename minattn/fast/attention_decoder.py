"""AttentionDecoder as a record: teacher forcing over every target step, and its backward.

The readable maths is ``layers.decoder.AttentionDecoder.step``. Per step t, forward:

    h_t, c_t = LSTM step of [y_{t-1}; h~_{t-1}; 1; h_{t-1}]     ``lstm.lstm_step``, unit-major
    e_t      = score(h_t, hbar)                                  ``attention_scores.ScoreKeys``
    a_t      = align(e_t)                                        global | local_p | hard (below)
    ctx_t    = sum_s a_ts hbar_s ;  h~_t = tanh([ctx_t; h_t] W_c)
and after the loop, for every step at once, p = softmax(h~ W_s + b_s).

Backward, step t from last to first, with dh~_t = (from p) + (from step t+1's input):

    dP = dh~ (1 - h~^2) ;  [dctx; dh] = dP W_c^T ;  da = hbar dctx (+ d of the returned weights)
    de = align's backward (softmax's Jacobian; local-p's Gaussian and p_t too)
    dh += score's backward ;  then ``lstm.lstm_step_back`` gives d[y_{t-1}; h~_{t-1}] and dh_{t-1}.

W_c's and W_s's gradients, and the cell's ([W; b; U], ``lstm.stacked_weight_grads``), are one
product each over all steps. Covers every score of ``layers/scores.py``, every alignment
(global, local_p, hard: straight-through, as the readable layer), the encoder outputs' mask,
given or zero initial states, ``return_attention``. A ``Score`` of the user's own (a subclass)
is not covered: its ``apply`` runs, differentiated by autograd.
"""
import numpy as np

from .. import activations as act
from ..layers.attention import MASK_VALUE
from ..layers.decoder import AttentionDecoder
from .attention_scores import SCORE_KINDS, ScoreKeys
from .elementwise import activate, activation_vjp, np_sigmoid
from .lstm import is_usual, lstm_step, lstm_step_back, stacked_weight_grads, stacked_weights, \
    step_factors, step_weights_of
from .record import Record


def masked_softmax(scores, allowed):
    """Softmax over the last axis, exactly 0 where ``allowed`` (bool, or None: all) is False."""
    if allowed is None:
        return activate(act.softmax, scores)
    return np.where(allowed, activate(act.softmax, np.where(allowed, scores, MASK_VALUE)), 0.0)


# -- the alignments: scores (B, Tx) -> weights (B, Tx), and back ----------------------------------
def align_forward(layer, params, scores, h, allowed):
    """``AttentionDecoder.align`` in NumPy: the weights and what ``align_backward`` needs."""
    if layer.attention != "local_p":
        soft = masked_softmax(scores, allowed)
        if layer.attention == "global":
            return soft, soft
        has_key = np.any(soft > 0, axis=-1, keepdims=True)            # a row all masked stays 0
        one_hot = (np.arange(soft.shape[-1]) == np.argmax(soft, axis=-1)[:, None]) & has_key
        return soft + (one_hot.astype(soft.dtype) - soft), soft      # straight through: value one-hot
    lengths = scores.shape[-1] if allowed is None else \
        allowed.shape[-1] - np.argmax(allowed[:, ::-1], axis=-1)      # up to the last allowed position
    hidden = np.tanh(np.dot(h, params["position_kernel"]))           # tanh(W_p h): (B, u)
    unit = np_sigmoid(np.dot(hidden, params["position_v"]))          # (B,)
    span = (np.asarray(lengths, dtype=unit.dtype) - 1.0) * np.ones_like(unit)   # S
    distance = np.arange(scores.shape[-1], dtype=unit.dtype)[None, :] - (span * unit)[:, None]
    in_window = np.abs(distance) <= layer.window
    if allowed is not None:
        in_window &= allowed
    sigma = layer.window / 2.0
    gaussian = np.exp(-(distance ** 2) / (2.0 * sigma * sigma))
    soft = masked_softmax(scores, in_window)
    return soft * gaussian, (soft, gaussian, distance, span, unit, hidden)


def align_backward(layer, params, h, kept, d_weights, d_params):
    """(d scores (B, Tx), d h (B, u) or None) from d weights; local-p's weights' gradients add up."""
    if layer.attention != "local_p":                                  # hard: the soft weights' gradient
        return activation_vjp(act.softmax, kept, d_weights), None
    soft, gaussian, distance, span, unit, hidden = kept
    sigma2 = (layer.window / 2.0) ** 2
    d_gaussian = d_weights * soft
    d_scores = activation_vjp(act.softmax, soft, d_weights * gaussian)
    d_p = np.sum(d_gaussian * gaussian * distance, axis=-1) / sigma2                # (B,)
    d_z = d_p * span * unit * (1.0 - unit)                                           # through S sigmoid
    d_params["position_v"] += np.dot(hidden.T, d_z)
    d_pre = d_z[:, None] * params["position_v"] * (1.0 - hidden * hidden)           # (B, u)
    d_params["position_kernel"] += np.dot(h.T, d_pre)
    return d_scores, np.dot(d_pre, params["position_kernel"].T)


# -- the record --------------------------------------------------------------------------------
def _cell(layer, params):
    """[W; b; U] in the LSTM record's layout, and the settings ``lstm_step`` takes."""
    cell = params["cell"]
    stacked = stacked_weights(cell["kernel"], cell["recurrent_kernel"], cell.get("bias"))
    usual = is_usual(layer.cell.activation, layer.cell.recurrent_activation)
    return stacked, (layer.cell.activation, layer.cell.recurrent_activation, usual)


def _loop_buffers(x, stacked, u):
    """The LSTM record's buffers for every step: ``xh`` (Ty + 1, rows, B), each block
    [y_{t-1}; h~_{t-1}; 1; h_{t-1}] with y, the bias's 1 and h0 filled in (h~_0 = 0), and
    ``blocks`` (Ty + 1, 5u, B), c0 in the first block's c rows."""
    batch, steps, emb = x[0].shape
    xh = np.zeros((steps + 1, len(stacked), batch), dtype=stacked.dtype)
    xh[:steps, :emb] = x[0].transpose(1, 2, 0)
    if len(stacked) > emb + 2 * u:                                       # a bias: its input row
        xh[:, emb + u] = 1.0
    blocks = np.empty((steps + 1, 5 * u, batch), dtype=stacked.dtype)   # (o, i, f, g, c_{t-1}) per step
    if len(x) == 4:
        xh[0, -u:], blocks[0, 4 * u:] = x[2].T, x[3].T
    else:
        blocks[0, 4 * u:] = 0.0
    return xh, blocks


def forward(layer, params, x, mask=None):
    """``AttentionDecoder.apply``'s output (teacher forcing); saved: every step's values."""
    keys, u = x[1], layer.units
    batch, steps, emb = x[0].shape
    allowed = mask[1] if isinstance(mask, (list, tuple)) else None
    allowed = None if allowed is None else np.asarray(allowed).astype(bool)
    stacked, settings = _cell(layer, params)
    xh, blocks = _loop_buffers(x, stacked, u)
    act_cs, products = np.empty((steps, u, batch), stacked.dtype), np.empty((2 * u, batch), stacked.dtype)
    step_w, score = step_weights_of(stacked, u, settings[2]), ScoreKeys(layer.score, params["score"], keys)
    weights, per_step = np.empty((batch, steps, keys.shape[1]), keys.dtype), []
    for t in range(steps):
        lstm_step(t, step_w, xh, blocks, act_cs, products, settings)
        h = np.ascontiguousarray(xh[t + 1, -u:].T)                       # (B, u)
        scores, score_kept = score.forward(h)
        weights[:, t], align_kept = align_forward(layer, params, scores, h, allowed)
        context = np.matmul(weights[:, t, None, :], keys)[:, 0]         # (B, dv)
        joined = np.concatenate([context, h], axis=-1)                   # [ctx; h]
        h_tilde = np.tanh(np.dot(joined, params["combine_kernel"]))      # (B, u)
        xh[t + 1, emb:emb + u] = h_tilde.T                               # input feeding
        per_step.append((h, score_kept, align_kept, joined, h_tilde))
    h_tildes = xh[1:, emb:emb + u].transpose(2, 0, 1)                    # (B, Ty, u)
    probs = activate(act.softmax, np.dot(h_tildes, params["output_kernel"]) + params["output_bias"])
    saved = (len(x), keys, xh, blocks, act_cs, stacked, settings, score, weights, per_step, probs)
    return ([probs, weights] if layer.return_attention else probs), saved


def _output_backward(params, probs, h_tildes, g_probs, d_params):
    """d loss / d every h~ (B, Ty, u) from p = softmax(h~ W_s + b_s); W_s's, b_s's gradients."""
    d_logits = np.zeros_like(probs) if g_probs is None else activation_vjp(act.softmax, probs, g_probs)
    u, vocab = h_tildes.shape[-1], probs.shape[-1]
    d_params["output_kernel"] = np.dot(h_tildes.reshape(-1, u).T, d_logits.reshape(-1, vocab))
    d_params["output_bias"] = d_logits.sum(axis=(0, 1))
    return np.dot(d_logits, params["output_kernel"].T)                   # (B, Ty, u)


def _attention_backward(layer, params, keys, weights, kept, d_pre, g_weights, score, d_keys, d_params):
    """d loss / d h_t (B, u) from dP, d loss / d h~_t's pre-activation, through W_c, the context,
    the alignment and the score; hbar's and the weights' gradients add up."""
    h, score_kept, align_kept = kept
    d_joined = np.dot(d_pre, params["combine_kernel"].T)                 # [dctx; dh]
    d_context, dh = d_joined[:, :keys.shape[-1]], d_joined[:, keys.shape[-1]:]
    d_weights = np.matmul(keys, d_context[:, :, None])[:, :, 0]          # (B, Tx)
    if g_weights is not None:
        d_weights = d_weights + g_weights
    d_keys += weights[:, :, None] * d_context[:, None, :]
    d_scores, dh_align = align_backward(layer, params, h, align_kept, d_weights, d_params)
    dh = dh + score.backward(h, score_kept, d_scores)
    return dh if dh_align is None else dh + dh_align


def backward(layer, params, saved, g, wanted):
    n_inputs, keys, xh, blocks, act_cs, stacked, settings, score, weights, per_step, probs = saved
    g_probs, g_weights = (g if layer.return_attention else (g, None))
    steps, rows, batch = xh.shape[0] - 1, xh.shape[1], keys.shape[0]
    u = layer.units
    emb = rows - 2 * u - (params["cell"].get("bias") is not None)
    d_params = {name: np.zeros_like(params[name]) for name in ("position_kernel", "position_v") if name in params}
    d_h_tilde_out = _output_backward(params, probs, xh[1:, emb:emb + u].transpose(2, 0, 1), g_probs, d_params)
    gates = blocks[:steps, :4 * u]
    dz_steps = np.empty(gates.shape, dtype=gates.dtype)                   # dz, (Ty, 4u, B)
    dc_from_dh = step_factors(gates, blocks[:, 4 * u:], act_cs, settings[0], settings[1], dz_steps)
    d_inputs = np.empty((steps, rows, batch), dtype=gates.dtype)          # d[y_{t-1}; h~_{t-1}; 1; h_{t-1}]
    d_pres, d_keys = np.empty((batch, steps, u), gates.dtype), np.zeros_like(keys)
    dh_carry, dc = np.zeros((u, batch), gates.dtype), np.zeros((u, batch), gates.dtype)   # at h_t, c_t
    d_h_tilde_next = 0.0                                                 # from step t+1's input
    for t in reversed(range(steps)):
        h, score_kept, align_kept, _, h_tilde = per_step[t]
        d_pres[:, t] = (d_h_tilde_out[:, t] + d_h_tilde_next) * (1.0 - h_tilde * h_tilde)   # dP
        dh = _attention_backward(layer, params, keys, weights[:, t], (h, score_kept, align_kept), d_pres[:, t],
                                 None if g_weights is None else g_weights[:, t], score, d_keys, d_params)
        dh_carry, dc = lstm_step_back(t, dh.T + dh_carry, dc, dz_steps, dc_from_dh, stacked, d_inputs,
                                      gates[:, 2 * u:3 * u])
        d_h_tilde_next = d_inputs[t, emb:emb + u].T
    joined = np.stack([kept[3] for kept in per_step], axis=1).reshape(batch * steps, -1)   # [ctx; h]
    d_params["combine_kernel"] = np.dot(joined.T, d_pres.reshape(-1, u))
    d_kernel, d_bias, d_recurrent = stacked_weight_grads(xh, dz_steps, emb + u, rows > emb + 2 * u)
    d_params["cell"] = {"kernel": d_kernel, "recurrent_kernel": d_recurrent}
    if d_bias is not None:
        d_params["cell"]["bias"] = d_bias
    d_keys_score, d_params["score"] = score.grads()
    dx = [d_inputs[:, :emb].transpose(2, 0, 1), d_keys + d_keys_score, dh_carry.T, dc.T][:n_inputs]
    return [d if want else None for d, want in zip(dx, wanted)], {name: d_params[name] for name in params}


def supports(layer):
    """The five scores of ``layers/scores.py``, exactly those classes (a subclass may change the maths)."""
    return type(layer.score) in SCORE_KINDS


RECORDS = {AttentionDecoder: Record(forward, backward, supports, takes_list=True)}
