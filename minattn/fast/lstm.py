"""The LSTM over all time steps as one recorded op, with backpropagation through time by hand."""
import numpy as np
from autograd.extend import defvjp_argnums, primitive

from .. import activations as act
from .elementwise import ELEMENTWISE
from .recorded import any_nonzero, run_recorded, vjp_from_backward


# -- LSTM through time ------------------------------------------------------------------
# Inside, every step's numbers are kept "unit-major": a step's gates are one
# (4u, batch) block, h and c are (u, batch), so each gate is a run of whole rows --
# contiguous memory -- and the elementwise work streams through it without strides.
# Arrays over all steps are (time, rows, batch). The results are handed back
# batch-major, as views wherever possible.
def _with_ones(array, axis):
    """``array`` with one more entry along ``axis``, equal to 1 (a bias is a weight on this input)."""
    shape = list(array.shape)
    shape[axis] = 1
    return np.concatenate([array, np.ones(shape, array.dtype)], axis=axis)


def _lstm_gate_weights(kernel, recurrent_kernel, bias, usual):
    """[W; b]^T (4u, features + 1) -- or W^T without a bias -- and U^T (4u, u), contiguous.

    The bias rides along as the weight of a constant input 1, so one product
    gives x_t W + b. For the usual sigmoid/tanh LSTM the rows of the sigmoid
    gates i, f, o are halved: sigmoid(z) = 0.5 tanh(z / 2) + 0.5, so one tanh
    over the whole block then serves all four gates. Halving is exact in
    floating point, so x (W / 2) + h (U / 2) + b / 2 is exactly z / 2.
    """
    u = recurrent_kernel.shape[0]
    scale = np.array([0.5, 0.5, 1.0, 0.5] if usual else [1.0] * 4, kernel.dtype).repeat(u)[:, None]
    kernel_t = kernel.T if bias is None else np.concatenate([kernel, bias[None]]).T
    return kernel_t * scale, recurrent_kernel.T * scale


def _activate_gates(gate, u, recurrent_activation, activation, usual):
    """z -> (i, f, g, o), in place on one step's (4u, batch) block."""
    sigmoid_rows = (slice(0, 2 * u), slice(3 * u, 4 * u))               # i, f and o
    if usual:                      # the sigmoid rows hold z / 2 (see _lstm_gate_weights)
        np.tanh(gate, out=gate)
        for rows in sigmoid_rows:
            gate[rows] *= 0.5
            gate[rows] += 0.5                                            # 0.5 tanh(z / 2) + 0.5
    else:
        gate[2 * u:3 * u] = ELEMENTWISE[activation][0](gate[2 * u:3 * u])
        for rows in sigmoid_rows:
            gate[rows] = ELEMENTWISE[recurrent_activation][0](gate[rows])


def lstm(x, kernel, recurrent_kernel, bias, h0, c0, mask=None, activation=act.tanh,
         recurrent_activation=act.sigmoid):
    """Run an LSTM over all time steps as one recorded op.

    Args:
        x: inputs, (batch, time, features).
        kernel: W, (features, 4u), gates in the order i, f, c, o.
        recurrent_kernel: U, (u, 4u).
        bias: (4u,) or None.
        h0: initial hidden state, (batch, u).
        c0: initial cell state, (batch, u).
        mask: optional bool (batch, time); a masked step keeps the old state.

    Returns:
        ``(hs, h_last, c_last)``: every step's h, (batch, time, u), and the
        final h and c, (batch, u).

    The forward pass runs in plain NumPy (``lstm_forward``); every step's c
    and gates reach the backward pass through the recorded op's ``saved``
    argument (see ``run_recorded``).
    """
    return run_recorded(lstm_forward, _lstm_op, (x, kernel, recurrent_kernel, bias, h0, c0),
                         mask=mask, activation=activation, recurrent_activation=recurrent_activation)


