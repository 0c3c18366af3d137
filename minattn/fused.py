"""Fused ops: whole layers as single autograd primitives with hand-written gradients.

The traced layers (``layers/*.py``) are the ones to read: autograd records
every small op and derives the gradient. That costs ~10-25 microseconds of
Python per recorded op, which dominates small models. The functions here do
the same maths as one recorded op each, with the backward pass (the VJP)
written out by hand, so a training step records a handful of ops instead of
hundreds. Switch them on with ``minattn.set_fused(True)``; the test suite
checks every one against finite differences and against the traced path.

Every VJP below uses the activation's derivative written in terms of its
output ``y`` (e.g. sigmoid' = y (1 - y)), so nothing is recomputed.
"""
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive
from autograd.tracer import getval

from . import activations as act
from .config import EPSILON

# Each activation the fused ops support, as (plain NumPy forward, derivative from
# the output y). Plain NumPy because inside a fused op nothing is recorded:
# calling the autograd-wrapped functions there would only add overhead.
def _np_sigmoid(x):
    return 0.5 * np.tanh(0.5 * x) + 0.5


ELEMENTWISE = {
    act.linear: (lambda x: x, lambda y: 1.0),
    act.sigmoid: (_np_sigmoid, lambda y: y * (1.0 - y)),
    act.tanh: (np.tanh, lambda y: 1.0 - y * y),
    act.relu: (lambda x: np.maximum(x, 0.0), lambda y: (y > 0).astype(y.dtype)),
    act.relu6: (lambda x: np.clip(x, 0.0, 6.0), lambda y: ((y > 0) & (y < 6)).astype(y.dtype)),
    act.hard_sigmoid: (lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
                       lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6.0),
    act.legacy_hard_sigmoid: (lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0),
                              lambda y: ((y > 0) & (y < 1)).astype(y.dtype) * 0.2),
}


def supports(*activation_fns):
    """True when every activation is one the fused ops can run and differentiate."""
    return all(fn in ELEMENTWISE for fn in activation_fns)


def _forward(fn, x):
    """The activation in plain NumPy (softmax over the last axis included)."""
    if fn is act.softmax:
        return _np_softmax(x, -1)
    return ELEMENTWISE[fn][0](x)


def _derivative(fn, y):
    """d activation / d x at the output y."""
    return ELEMENTWISE[fn][1](y)


def _activation_vjp(fn, y, g):
    """Gradient wrt the pre-activation, given the output y and the gradient g wrt y."""
    if fn is act.softmax:                      # Jacobian of softmax over the last axis
        return y * (g - np.sum(g * y, axis=-1, keepdims=True))
    return g * _derivative(fn, y)


def _np_softmax(x, axis):
    exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


# -- softmax -------------------------------------------------------------------------
@primitive
def softmax(x, axis=-1):
    """``exp(x - max) / sum exp(x - max)`` along ``axis``, as one op."""
    return _np_softmax(x, axis)


defvjp(softmax, lambda y, x, axis=-1: lambda g: y * (g - np.sum(g * y, axis=axis, keepdims=True)))


