"""The GRU as a record: its loop over all time steps, and backpropagation through time, by hand.

Time-major inside (arrays over all steps are (time, batch, ...)); gates in
Keras's order z, r, h. ``GRU_RECORD`` covers every ``GRU`` whose activations
``elementwise`` computes, called on ``x`` or ``[x, h0]``, with or without a
mask, ``go_backwards`` and ``return_state`` (the readable maths is
``layers.recurrent.GRU.step``).
"""
import numpy as np

from .. import activations as act
from ..layers.recurrent import GRU
from .elementwise import ELEMENTWISE, any_nonzero, derivative, supports
from .record import Record
from .recurrent import input_grads, layer_output, loop_grads, loop_inputs


def _time_major_projection(x, kernel, bias):
    """``x_t W + b`` for every step at once, time-major: (time, batch, gates * units)."""
    inputs_proj = np.matmul(x.swapaxes(0, 1), kernel)
    if bias is not None:
        inputs_proj += bias
    return inputs_proj



def _gru_biases(bias, reset_after):
    """(input bias, recurrent bias), each (3u,) or None: reset_after keeps them in two rows."""
    if bias is None:
        return None, None
    return (bias[0], bias[1]) if reset_after else (bias, None)


def gru_forward(x, kernel, recurrent_kernel, bias, h0, mask=None, activation=act.tanh,
                 recurrent_activation=act.sigmoid, reset_after=True):
    """The forward pass, time-major. Returns ``saved``: the outputs, and every step's
    h, gates and recurrent candidate term, each (time, batch, ...)."""
    input_bias, recurrent_bias = _gru_biases(bias, reset_after)
    inputs_proj = _time_major_projection(x, kernel, input_bias)          # (time, batch, 3u)
    steps, batch, three_u = inputs_proj.shape
    u = three_u // 3
    rec_act, cand_act = ELEMENTWISE[recurrent_activation][0], ELEMENTWISE[activation][0]
    hs = np.empty((steps, batch, u), dtype=inputs_proj.dtype)
    rec_cands = np.empty_like(hs)
    gates = np.empty_like(inputs_proj)
    recurrent_zr = np.ascontiguousarray(recurrent_kernel[:, :2 * u])      # (u, 2u)
    recurrent_h = np.ascontiguousarray(recurrent_kernel[:, 2 * u:])       # (u, u)
    h = h0
    for t in range(steps):
        x_proj, gate = inputs_proj[t], gates[t]
        if reset_after:
            rec = np.dot(h, recurrent_kernel)                            # (batch, 3u)
            if recurrent_bias is not None:
                rec += recurrent_bias
            rec_cands[t] = rec[:, 2 * u:]
            rec = rec[:, :2 * u]
        else:
            rec = np.dot(h, recurrent_zr)                                # (batch, 2u)
        rec += x_proj[:, :2 * u]
        gate[:, :2 * u] = rec_act(rec)                                   # z, r
        z, r = gate[:, :u], gate[:, u:2 * u]
        if reset_after:
            candidate = cand_act(x_proj[:, 2 * u:] + r * rec_cands[t])
        else:
            rec_cands[t] = np.dot(r * h, recurrent_h)
            candidate = cand_act(x_proj[:, 2 * u:] + rec_cands[t])
        gate[:, 2 * u:] = candidate
        h_new = hs[t]
        np.subtract(h, candidate, out=h_new)
        h_new *= z
        h_new += candidate                                               # z h + (1 - z) hh
        if mask is not None:                                             # masked: keep the old state
            hs[t] = np.where(mask[:, t, None], h_new, h)
        h = hs[t]
    return {"outputs": (hs.swapaxes(0, 1), h), "hs": hs, "gates": gates, "rec_cands": rec_cands}


