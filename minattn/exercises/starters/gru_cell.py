"""Exercise gru_cell: one step of a gated recurrent unit, as minattn's (and TF2 Keras's) GRU.

There are two GRUs in use. minattn's GRU, like Keras on TensorFlow 2 (and
cuDNN), uses ``reset_after=True``: the reset gate multiplies the recurrent
term *after* the matrix product, and there are two biases. Cho et al.'s
original (``reset_after=False``) applies it before. This exercise is the
``reset_after=True`` form.

Fill in ``gru_cell``, then check your work:

    python -m minattn.exercises check my_gru_cell.py

Statement, maths and hints: docs/coursework/gru_cell.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "gru_cell"


def gru_cell(x, h, kernel, recurrent_kernel, bias):
    """One GRU time step (Cho et al. 2014), reset_after=True, gates in Keras's order z, r, h.

    With W = kernel, U = recurrent_kernel, b_x = bias[0], b_h = bias[1], each
    cut in three blocks of units columns (z, r, h in that order):

        z   = sigmoid(x W_z + b_xz + h U_z + b_hz)             update gate
        r   = sigmoid(x W_r + b_xr + h U_r + b_hr)             reset gate
        hh  = tanh(x W_h + b_xh + r * (h U_h + b_hh))          candidate state
        h'  = z * h + (1 - z) * hh

    Args:
        x: the input at this step, (batch, features).
        h: the previous hidden state, (batch, units).
        kernel: W, (features, 3 units).
        recurrent_kernel: U, (units, 3 units).
        bias: (2, 3 units): row 0 the input bias b_x, row 1 the recurrent bias b_h.

    Returns:
        h', the new hidden state, (batch, units).
    """
    # TODO: units = h.shape[-1]; compute x @ kernel + bias[0] and h @ recurrent_kernel + bias[1] once
    # each, then slice both in blocks of units columns.
    raise NotImplementedError("gru_cell: fill in this function")
