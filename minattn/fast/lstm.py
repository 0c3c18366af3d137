"""The LSTM as a record: its loop over all time steps, and backpropagation through time, by hand.

``LSTM_RECORD`` covers every ``LSTM`` whose activations ``elementwise`` computes,
called on ``x`` or on ``[x, h0, c0]``, with or without a mask, ``go_backwards``
and ``return_state``: its forward is ``lstm_forward``, its backward
``lstm_backward`` (the readable maths is ``layers.recurrent.LSTM.step``).
"""
import numpy as np

from .. import activations as act
from ..layers.recurrent import LSTM
from .elementwise import ELEMENTWISE, any_nonzero, supports
from .record import Record
from .recurrent import input_grads, layer_output, loop_grads, loop_inputs


# -- the layout ------------------------------------------------------------------------------
# Inside, every step's numbers are kept "unit-major": a step's gates are one (4u, batch)
# block and h, c are (u, batch), so each gate is a run of whole rows -- contiguous memory --
# and the elementwise work streams through it without strides. Arrays over all steps are
# (time, rows, batch).
#
# One product per step. Step t's input, a constant 1 (the bias's input) and h_{t-1} are
# stacked as the rows of one (features + 1 + u, batch) block of a buffer ``xh``, so
#
#     z_t = [W; b; U]^T [x_t; 1; h_{t-1}]          (4u, batch)
#
# is one matrix product, and the step writes h_t straight into the next block. The same
# buffer gives the weight gradients in one product: d[W; b; U] = sum_t xh_t dz_t^T.
#
# The gates are reordered inside to (o, i, f, g) -- Keras stores (i, f, c, o) -- so the
# three sigmoid gates are one block of rows (o, i, f) and the three gates that the cell's
# gradient multiplies are another (i, f, g). Gradients go back in Keras's order. Each
# step's block also holds c_{t-1} below its gates, (o, i, f, g, c_{t-1}), so the cell's
# two products are one: [i; f] * [g; c_{t-1}] = rows (i, f) times rows (g, c_{t-1}).
def to_keras_gates(columns, u):
    """The inner gate order (o, i, f, g) along the last axis -> Keras's (i, f, c, o)."""
    return np.concatenate([columns[..., u:], columns[..., :u]], axis=-1)


def stacked_weights(kernel, recurrent_kernel, bias):
    """[W; b; U] (features [+ 1] + u, 4u), gates in the inner order (o, i, f, g)."""
    u = recurrent_kernel.shape[0]
    keras = np.concatenate(([kernel] if bias is None else [kernel, bias[None]]) + [recurrent_kernel])
    stacked = np.empty_like(keras)
    stacked[:, :u], stacked[:, u:] = keras[:, 3 * u:], keras[:, :3 * u]     # o | i, f, c
    return stacked


def step_weights_of(stacked, u, usual):
    """The forward pass's (4u, rows) matrix: [W; b; U]^T, its sigmoid rows halved when usual.

    For the usual sigmoid/tanh LSTM, sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so one tanh over the
    whole block serves all four gates if the sigmoid gates' z arrives halved. Halving is exact
    in floating point, so the product with halved weights is exactly z / 2. (A transposed
    view: BLAS reads it as fast as a contiguous copy.)
    """
    if not usual:
        return stacked.T
    scale = np.ones(4 * u, stacked.dtype)
    scale[:3 * u] = 0.5                                                   # o, i, f
    return (stacked * scale).T


def is_usual(activation, recurrent_activation):
    return recurrent_activation is act.sigmoid and activation is act.tanh


def _activate_gates(gate, sigmoid_rows, u, recurrent_activation, activation, usual):
    """z -> (o, i, f, g), in place on one step's (4u, batch) block (``sigmoid_rows``: its first 3u)."""
    if usual:                      # the sigmoid rows hold z / 2 (see step_weights_of)
        np.tanh(gate, out=gate)
        sigmoid_rows *= 0.5
        sigmoid_rows += 0.5                                               # 0.5 tanh(z / 2) + 0.5
    else:
        gate[3 * u:] = ELEMENTWISE[activation][0](gate[3 * u:])
        gate[:3 * u] = ELEMENTWISE[recurrent_activation][0](gate[:3 * u])


