"""One LSTM step as one recorded op: the attention decoder's cell on the fast path.

The decoder cannot run its LSTM over all steps at once (``fast.lstm``): each
step's input depends on the previous step's attention. So here one step is
one op. With ``z = x W + h U + b`` split into gates i, f, g, o (Keras's
order), sigmoid gates and tanh candidate and output:

    c' = f c + i g          h' = o tanh(c')

and, going back with gh, gc the gradients arriving at h' and c':

    dc  = gc + gh o (1 - tanh(c')^2)
    dz  = [dc g i (1 - i), dc c f (1 - f), dc i (1 - g^2), gh tanh(c') o (1 - o)]
    dx  = dz W^T,  dh = dz U^T,  dc_prev = dc f
    dW  = x^T dz,  dU = h^T dz,  db = sum over the batch of dz
"""
import numpy as np
from autograd.extend import defvjp_argnums, primitive

from .elementwise import np_sigmoid
from .recorded import run_recorded, vjp_from_backward


def lstm_cell(x, h, c, kernel, recurrent_kernel, bias):
    """``(h', c')`` of one LSTM step (sigmoid gates, tanh), as one recorded op.

    Args:
        x: the step's input, (batch, features).
        h: the hidden state, (batch, u).
        c: the cell state, (batch, u).
        kernel: W, (features, 4u).
        recurrent_kernel: U, (u, 4u).
        bias: (4u,).

    Returns:
        ``(h', c')``, (batch, u) each: the same numbers as ``LSTM.step`` with
        its default activations.
    """
    return run_recorded(lstm_cell_forward, _lstm_cell_op, (x, h, c, kernel, recurrent_kernel, bias))


@primitive
def _lstm_cell_op(x, h, c, kernel, recurrent_kernel, bias, saved):
    """The op autograd records: its value is the forward pass's results (already in ``saved``)."""
    return saved["outputs"]


def lstm_cell_forward(x, h, c, kernel, recurrent_kernel, bias):
    """The step in plain NumPy. Returns ``saved``: the outputs, the activated gates and tanh(c')."""
    u = recurrent_kernel.shape[0]
    z = np.dot(x, kernel) + np.dot(h, recurrent_kernel) + bias          # (batch, 4u)
    gates = np_sigmoid(z)                                                 # i, f, o rows used
    gates[:, 2 * u:3 * u] = np.tanh(z[:, 2 * u:3 * u])                   # g
    i, f, g, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:3 * u], gates[:, 3 * u:]
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return {"outputs": (o * tanh_c, c_new), "gates": gates, "tanh_c": tanh_c}


def lstm_cell_backward(x, h, c, kernel, recurrent_kernel, bias, saved, output_grads):
    """Gradients of (x, h, c, kernel, recurrent_kernel, bias), from the module docstring's formulas."""
    gh, gc = output_grads
    gates, tanh_c = saved["gates"], saved["tanh_c"]
    u = recurrent_kernel.shape[0]
    i, f, g, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:3 * u], gates[:, 3 * u:]
    dc = gc + gh * o * (1.0 - tanh_c * tanh_c)
    dz = np.concatenate([dc * g * i * (1.0 - i), dc * c * f * (1.0 - f), dc * i * (1.0 - g * g),
                         gh * tanh_c * o * (1.0 - o)], axis=1)            # (batch, 4u)
    return (np.dot(dz, kernel.T), np.dot(dz, recurrent_kernel.T), dc * f,
            np.dot(x.T, dz), np.dot(h.T, dz), dz.sum(axis=0))


defvjp_argnums(_lstm_cell_op, vjp_from_backward(lstm_cell_backward))
