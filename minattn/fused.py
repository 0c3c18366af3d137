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

from . import activations as act

# d activation / d x, written as a function of the activation's output y.
DERIVATIVE_FROM_OUTPUT = {
    act.linear: lambda y: 1.0,
    act.sigmoid: lambda y: y * (1.0 - y),
    act.tanh: lambda y: 1.0 - y * y,
    act.relu: lambda y: (y > 0).astype(y.dtype),
    act.relu6: lambda y: ((y > 0) & (y < 6)).astype(y.dtype),
    act.hard_sigmoid: lambda y: ((y > 0) & (y < 1)).astype(y.dtype) / 6.0,
    act.legacy_hard_sigmoid: lambda y: ((y > 0) & (y < 1)).astype(y.dtype) * 0.2,
}


def supports(*activation_fns):
    """True when every activation is one the fused ops can differentiate (or softmax for Dense)."""
    return all(fn in DERIVATIVE_FROM_OUTPUT for fn in activation_fns)


def _activation_vjp(fn, y, g):
    """Gradient wrt the pre-activation, given the output y and the gradient g wrt y."""
    if fn is act.softmax:                      # Jacobian of softmax over the last axis
        return y * (g - np.sum(g * y, axis=-1, keepdims=True))
    return g * DERIVATIVE_FROM_OUTPUT[fn](y)


# -- softmax -------------------------------------------------------------------------
@primitive
def softmax(x, axis=-1):
    """``exp(x - max) / sum exp(x - max)`` along ``axis``, as one op."""
    exps = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return exps / np.sum(exps, axis=axis, keepdims=True)


defvjp(softmax, lambda y, x, axis=-1: lambda g: y * (g - np.sum(g * y, axis=axis, keepdims=True)))


# -- Dense -----------------------------------------------------------------------------
@primitive
def dense(params, x, activation):
    """``activation(x @ kernel + bias)`` on the last axis of x, as one op.

    ``params`` is the layer's dict ({"kernel", optional "bias"}); the VJP
    returns a dict of the same structure, so no per-weight lookups are traced.
    """
    z = np.dot(x, params["kernel"])
    if "bias" in params:
        z = z + params["bias"]
    return activation(z)


def _dense_vjp_params(y, params, x, activation):
    def vjp(g):
        dz = _activation_vjp(activation, y, g)            # (..., units)
        dz2 = dz.reshape(-1, dz.shape[-1])                 # (batch * ..., units)
        x2 = x.reshape(-1, x.shape[-1])                    # (batch * ..., in)
        grads = {"kernel": np.dot(x2.T, dz2).astype(params["kernel"].dtype)}
        if "bias" in params:
            grads["bias"] = dz2.sum(axis=0).astype(params["bias"].dtype)
        return grads
    return vjp


def _dense_vjp_x(y, params, x, activation):
    def vjp(g):
        dz = _activation_vjp(activation, y, g)
        return np.dot(dz, params["kernel"].T).astype(x.dtype)   # (..., in)
    return vjp


defvjp(dense, _dense_vjp_params, _dense_vjp_x)


# -- losses ------------------------------------------------------------------------------
@primitive
def mean_squared_error(y_true, y_pred):
    """``mean((y_pred - y_true)^2)`` over every element, as one op (a scalar)."""
    return np.mean(np.square(y_pred - y_true))


defvjp(mean_squared_error, None,
       lambda ans, y_true, y_pred: lambda g: (g * 2.0 / y_pred.size * (y_pred - y_true)).astype(y_pred.dtype))


@primitive
def binary_crossentropy(y_true, y_pred, epsilon=1e-7):
    """Mean binary cross-entropy of clipped probabilities over every element, as one op."""
    p = np.clip(y_pred, epsilon, 1.0 - epsilon)
    return -np.mean(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))


def _bce_vjp(ans, y_true, y_pred, epsilon=1e-7):
    def vjp(g):
        p = np.clip(y_pred, epsilon, 1.0 - epsilon)
        inside = (y_pred > epsilon) & (y_pred < 1.0 - epsilon)      # the clip passes gradient here only
        grad = (p - y_true) / (p * (1.0 - p)) * inside / y_pred.size
        return (g * grad).astype(y_pred.dtype)
    return vjp


defvjp(binary_crossentropy, None, _bce_vjp)


