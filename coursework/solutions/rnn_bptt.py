"""Reference solution of rnn_bptt (the statement is in the starter and docs/coursework/rnn_bptt.md)."""
import numpy as np

EXERCISE = "rnn_bptt"


def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)       # (batch, units)
        states.append(h)
    return np.stack(states, axis=1)                                       # (batch, time, units)


def rnn_backward(x, h0, kernel, recurrent_kernel, bias, hs, grad_hs):
    dx = np.zeros_like(x)
    dkernel, drecurrent_kernel, dbias = np.zeros_like(kernel), np.zeros_like(recurrent_kernel), np.zeros_like(bias)
    dh = np.zeros_like(h0)                                  # dL/dh_t from the later steps
    for t in reversed(range(x.shape[1])):
        dh = dh + grad_hs[:, t]                              # ... plus the loss's own gradient at step t
        da = dh * (1.0 - hs[:, t] ** 2)                      # through tanh: (batch, units)
        previous = hs[:, t - 1] if t > 0 else h0
        dx[:, t] = da @ kernel.T
        dkernel += x[:, t].T @ da
        drecurrent_kernel += previous.T @ da
        dbias += da.sum(axis=0)
        dh = da @ recurrent_kernel.T                         # to step t - 1
    return dx, dh, dkernel, drecurrent_kernel, dbias