def lstm_step(t, step_weights, xh, blocks, act_cs, products, settings, keep=None):
    """Step t of the loop, in place: z_t = [W; b; U]^T xh[t] -> the gates in ``blocks[t]``,
    c_t in ``blocks[t + 1]``'s c rows, act(c_t) in ``act_cs[t]``, h_t in ``xh[t + 1]``'s h rows.

    ``settings``: (activation, recurrent_activation, usual); ``keep`` (batch,) bools, or None:
    where False the step keeps the old h and c (a masked step). ``products``: (2u, batch) scratch.
    """
    activation, recurrent_activation, usual = settings
    u = act_cs.shape[1]
    h_at = xh.shape[1] - u
    block, c, c_new = blocks[t], blocks[t, 4 * u:], blocks[t + 1, 4 * u:]
    gate, o, i_f, g_c = block[:4 * u], block[:u], block[u:3 * u], block[3 * u:]
    np.dot(step_weights, xh[t], out=gate)                                 # z (halved where sigmoid)
    _activate_gates(gate, block[:3 * u], u, recurrent_activation, activation, usual)
    np.multiply(i_f, g_c, out=products)                                   # [i g; f c_{t-1}]
    np.add(products[:u], products[u:], out=c_new)                         # c_t = i g + f c_{t-1}
    h = xh[t + 1, h_at:]
    cand_act = ELEMENTWISE[activation][0]
    if keep is None:
        if usual:
            np.tanh(c_new, out=act_cs[t])
        else:
            act_cs[t] = cand_act(c_new)
        np.multiply(o, act_cs[t], out=h)                                  # h_t = o act(c_t)
    else:                                                                 # masked: keep the old state
        h[...] = np.where(keep, o * cand_act(c_new), xh[t, h_at:])        # keep: one flag per column
        c_new[...] = np.where(keep, c_new, c)
        act_cs[t] = cand_act(c_new)


def lstm_forward(x, kernel, recurrent_kernel, bias, h0, c0, mask=None, activation=act.tanh,
                 recurrent_activation=act.sigmoid, sequence=True):
    """The forward pass. Returns ``saved``: the outputs, and every step's inputs, c and gates.

    ``sequence=False`` leaves every step's h out of the outputs (None there), for a
    caller that only wants the last one.
    """
    batch, steps, features = x.shape
    u = recurrent_kernel.shape[0]
    usual = is_usual(activation, recurrent_activation)
    stacked = stacked_weights(kernel, recurrent_kernel, bias)          # (rows, 4u)
    step_weights = step_weights_of(stacked, u, usual)                       # (4u, rows)
    h_at = stacked.shape[0] - u                                           # where h sits in a block
    xh = np.empty((steps + 1, stacked.shape[0], batch), dtype=stacked.dtype)
    xh[:steps, :features] = x.transpose(1, 2, 0)                         # x_t, (features, batch)
    if bias is not None:
        xh[:, features] = 1.0                                             # the bias's input
    xh[0, h_at:] = h0.T
    blocks = np.empty((steps + 1, 5 * u, batch), dtype=stacked.dtype)   # (o, i, f, g, c_{t-1}) per step
    blocks[0, 4 * u:] = c0.T
    gates, cs = blocks[:steps, :4 * u], blocks[:, 4 * u:]                # views: c_{t-1} at t, c0 first
    act_cs = np.empty((steps, u, batch), dtype=stacked.dtype)
    products = np.empty((2 * u, batch), dtype=stacked.dtype)
    settings = (activation, recurrent_activation, usual)
    for t in range(steps):
        lstm_step(t, step_weights, xh, blocks, act_cs, products, settings,
                  None if mask is None else mask[:, t])
    hs = None
    if sequence:
        hs = np.ascontiguousarray(xh[1:, h_at:].transpose(0, 2, 1)).swapaxes(0, 1)   # (batch, time, u)
    return {"outputs": (hs, xh[steps, h_at:].T, cs[steps].T), "xh": xh, "cs": cs, "act_cs": act_cs,
            "gates": gates, "stacked": stacked}


