"""Exercise rnn_bptt: a tanh RNN over a sequence, and backpropagation through time by hand.

autograd would differentiate ``rnn_forward`` for you; here you write its
backward pass yourself, as minattn's fast LSTM and GRU do
(``minattn/fast/``). Plain NumPy is all you need.

Fill in ``rnn_forward`` and ``rnn_backward``, then check your work:

    python -m minattn.exercises check my_rnn_bptt.py

Statement, maths and hints: docs/coursework/rnn_bptt.md.
"""
import numpy as np  # noqa: F401 (for your code)

EXERCISE = "rnn_bptt"


def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    """A simple RNN over the whole sequence, as Keras's SimpleRNN (activation tanh) computes it.

        h_t = tanh(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias),   t = 0 .. time - 1, h_{-1} = h0

    Args:
        x: (batch, time, features).
        h0: the initial state, (batch, units).
        kernel: (features, units); recurrent_kernel: (units, units); bias: (units,).

    Returns:
        hs: every state h_0 .. h_{time-1}, (batch, time, units).
    """
    # TODO: a loop over t; collect the states and stack them on axis 1.
    raise NotImplementedError("rnn_forward: fill in this function")


def rnn_backward(x, h0, kernel, recurrent_kernel, bias, hs, grad_hs):
    """Backpropagation through time: the gradients of a loss L with respect to every input of rnn_forward.

    Args:
        x, h0, kernel, recurrent_kernel, bias: as rnn_forward got them.
        hs: what rnn_forward returned, (batch, time, units).
        grad_hs: dL/dhs, (batch, time, units): the loss's gradient at every state.

    Returns:
        (dx, dh0, dkernel, drecurrent_kernel, dbias), each of its input's shape.
    """
    # TODO: walk t backwards carrying dh = dL/dh_t; see the page for the five lines of each step.
    raise NotImplementedError("rnn_backward: fill in this function")