@primitive
def _lstm_op(x, kernel, recurrent_kernel, bias, h0, c0, saved, mask=None, activation=act.tanh,
             recurrent_activation=act.sigmoid):
    """The op autograd records: its value is the forward pass's results (already in ``saved``)."""
    return saved["outputs"]


def lstm_forward(x, kernel, recurrent_kernel, bias, h0, c0, mask=None, activation=act.tanh,
                  recurrent_activation=act.sigmoid):
    """The forward pass. Returns ``saved``: the outputs, and every step's h, c and gates."""
    batch, steps = x.shape[:2]
    u = recurrent_kernel.shape[0]
    usual = recurrent_activation is act.sigmoid and activation is act.tanh
    kernel_units, recurrent_units = _lstm_gate_weights(kernel, recurrent_kernel, bias, usual)
    x_units = x.transpose(1, 2, 0)                                       # (time, features, batch)
    x_units = np.ascontiguousarray(x_units) if bias is None else _with_ones(x_units, axis=1)
    gates = np.matmul(kernel_units, x_units)                             # x_t W + b, (time, 4u, batch)
    cand_act = ELEMENTWISE[activation][0]
    hs = np.empty((steps, u, batch), dtype=gates.dtype)
    cs = np.empty_like(hs)
    h, c = h0.T, c0.T
    for t in range(steps):
        gate = gates[t]
        gate += np.dot(recurrent_units, h)                              # z = x W + b + h U, (4u, batch)
        _activate_gates(gate, u, recurrent_activation, activation, usual)
        i, f, g, o = gate[:u], gate[u:2 * u], gate[2 * u:3 * u], gate[3 * u:]
        np.multiply(f, c, out=cs[t])
        cs[t] += i * g                                                   # c_t = f c + i g
        np.multiply(o, cand_act(cs[t]), out=hs[t])                       # h_t = o act(c_t)
        if mask is not None:                                             # masked: keep the old state
            keep = mask[:, t]                                            # (batch,): one flag per column
            cs[t], hs[t] = np.where(keep, cs[t], c), np.where(keep, hs[t], h)
        h, c = hs[t], cs[t]
    hs_rows = np.ascontiguousarray(hs.transpose(0, 2, 1))               # (time, batch, u)
    return {"outputs": (hs_rows.swapaxes(0, 1), h.T, c.T), "hs_rows": hs_rows, "cs": cs, "gates": gates}


