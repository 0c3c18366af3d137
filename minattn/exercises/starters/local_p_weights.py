"""Exercise local_p_weights: Luong et al.'s (2015) local attention with predicted alignment, "local-p".

Global attention looks at every source position. Local-p first predicts
where to look, a position p_t in the source sentence, then attends only to
the window [p_t - D, p_t + D] around it, favouring the positions near p_t
with a Gaussian. minattn's date translator uses it (``minattn/layers/decoder.py``).

Fill in ``local_p_position`` and ``local_p_weights``, then check your work:

    python -m minattn.exercises check my_local_p_weights.py

Statement, maths and hints: docs/coursework/local_p_weights.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)
import numpy as np  # noqa: F401 (for your code)
from autograd.tracer import getval  # noqa: F401 (for your code)

EXERCISE = "local_p_weights"


def local_p_position(h, position_kernel, position_v, source_lengths):
    """The predicted source position p_t = S * sigmoid(v_p^T tanh(W_p h_t)).

    S = source_lengths - 1, so p_t runs from 0 (the first position) to the
    last real position of each sentence.

    Args:
        h: the decoder's state h_t, (batch, units).
        position_kernel: W_p, (units, units) (Keras layout: h @ W_p).
        position_v: v_p, (units,).
        source_lengths: the number of real source positions of each sentence, (batch,).

    Returns:
        p_t, (batch,) floats.
    """
    # TODO: sigmoid(anp.dot(anp.tanh(anp.dot(h, W_p)), v_p)) times (source_lengths - 1).
    raise NotImplementedError("local_p_position: fill in this function")


def local_p_weights(scores, p, window):
    """Luong's local-p weights over the source positions s = 0 .. Tx-1.

        in_window_s = |s - p_t| <= D                       both ends included
        a_s = softmax over the positions in the window of the scores,  0 outside
        w_s = a_s * exp(-(s - p_t)^2 / (2 sigma^2)),  sigma = D / 2

    The weights are not normalised again after the Gaussian: they sum to
    less than 1. The window is a hard choice and passes no gradient (use
    ``getval(p)`` to decide it); p_t learns through the Gaussian.

    Args:
        scores: alignment scores e_ts, (batch, Tx).
        p: predicted positions p_t, (batch,) floats.
        window: D, a whole number.

    Returns:
        w, (batch, Tx); exactly 0 outside the window.
    """
    # TODO: distance = s - p_t for every position (np.arange(Tx)); a masked softmax over the window
    # (the masked positions exactly 0); times the Gaussian of the distance.
    raise NotImplementedError("local_p_weights: fill in this function")
