"""Exercise lstm_cell: one step of a long short-term memory cell, in Keras's weight layout.

Fill in ``lstm_cell``, then check your work:

    python -m minattn.exercises check my_lstm_cell.py

Statement, maths and hints: docs/coursework/lstm_cell.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "lstm_cell"


def lstm_cell(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM time step (Hochreiter & Schmidhuber 1997), as Keras's LSTM computes it.

        z   = x @ kernel + h @ recurrent_kernel + bias     (batch, 4 units), four blocks of units columns
        i   = sigmoid(z_i)                                 input gate       block 0
        f   = sigmoid(z_f)                                 forget gate      block 1
        g   = tanh(z_c)                                    candidate cell   block 2
        o   = sigmoid(z_o)                                 output gate      block 3
        c'  = f * c + i * g
        h'  = o * tanh(c')

    The gate order i, f, c, o is Keras's, so weights from a Keras model fit.

    Args:
        x: the input at this step, (batch, features).
        h: the previous hidden state, (batch, units).
        c: the previous cell state, (batch, units).
        kernel: (features, 4 units).
        recurrent_kernel: (units, 4 units).
        bias: (4 units,).

    Returns:
        (h', c'): the new hidden and cell states, each (batch, units).
    """
    # TODO: units = h.shape[-1]; one z for all four gates, then slice it in blocks of units columns.
    raise NotImplementedError("lstm_cell: fill in this function")
