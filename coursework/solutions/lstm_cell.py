"""Reference solution of lstm_cell (the statement is in the starter and docs/coursework/lstm_cell.md)."""
import autograd.numpy as anp

EXERCISE = "lstm_cell"


def sigmoid(z):
    return 0.5 * (anp.tanh(0.5 * z) + 1.0)          # = 1 / (1 + exp(-z)), and never overflows


def lstm_cell(x, h, c, kernel, recurrent_kernel, bias):
    units = h.shape[-1]
    z = anp.dot(x, kernel) + anp.dot(h, recurrent_kernel) + bias          # (batch, 4 units)
    input_gate = sigmoid(z[:, :units])
    forget_gate = sigmoid(z[:, units:2 * units])
    candidate = anp.tanh(z[:, 2 * units:3 * units])
    output_gate = sigmoid(z[:, 3 * units:])
    new_c = forget_gate * c + input_gate * candidate
    return output_gate * anp.tanh(new_c), new_c