# -- Dense -----------------------------------------------------------------------------
@primitive
def dense(x, kernel, bias, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, as one op (bias may be None)."""
    z = np.matmul(x, kernel)                          # np.dot would be slow on 3-D x
    if bias is not None:
        z += bias
    return _forward(activation, z)


def _dense_vjp(argnums, y, args, kwargs):
    x, kernel, bias, activation = args

    def vjp(g):
        dz = _activation_vjp(activation, y, g)            # (..., units)
        dz_rows = dz.reshape(-1, dz.shape[-1])             # (batch * ..., units)
        grads = {0: lambda: np.matmul(dz, kernel.T).astype(x.dtype),                       # (..., in)
                 1: lambda: np.dot(x.reshape(-1, x.shape[-1]).T, dz_rows).astype(kernel.dtype),
                 2: lambda: dz_rows.sum(axis=0).astype(dz.dtype)}
        return tuple(grads[i]() for i in argnums)
    return vjp


defvjp_argnums(dense, _dense_vjp)


# -- losses ------------------------------------------------------------------------------
@primitive
def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)^2)`` over every element, as one op (a scalar)."""
    return np.mean(np.square(y_pred - y_true))


defvjp(mean_squared_error, None,
       lambda ans, y_true, y_pred: lambda g: (g * 2.0 / y_pred.size * (y_pred - y_true)).astype(y_pred.dtype))


@primitive
def binary_crossentropy(y_true, y_pred, epsilon=EPSILON):
    """Mean binary cross-entropy of clipped probabilities over every element, as one op."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def _bce_vjp(ans, y_true, y_pred, epsilon=EPSILON):
    def vjp(g):
        p = np.clip(y_pred, epsilon, 1.0 - epsilon)
        inside = (y_pred > epsilon) & (y_pred < 1.0 - epsilon)      # the clip passes gradient here only
        grad = (p - y_true) / (p * (1.0 - p)) * inside / y_pred.size
        return (g * grad).astype(y_pred.dtype)
    return vjp


defvjp(binary_crossentropy, None, _bce_vjp)


def _time_major_projection(x, kernel, bias):
    """``x_t W + b`` for every step at once, time-major: (time, batch, gates * units)."""
    inputs_proj = np.matmul(x.swapaxes(0, 1), kernel)
    if bias is not None:
        inputs_proj += bias
    return inputs_proj


# -- recurrent layers: a forward pass in plain NumPy, recorded as one op ----------------
# The backward pass through time needs more than the outputs: every step's
# gates and states. So ``lstm`` and ``gru`` run their forward pass in plain NumPy
# on the values and then record one op, ``_lstm_op`` / ``_gru_op``, that takes
# the forward pass's results as an extra argument ``saved``. autograd does not
# differentiate ``saved`` (it is not a traced value); the VJP reads it. PyTorch
# calls this ``save_for_backward``.
def _run_recorded(forward, op, inputs, **settings):
    """``op(*inputs, saved, **settings)`` with ``saved = forward(*values of inputs, **settings)``."""
    saved = forward(*[getval(a) for a in inputs], **settings)
    return op(*inputs, saved, **settings)


def _vjp_from_backward(backward):
    """A VJP maker for such an op: ``backward(*inputs, saved, output_grads, **settings)``
    returns the gradients of every input at once, and autograd takes the ones it needs."""
    def make_vjp(argnums, outputs, args, kwargs):
        def vjp(output_grads):
            grads = backward(*args, output_grads, **kwargs)
            return tuple(grads[i] for i in argnums)
        return vjp
    return make_vjp


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

    The forward pass runs in plain NumPy (``_lstm_forward``); every step's c
    and gates reach the backward pass through the recorded op's ``saved``
    argument (see ``_run_recorded``).
    """
    return _run_recorded(_lstm_forward, _lstm_op, (x, kernel, recurrent_kernel, bias, h0, c0),
                         mask=mask, activation=activation, recurrent_activation=recurrent_activation)


@primitive
def _lstm_op(x, kernel, recurrent_kernel, bias, h0, c0, saved, mask=None, activation=act.tanh,
             recurrent_activation=act.sigmoid):
    """The op autograd records: its value is the forward pass's results (already in ``saved``)."""
    return saved["outputs"]


def _lstm_forward(x, kernel, recurrent_kernel, bias, h0, c0, mask=None, activation=act.tanh,
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


def _lstm_backward(x, kernel, recurrent_kernel, bias, h0, c0, saved, output_grads, mask=None,
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
    seq_grads = _nonzero(g_hs[:-1])              # gradients at every h, not only the last (return_sequences)
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


defvjp_argnums(_lstm_op, _vjp_from_backward(_lstm_backward))


def _nonzero(array):
    """Whether any element is non-zero, in one pass: the largest bit pattern, read as
    unsigned integers of the same size, is 0 only if every element is 0.0 (-0.0 counts as
    non-zero, which costs nothing but a wasted addition)."""
    return array.size > 0 and array.view(f"u{array.itemsize}").max() != 0


# -- GRU through time -------------------------------------------------------------------
# Time-major inside, like ``lstm``. Gates in Keras's order z, r, h.
def _gru_biases(bias, reset_after):
    """(input bias, recurrent bias), each (3u,) or None: reset_after keeps them in two rows."""
    if bias is None:
        return None, None
    return (bias[0], bias[1]) if reset_after else (bias, None)


def gru(x, kernel, recurrent_kernel, bias, h0, mask=None, activation=act.tanh,
        recurrent_activation=act.sigmoid, reset_after=True):
    """Run a GRU over all time steps as one recorded op.

    Args:
        x: inputs, (batch, time, features).
        kernel: W, (features, 3u); recurrent_kernel: U, (u, 3u); gates z, r, h.
        bias: (2, 3u) -- input and recurrent bias -- with ``reset_after``,
            (3u,) without, or None.
        h0: initial state, (batch, u).
        mask: optional bool (batch, time); a masked step keeps the old state.
        reset_after: ``hh = act(x W_h + b_xh + r * (h U_h + b_hh))`` if True,
            ``hh = act(x W_h + b_h + (r * h) U_h)`` if False.

    Returns:
        ``(hs, h_last)``: every step's h, (batch, time, u), and the final h,
        (batch, u).

    The forward pass runs in plain NumPy (``_gru_forward``); every step's
    activated gates z, r, hh and the recurrent term of the candidate's
    pre-activation (``h U_h + b_hh``, or ``(r * h) U_h``) reach the backward
    pass through the recorded op's ``saved`` argument (see ``_run_recorded``).
    """
    return _run_recorded(_gru_forward, _gru_op, (x, kernel, recurrent_kernel, bias, h0), mask=mask,
                         activation=activation, recurrent_activation=recurrent_activation,
                         reset_after=reset_after)


@primitive
def _gru_op(x, kernel, recurrent_kernel, bias, h0, saved, mask=None, activation=act.tanh,
            recurrent_activation=act.sigmoid, reset_after=True):
    """The op autograd records: its value is the forward pass's results (already in ``saved``)."""
    return saved["outputs"]


def _gru_forward(x, kernel, recurrent_kernel, bias, h0, mask=None, activation=act.tanh,
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


def _gru_backward(x, kernel, recurrent_kernel, bias, h0, saved, output_grads, mask=None,
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
    z_grad, r_grad = (_derivative(recurrent_activation, gate) for gate in (z, r))
    cand_grad = _derivative(activation, cand)
    a_z_per_dh = (h_prevs - cand) * z_grad                                  # a_z = dh * this
    a_h_per_dh = (1.0 - z) * cand_grad                                      # a_h = dh * this
    seq_grads = _nonzero(g_hs[:-1])              # gradients at every h, not only the last (return_sequences)
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


defvjp_argnums(_gru_op, _vjp_from_backward(_gru_backward))