def lstm_backward(x, kernel, recurrent_kernel, bias, h0, c0, saved, output_grads, mask=None,
                  activation=act.tanh, recurrent_activation=act.sigmoid, need_x=True):
    """Backpropagation through time. Returns grads of (x, kernel, recurrent_kernel, bias, h0, c0).

    Going back one step, with dh and dc the gradients arriving at h_t and c_t:

        dc += dh * o * act'(c_t)
        dz  = [dh * act(c_t) o', dc * g i', dc * c_{t-1} f', dc * i g']      # gates o, i, f, g
        [dx_t; -; dh] = [W; b; U] dz ;  dc = dc * f                            # on to step t-1

    where i' = rec_act'(z_i) etc. Unit-major, as in the forward pass: dh, dc
    are (u, batch) and dz is (4u, batch). Every factor that does not involve
    the running dh, dc is computed for all steps at once before the loop.
    ``need_x=False`` skips x's gradient (then None).
    """
    cs, act_cs, gates, xh, stacked = (saved[k] for k in ("cs", "act_cs", "gates", "xh", "stacked"))
    g_hs, g_h_last, g_c_last = output_grads              # any may be None: no gradient arrives there
    steps, four_u, batch = gates.shape
    u, features = four_u // 4, x.shape[2]
    h_at = stacked.shape[0] - u
    g_hs = None if g_hs is None else g_hs.transpose(1, 2, 0)           # (time, u, batch)
    dz_steps = np.empty(gates.shape, dtype=gates.dtype)                 # dz, (time, 4u, batch)
    dc_from_dh = step_factors(gates, cs, act_cs, activation, recurrent_activation, dz_steps)
    back_weights = stacked if need_x else stacked[h_at:]                 # dz -> [dx; 1; dh] or dh
    d_inputs = np.empty((steps, len(back_weights), batch), dtype=gates.dtype)
    seq_grads = g_hs is not None and any_nonzero(g_hs[:-1])     # gradients at every h, not only the last
    dh = np.zeros((u, batch), gates.dtype) if g_h_last is None else g_h_last.T             # (u, batch)
    dh = np.ascontiguousarray(dh + g_hs[-1] if g_hs is not None and steps else dh)
    dc = np.zeros((u, batch), gates.dtype) if g_c_last is None else np.ascontiguousarray(g_c_last.T)
    f = gates[:, 2 * u:3 * u]
    for t in reversed(range(steps)):
        if seq_grads and t < steps - 1:
            dh = dh + g_hs[t]
        if mask is not None:                    # a masked step hands its gradients straight back
            keep = mask[:, t]
            dh_carry, dc_carry = np.where(keep, 0.0, dh), np.where(keep, 0.0, dc)
            dh, dc = dh - dh_carry, dc - dc_carry
        dh, dc = lstm_step_back(t, dh, dc, dz_steps, dc_from_dh, back_weights, d_inputs, f)
        if mask is not None:
            dh, dc = dh + dh_carry, dc + dc_carry
    d_kernel, d_bias, d_recurrent = stacked_weight_grads(xh, dz_steps, features, bias is not None)
    d_x = d_inputs[:, :features].transpose(2, 0, 1) if need_x else None  # (batch, time, features)
    return (d_x, d_kernel, d_recurrent, d_bias, dh.T, dc.T)


def lstm_step_back(t, dh, dc, dz_steps, dc_from_dh, back_weights, d_inputs, f):
    """Step t going back, from dh, dc (u, batch) arriving at h_t, c_t: finishes dz_t in
    ``dz_steps[t]`` (which holds ``step_factors``'s parts), writes ``[W; b; U] dz_t`` into
    ``d_inputs[t]`` and returns (dh, dc) at h_{t-1}, c_{t-1}."""
    u, batch = dh.shape
    dc = dc + dh * dc_from_dh[t]
    dz_gates = dz_steps[t].reshape(4, u, batch)
    dz_gates[0] *= dh                                                    # o rows: dh * ...
    dz_gates[1:] *= dc                                                   # i, f, g rows: dc * ...
    np.dot(back_weights, dz_steps[t], out=d_inputs[t])                   # [dx; -; dh] = [W; b; U] dz
    return d_inputs[t, -u:], dc * f[t]


def stacked_weight_grads(xh, dz_steps, features, has_bias):
    """(d kernel, d bias or None, d recurrent_kernel), Keras's gate order, from every step.

    d[W; b; U] = sum over steps of xh_t dz_t^T: one product over (time, batch) together, on
    copies laid out (rows, time, batch) -- cheaper than a batched product and a sum over time.
    """
    steps, four_u, batch = dz_steps.shape
    u, rows = four_u // 4, xh.shape[1]
    xh_wide = xh[:steps].transpose(1, 0, 2).reshape(rows, steps * batch)   # (rows, time * batch)
    dz_wide = dz_steps.transpose(1, 0, 2).reshape(four_u, steps * batch)   # (4u, time * batch)
    d_stacked = to_keras_gates(np.dot(dz_wide, xh_wide.T).T, u)            # (rows, 4u)
    return d_stacked[:features], (d_stacked[features] if has_bias else None), d_stacked[rows - u:]


