"""Exercise masked_softmax: attention weights that ignore padding.

Sequences in a batch have different lengths, so the short ones are padded,
and a query must not attend to a padded key. A boolean mask marks the keys
that may be attended to (True) and those that may not (False).

Fill in ``masked_softmax``, then check your work:

    python -m minattn.exercises check my_masked_softmax.py

Statement, maths and hints: docs/coursework/masked_softmax.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "masked_softmax"


def masked_softmax(scores, mask):
    """Softmax over the last axis (the keys) in which masked keys get weight exactly 0.

    For each row (one query's scores over the keys j):

        a_j = exp(e_j) / sum_{k allowed} exp(e_k)   if key j is allowed
        a_j = 0                                     if key j is masked

    A row in which every key is masked has nothing to attend to: its weights
    are all 0 (never NaN). With ``mask=None`` every key is allowed.

    Args:
        scores: float array (batch, Tq, Tk), or any shape (..., Tk).
        mask: boolean array broadcastable to scores, e.g. (batch, Tq, Tk) or
            (batch, 1, Tk); True = the key may be attended to. Or None.

    Returns:
        weights, the shape of scores; each row sums to 1 over its allowed
        keys, or is all zeros when no key is allowed.
    """
    # TODO: the softmax must never see the masked scores (use anp.where), subtract the row max
    # before exp, and make the masked weights exactly 0 at the end.
    raise NotImplementedError("masked_softmax: fill in this function")