# -- LSTM through time ------------------------------------------------------------------
@primitive
def lstm(inputs_proj, recurrent_kernel, h0, c0, mask=None, activation=act.tanh,
         recurrent_activation=act.sigmoid):
    """Run an LSTM over all time steps as one op.

    Args:
        inputs_proj: ``x_t W + b`` for every step, (batch, time, 4u), gates i, f, c, o.
        recurrent_kernel: U, (u, 4u).
        h0, c0: initial states, (batch, u).
        mask: optional bool (batch, time); a masked step keeps the old state.

    Returns:
        ``(hs, cs, gates)``: every step's h and c, (batch, time, u), and the
        activated gates (batch, time, 4u), kept for the backward pass.
    """
    batch, steps, four_u = inputs_proj.shape
    u = four_u // 4
    hs = np.empty((batch, steps, u), dtype=inputs_proj.dtype)
    cs = np.empty_like(hs)
    gates = np.empty_like(inputs_proj)
    h, c = h0, c0
    for t in range(steps):
        z = inputs_proj[:, t] + np.dot(h, recurrent_kernel)              # (batch, 4u)
        gate = gates[:, t]
        gate[:, :2 * u] = recurrent_activation(z[:, :2 * u])            # i, f
        gate[:, 2 * u:3 * u] = activation(z[:, 2 * u:3 * u])            # candidate g
        gate[:, 3 * u:] = recurrent_activation(z[:, 3 * u:])            # o
        i, f, g, o = gate[:, :u], gate[:, u:2 * u], gate[:, 2 * u:3 * u], gate[:, 3 * u:]
        c_new = f * c + i * g
        h_new = o * activation(c_new)
        if mask is not None:
            keep = mask[:, t, None]
            c_new, h_new = np.where(keep, c_new, c), np.where(keep, h_new, h)
        hs[:, t], cs[:, t] = h_new, c_new
        h, c = h_new, c_new
    return hs, cs, gates


def _lstm_backward(outputs, inputs_proj, recurrent_kernel, h0, c0, mask, activation,
                   recurrent_activation, output_grads):
    """Backpropagation through time. Returns grads of (inputs_proj, U, h0, c0)."""
    hs, cs, gates = outputs
    g_hs, g_cs, g_gates = output_grads
    batch, steps, four_u = inputs_proj.shape
    u = four_u // 4
    dz_all = np.empty_like(inputs_proj)                  # d loss / d z_t for every step
    dh = np.zeros_like(h0)
    dc = np.zeros_like(c0)
    for t in reversed(range(steps)):
        h_prev = hs[:, t - 1] if t else h0
        c_prev = cs[:, t - 1] if t else c0
        dh = dh + g_hs[:, t]
        dc = dc + g_cs[:, t]
        if mask is not None:                             # masked: the gradient skips this step
            keep = mask[:, t, None]
            dh_step, dc_step = np.where(keep, dh, 0.0), np.where(keep, dc, 0.0)
            dh_carry, dc_carry = dh - dh_step, dc - dc_step
        else:
            dh_step, dc_step, dh_carry, dc_carry = dh, dc, 0.0, 0.0
        gate = gates[:, t]
        i, f, g, o = gate[:, :u], gate[:, u:2 * u], gate[:, 2 * u:3 * u], gate[:, 3 * u:]
        c_new = f * c_prev + i * g
        tanh_c = activation(c_new)
        dc_total = dc_step + _activation_vjp(activation, tanh_c, dh_step * o)
        d_gate = np.concatenate([dc_total * g, dc_total * c_prev, dc_total * i, dh_step * tanh_c], axis=1)
        d_gate = d_gate + g_gates[:, t]
        dz = np.empty_like(d_gate)
        dz[:, :2 * u] = _activation_vjp(recurrent_activation, gate[:, :2 * u], d_gate[:, :2 * u])
        dz[:, 2 * u:3 * u] = _activation_vjp(activation, g, d_gate[:, 2 * u:3 * u])
        dz[:, 3 * u:] = _activation_vjp(recurrent_activation, o, d_gate[:, 3 * u:])
        dz_all[:, t] = dz
        dh = np.dot(dz, recurrent_kernel.T) + dh_carry
        dc = dc_total * f + dc_carry
    h_prevs = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)              # (batch, time, u)
    d_kernel = np.dot(h_prevs.reshape(-1, u).T, dz_all.reshape(-1, four_u))  # (u, 4u)
    return dz_all, d_kernel.astype(recurrent_kernel.dtype), dh, dc


def _lstm_vjp(argnums, outputs, args, kwargs):
    """One backward pass through time serves every input autograd asks about."""
    def vjp(output_grads):
        grads = _lstm_backward(outputs, *args[:4], kwargs.get("mask"),
                               kwargs.get("activation", act.tanh),
                               kwargs.get("recurrent_activation", act.sigmoid), output_grads)
        return tuple(grads[i] for i in argnums)
    return vjp


defvjp_argnums(lstm, _lstm_vjp)