def lstm_backward(x, kernel, recurrent_kernel, bias, h0, c0, saved, output_grads, mask=None,
                   activation=act.tanh, recurrent_activation=act.sigmoid):
    """Backpropagation through time. Returns grads of (x, kernel, recurrent_kernel, bias, h0, c0).

    Going back one step, with dh and dc the gradients arriving at h_t and c_t:

        dc += dh * o * act'(c_t)
        dz  = [dc * g i', dc * c_{t-1} f', dc * i g', dh * act(c_t) o']     # gates i, f, c, o
        dh  = U dz ;  dc = dc * f                                              # on to step t-1

    where i' = rec_act'(z_i) etc. Unit-major, as in the forward pass: dh, dc
    are (u, batch) and dz is (4u, batch). Every factor that does not involve
    the running dh, dc is computed for all steps at once before the loop.
    """
    cs, gates = saved["cs"], saved["gates"]                              # (time, rows, batch)
    g_hs, g_h_last, g_c_last = output_grads
    g_hs = g_hs.transpose(1, 2, 0)                                       # (time, u, batch)
    steps, four_u, batch = gates.shape
    u = four_u // 4
    i, f, g, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:3 * u], gates[:, 3 * u:]
    c_prevs = np.concatenate([c0.T[None], cs])[:steps]                   # c_{t-1}, (time, u, batch)
    act_cs = ELEMENTWISE[activation][0](cs)
    rec_grad, cand_grad = ELEMENTWISE[recurrent_activation][1], ELEMENTWISE[activation][1]
    dc_from_dh = o * cand_grad(act_cs)                                   # o * act'(c_t)
    # dz_all starts as d z / d c for gates i, f, c and d z / d h for gate o; the loop
    # multiplies each step's block by that step's dc and dh, in place.
    dz_all = np.empty((steps, 4, u, batch), dtype=gates.dtype)
    np.multiply(g, rec_grad(i), out=dz_all[:, 0])                       # i: g i'
    np.multiply(c_prevs, rec_grad(f), out=dz_all[:, 1])                 # f: c_{t-1} f'
    np.multiply(i, cand_grad(g), out=dz_all[:, 2])                      # g: i g'
    np.multiply(act_cs, rec_grad(o), out=dz_all[:, 3])                  # o: act(c_t) o'
    seq_grads = any_nonzero(g_hs[:-1])              # gradients at every h, not only the last (return_sequences)
    dh = np.ascontiguousarray(g_h_last.T + (g_hs[-1] if steps else 0.0))  # (u, batch)
    dc = np.ascontiguousarray(g_c_last.T)
    for t in reversed(range(steps)):
        if seq_grads and t < steps - 1:
            dh = dh + g_hs[t]
        if mask is not None:                    # a masked step hands its gradients straight back
            keep = mask[:, t]
            dh_carry, dc_carry = np.where(keep, 0.0, dh), np.where(keep, 0.0, dc)
            dh, dc = dh - dh_carry, dc - dc_carry
        dc = dc + dh * dc_from_dh[t]
        dz_all[t, :3] *= dc                                             # i, f, c rows: dc * ...
        dz_all[t, 3] *= dh                                              # o rows: dh * ...
        dh = np.dot(recurrent_kernel, dz_all[t].reshape(four_u, batch))  # U dz, (u, batch)
        dc = dc * f[t]
        if mask is not None:
            dh, dc = dh + dh_carry, dc + dc_carry
    return _lstm_weight_grads(dz_all, x, kernel, bias, h0, saved["hs_rows"]) + (dh.T, dc.T)


def _lstm_weight_grads(dz_all, x, kernel, bias, h0, hs_rows):
    """Grads of x, W, U, b from d loss / d z for every step, (time, 4, u, batch).

    Each weight's gradient sums over every step and sample, so dz is first laid
    out as one (time * batch, 4u) matrix of rows; then each gradient is one
    product (b's through the constant input 1, as in the forward pass).
    """
    steps, _, u, batch = dz_all.shape
    dz_steps = np.ascontiguousarray(dz_all.reshape(steps, 4 * u, batch).swapaxes(1, 2))   # (time, batch, 4u)
    dz_rows = dz_steps.reshape(-1, 4 * u)                                   # (time * batch, 4u)
    h_prev_rows = np.concatenate([h0[None], hs_rows])[:steps].reshape(-1, u)   # h_{t-1}, (time * batch, u)
    x_rows = x.swapaxes(0, 1)                                              # (time, batch, features)
    x_rows = x_rows if bias is None else _with_ones(x_rows, axis=2)
    x_rows = x_rows.reshape(-1, x_rows.shape[-1])                          # (time * batch, features [+ 1])
    d_recurrent = np.dot(h_prev_rows.T, dz_rows)                           # (u, 4u)
    d_kernel = np.dot(x_rows.T, dz_rows)                                   # (features [+ 1], 4u)
    d_x = np.matmul(dz_steps, kernel.T).swapaxes(0, 1)                      # (batch, time, features)
    d_bias = None if bias is None else d_kernel[-1].astype(bias.dtype)
    d_kernel = d_kernel if bias is None else d_kernel[:-1]
    return (d_x.astype(x.dtype), d_kernel.astype(kernel.dtype), d_recurrent.astype(kernel.dtype), d_bias)


defvjp_argnums(_lstm_op, vjp_from_backward(lstm_backward))
