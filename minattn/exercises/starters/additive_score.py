"""Exercise additive_score: the attention scores of Bahdanau et al. (2015).

Fill in ``additive_score``, then check your work:

    python -m minattn.exercises check my_additive_score.py

Statement, maths and hints: docs/coursework/additive_score.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "additive_score"


def additive_score(query, keys, query_kernel, key_kernel, v):
    """Additive ("concat", Bahdanau) scores for every query-key pair.

        e_ij = v^T tanh(W1 q_i + W2 k_j)

    In Keras's layout the weights multiply from the right: W1 q_i is
    ``q_i @ query_kernel`` and W2 k_j is ``k_j @ key_kernel``.

    Args:
        query: (batch, Tq, dq), e.g. the decoder's states s.
        keys: (batch, Tk, dk), e.g. the encoder's states h.
        query_kernel: W1, (dq, units).
        key_kernel: W2, (dk, units).
        v: (units,).

    Returns:
        scores e, (batch, Tq, Tk).
    """
    # TODO: project the queries and the keys once each, then add them for every (i, j) pair by
    # broadcasting: (batch, Tq, 1, units) + (batch, 1, Tk, units).
    raise NotImplementedError("additive_score: fill in this function")