def gru_backward(x, kernel, recurrent_kernel, bias, h0, saved, output_grads, mask=None,
                  activation=act.tanh, recurrent_activation=act.sigmoid, reset_after=True):
    """Backpropagation through time. Returns grads of (x, kernel, recurrent_kernel, bias, h0).

    With dh the gradient arriving at h_t, a_z, a_r, a_h the gradients at the
    pre-activations, and z' = rec_act'(z), hh' = act'(hh):

        a_z = dh (h_{t-1} - hh) z'        a_h = dh (1 - z) hh'
        reset_after:  a_r = a_h (h_{t-1} U_h + b_hh) r'
                      dh_{t-1} = dh z + [a_z, a_r, a_h r] U^T
        otherwise:    d(r h) = a_h U_h^T ;  a_r = d(r h) h_{t-1} r'
                      dh_{t-1} = dh z + d(r h) r + [a_z, a_r] U_zr^T

    Every factor that does not involve the running dh is computed for all
    steps at once before the loop.
    """
    hs, gates, rec_cands = saved["hs"], saved["gates"], saved["rec_cands"]     # time-major
    g_hs, g_h_last = output_grads
    g_hs = g_hs.swapaxes(0, 1)                                                # (time, batch, u)
    steps, batch, three_u = gates.shape
    u = three_u // 3
    z, r, cand = gates[..., :u], gates[..., u:2 * u], gates[..., 2 * u:]
    h_prevs = np.concatenate([h0[None], hs])[:steps]                      # h_{t-1}, (time, batch, u)
    z_grad, r_grad = (derivative(recurrent_activation, gate) for gate in (z, r))
    cand_grad = derivative(activation, cand)
    a_z_per_dh = (h_prevs - cand) * z_grad                                  # a_z = dh * this
    a_h_per_dh = (1.0 - z) * cand_grad                                      # a_h = dh * this
    seq_grads = any_nonzero(g_hs[:-1])              # gradients at every h, not only the last (return_sequences)
    dh = g_h_last + (g_hs[-1] if steps else 0.0)
    dhs = np.empty_like(hs)                                 # the dh entering each step (masked steps: 0)
    recurrent_t = np.ascontiguousarray(recurrent_kernel.T)                  # (3u, u)
    if reset_after:
        per_dh = np.stack([a_z_per_dh, a_h_per_dh * rec_cands * r_grad, a_h_per_dh * r], axis=2)
        d_rec_all = np.empty((steps, batch, 3, u), dtype=gates.dtype)      # grads at h U + b_h
    else:
        recurrent_h_t, recurrent_zr_t = recurrent_t[2 * u:], recurrent_t[:2 * u]
        a_r_per_d_rh = h_prevs * r_grad                                      # a_r = d(r h) * this
        d_zr_all = np.empty((steps, batch, 2 * u), dtype=gates.dtype)       # a_z, a_r
        d_cand_rec_all = np.empty_like(hs)                                  # grads at (r h) U_h
    for t in reversed(range(steps)):
        if seq_grads and t < steps - 1:
            dh = dh + g_hs[t]
        if mask is not None:                    # a masked step hands its gradient straight back
            keep = mask[:, t, None]
            dh_carry = np.where(keep, 0.0, dh)
            dh = dh - dh_carry
        dhs[t] = dh
        if reset_after:
            np.multiply(dh[:, None], per_dh[t], out=d_rec_all[t])
            dh = dh * z[t] + np.dot(d_rec_all[t].reshape(batch, three_u), recurrent_t)
        else:
            d_cand_rec = dh * a_h_per_dh[t]                                  # a_h
            d_cand_rec_all[t] = d_cand_rec
            d_rh = np.dot(d_cand_rec, recurrent_h_t)                         # d(r h), (batch, u)
            d_zr = d_zr_all[t]
            np.multiply(dh, a_z_per_dh[t], out=d_zr[:, :u])
            np.multiply(d_rh, a_r_per_d_rh[t], out=d_zr[:, u:])
            dh = dh * z[t] + d_rh * r[t] + np.dot(d_zr, recurrent_zr_t)
        if mask is not None:
            dh = dh + dh_carry
    return _gru_weight_grads(dhs, x, kernel, recurrent_kernel, bias, h0, hs, z, r, reset_after,
                             a_h_per_dh, d_rec_all if reset_after else (d_zr_all, d_cand_rec_all)) + (dh,)