def step_factors(gates, cs, act_cs, activation, recurrent_activation, dz_all):
    """The parts of dz and of dc's update that do not depend on the running dh, dc.

    Fills ``dz_all`` (time, 4u, batch): for gate o, act(c_t) o' (the loop multiplies
    it by dh); for i, f, g: g i', c_{t-1} f', i g' (the loop multiplies them by dc);
    returns ``dc_from_dh`` (time, u, batch) = o act'(c_t). ``cs`` holds c_{t-1} at t
    (c0 first). For the usual LSTM the derivatives are written in place:
    sigmoid' = s (1 - s), tanh' = 1 - y^2, taken from the outputs.
    """
    steps, four_u, batch = gates.shape
    u = four_u // 4
    o, i, g = gates[:, :u], gates[:, u:2 * u], gates[:, 3 * u:]
    if is_usual(activation, recurrent_activation):
        sigmoids, dz_sigmoids, dz_g = gates[:, :3 * u], dz_all[:, :3 * u], dz_all[:, 3 * u:]
        np.subtract(1.0, sigmoids, out=dz_sigmoids)
        dz_sigmoids *= sigmoids                                           # o', i', f' at once
        np.multiply(g, g, out=dz_g)
        np.subtract(1.0, dz_g, out=dz_g)                                  # g'
        dc_from_dh = np.multiply(act_cs, act_cs)
        np.subtract(1.0, dc_from_dh, out=dc_from_dh)                      # act'(c_t)
    else:
        rec_grad, cand_grad = ELEMENTWISE[recurrent_activation][1], ELEMENTWISE[activation][1]
        dz_all[:, :3 * u] = rec_grad(gates[:, :3 * u])
        dz_all[:, 3 * u:] = cand_grad(g)
        dc_from_dh = cand_grad(act_cs)
    dz_all[:, :u] *= act_cs                                               # o: act(c_t) o'
    dz_all[:, u:2 * u] *= g                                               # i: g i'
    dz_all[:, 2 * u:3 * u] *= cs[:-1]                                     # f: c_{t-1} f'
    dz_all[:, 3 * u:] *= i                                                # g: i g'
    dc_from_dh *= o
    return dc_from_dh



# -- the record ------------------------------------------------------------------------------
def _settings(layer):
    return {"activation": layer.activation, "recurrent_activation": layer.recurrent_activation}


def lstm_record_forward(layer, params, x, mask=None):
    """``LSTM.apply``'s output; saved: the loop's inputs and ``lstm_forward``'s results."""
    steps_x, (h0, c0), steps_mask = loop_inputs(layer, params, x, mask)
    saved = lstm_forward(steps_x, params["kernel"], params["recurrent_kernel"], params.get("bias"),
                         h0, c0, mask=steps_mask, sequence=layer.return_sequences, **_settings(layer))
    hs, h_last, c_last = saved["outputs"]
    return layer_output(layer, hs, [h_last, c_last]), (x, steps_x, h0, c0, steps_mask, saved)


def lstm_record_backward(layer, params, saved, g, wanted):
    x, steps_x, h0, c0, steps_mask, forward = saved
    g_hs, g_states = loop_grads(layer, g)
    d_x, d_kernel, d_recurrent, d_bias, d_h0, d_c0 = lstm_backward(
        steps_x, params["kernel"], params["recurrent_kernel"], params.get("bias"), h0, c0, forward,
        (g_hs, *g_states), mask=steps_mask, need_x=wanted[0], **_settings(layer))
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent}
    if d_bias is not None:
        grads["bias"] = d_bias
    return input_grads(layer, x, d_x, [d_h0, d_c0], wanted), grads


LSTM_RECORD = Record(lstm_record_forward, lstm_record_backward,
                     lambda layer: supports(layer.activation, layer.recurrent_activation), takes_list=None)
RECORDS = {LSTM: LSTM_RECORD}
