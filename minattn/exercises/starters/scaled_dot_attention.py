"""Exercise scaled_dot_attention: the attention of the Transformer (Vaswani et al. 2017).

Fill in ``scaled_dot_attention``, then check your work:

    python -m minattn.exercises check my_scaled_dot_attention.py

Statement, maths and hints: docs/coursework/scaled_dot_attention.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)
import numpy as np  # noqa: F401 (for your code)

EXERCISE = "scaled_dot_attention"


def scaled_dot_attention(query, keys, values, causal=False):
    """Scaled dot-product attention: softmax(Q K^T / sqrt(d)) V.

        e_ij = q_i . k_j / sqrt(d)          scores, d = the size of a query (and of a key)
        a_ij = softmax_j(e_ij)              over the keys j, for each query i
        c_i  = sum_j a_ij v_j               the context: a weighted average of the values

    With ``causal=True`` query i may only attend to the keys j <= i (a
    decoder must not look at later positions): a_ij = 0 exactly for j > i,
    and each row still sums to 1 over the keys it may see. Causal attention
    is used with Tq == Tk.

    Args:
        query: (batch, Tq, d).
        keys: (batch, Tk, d).
        values: (batch, Tk, dv).
        causal: mask the keys after each query's own position.

    Returns:
        (context, weights): context (batch, Tq, dv), weights (batch, Tq, Tk).
    """
    # TODO: scores with anp.matmul and anp.swapaxes; the causal mask with np.tril; a softmax over
    # the last axis that subtracts the row max (masked scores must get weight exactly 0).
    raise NotImplementedError("scaled_dot_attention: fill in this function")