def _gru_weight_grads(dhs, x, kernel, recurrent_kernel, bias, h0, hs, z, r, reset_after,
                      a_h_per_dh, d_rec):
    """Grads of x, W, U, b from the loop's results (time-major)."""
    steps, batch, u = hs.shape
    h_prevs = np.concatenate([h0[None], hs])[:steps].reshape(-1, u)       # h_{t-1}, (time * batch, u)
    if reset_after:            # grads at x W + b_x: a_z, a_r as at the recurrent term; a_h without r
        d_rec = d_rec.reshape(steps, batch, 3 * u)
        a_h = dhs * a_h_per_dh
        d_inputs = np.concatenate([d_rec[..., :2 * u], a_h], axis=-1)     # (time, batch, 3u)
        d_rec_rows = d_rec.reshape(-1, 3 * u)
        d_recurrent = np.dot(h_prevs.T, d_rec_rows)                        # (u, 3u)
    else:
        d_zr, d_cand_rec = d_rec
        a_h = dhs * a_h_per_dh
        d_inputs = np.concatenate([d_zr, a_h], axis=-1)                    # (time, batch, 3u)
        reset_h = (r.reshape(-1, u) * h_prevs)                             # r h, (time * batch, u)
        d_recurrent = np.concatenate([np.dot(h_prevs.T, d_zr.reshape(-1, 2 * u)),
                                      np.dot(reset_h.T, d_cand_rec.reshape(-1, u))], axis=1)
    d_rows = d_inputs.reshape(-1, 3 * u)
    x_rows = x.swapaxes(0, 1).reshape(-1, x.shape[-1])                     # (time * batch, features)
    d_kernel = np.dot(x_rows.T, d_rows)                                    # (features, 3u)
    d_x = np.matmul(d_inputs, kernel.T).swapaxes(0, 1)                     # (batch, time, features)
    d_bias = None
    if bias is not None:
        d_bias = d_rows.sum(axis=0)
        if reset_after:
            d_bias = np.stack([d_bias, d_rec_rows.sum(axis=0)])            # (2, 3u)
    return (d_x.astype(x.dtype), d_kernel.astype(kernel.dtype), d_recurrent.astype(recurrent_kernel.dtype),
            None if d_bias is None else d_bias.astype(bias.dtype))


# -- the record ------------------------------------------------------------------------------
def _settings(layer):
    return {"activation": layer.activation, "recurrent_activation": layer.recurrent_activation,
            "reset_after": layer.reset_after}


def gru_record_forward(layer, params, x, mask=None):
    """``GRU.apply``'s output; saved: the loop's inputs and ``gru_forward``'s results."""
    steps_x, (h0,), steps_mask = loop_inputs(layer, params, x, mask)
    saved = gru_forward(steps_x, params["kernel"], params["recurrent_kernel"], params.get("bias"), h0,
                        mask=steps_mask, **_settings(layer))
    hs, h_last = saved["outputs"]
    return layer_output(layer, hs, [h_last]), (x, steps_x, h0, steps_mask, saved)


def gru_record_backward(layer, params, saved, g, wanted):
    x, steps_x, h0, steps_mask, forward = saved
    g_hs, (g_h_last,) = loop_grads(layer, g)
    hs, h_last = forward["outputs"]
    g_hs = np.zeros_like(hs) if g_hs is None else g_hs                  # gru_backward wants both
    g_h_last = np.zeros_like(h_last) if g_h_last is None else g_h_last
    d_x, d_kernel, d_recurrent, d_bias, d_h0 = gru_backward(
        steps_x, params["kernel"], params["recurrent_kernel"], params.get("bias"), h0, forward,
        (g_hs, g_h_last), mask=steps_mask, **_settings(layer))
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent}
    if d_bias is not None:
        grads["bias"] = d_bias
    return input_grads(layer, x, d_x, [d_h0], wanted), grads


GRU_RECORD = Record(gru_record_forward, gru_record_backward,
                    lambda layer: supports(layer.activation, layer.recurrent_activation), takes_list=None)
RECORDS = {GRU: GRU_RECORD}
