"""Grading of local_p_weights: Luong's local-p attention, the predicted position and the windowed weights.

Reference: ``minattn.layers.decoder.local_p_position`` and ``local_p_weights``.
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers.attention import masked_softmax
from ...layers.decoder import local_p_position, local_p_weights

SUMMARY = "Luong's local-p: p_t = S sigmoid(v_p^T tanh(W_p h_t)), softmax in [p_t - D, p_t + D] times a Gaussian"
FUNCTIONS = ("local_p_position", "local_p_weights")
BATCH, UNITS, SOURCE, WINDOW = 2, 3, 9, 2


def checks(module):
    position, weights = module.local_p_position, module.local_p_weights
    return [
        ("p_t has shape (batch,) and matches minattn's", partial(check_position, position)),
        ("gradients of p_t wrt h, W_p and v_p agree with finite differences", partial(check_position_gradients, position)),
        ("weights have shape (batch, Tx) and are exactly 0 outside the window", partial(check_outside, weights)),
        ("weights match minattn's", partial(check_weights, weights, np.array([2.3, 5.6]))),
        ("the window is inclusive: |s - p_t| <= D (p_t a whole number)", partial(check_weights, weights, np.array([3.0, 5.0]))),
        ("windows cut by the ends of the sentence", partial(check_weights, weights, np.array([0.4, SOURCE - 1.3]))),
        ("gradients wrt the scores and p_t agree with finite differences", partial(check_weight_gradients, weights)),
    ]


def position_case(seed):
    """``(h, position_kernel, position_v, source_lengths)``: real lengths vary per sentence."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((BATCH, UNITS)), rng.standard_normal((UNITS, UNITS)), rng.standard_normal(UNITS),
            np.array([SOURCE, SOURCE - 3], dtype=np.float64)]


def check_position(fn):
    h, kernel, v, lengths = position_case(0)
    p = compare.call(fn, h, kernel, v, lengths)
    compare.expect_shape(p, (BATCH,), "p_t", "(batch,)", "One position per sentence: v_p^T tanh(W_p h_t) is a "
                         "number per row (anp.dot(..., position_v)), times (source_lengths - 1).")
    unit = 1.0 / (1.0 + np.exp(-np.dot(np.tanh(np.dot(h, kernel)), v)))
    compare.expect_close(p, local_p_position(h, kernel, v, lengths), "p_t", [
        ("p_t must run from 0 to S - 1, the last real position: multiply the sigmoid by (source_lengths - 1).",
         lambda: lengths * unit),
        ("you left out the tanh: p_t = S sigmoid(v_p^T tanh(W_p h_t)).",
         lambda: (lengths - 1.0) / (1.0 + np.exp(-np.dot(np.dot(h, kernel), v))))])


def check_position_gradients(fn):
    h, kernel, v, lengths = position_case(1)
    compare.expect_gradients(compare.bind_last(fn, lengths), {"h": h, "W_p": kernel, "v_p": v}, "local_p_position")


def weights_case(seed):
    return np.random.default_rng(seed).standard_normal((BATCH, SOURCE))


def check_outside(fn):
    scores, p = weights_case(2), np.array([2.3, 5.6])
    weights = compare.call(fn, scores, p, WINDOW)
    compare.expect_shape(weights, (BATCH, SOURCE), "the weights", "(batch, Tx)")
    weights = np.asarray(weights, dtype=np.float64)
    outside = np.argwhere((np.abs(np.arange(SOURCE)[None, :] - p[:, None]) > WINDOW) & (weights != 0.0))
    if outside.size:
        b, s = (int(i) for i in outside[0])
        raise compare.CheckFailure(
            f"position {s} of sentence {b} is outside the window |s - p_t| <= D (p_t = {p[b]}, D = {WINDOW}) "
            f"but got weight {weights[b, s]:.3g}; it must be exactly 0. Take the softmax over the window only "
            "(mask the other positions), not over the whole sentence.")


def check_weights(fn, p):
    scores = weights_case(3)
    weights = compare.call(fn, scores, p, WINDOW)
    compare.expect_shape(weights, (BATCH, SOURCE), "the weights", "(batch, Tx)")
    compare.expect_finite(weights, "the weights", "Subtract the max score in the window before exp.")
    compare.expect_close(weights, local_p_weights(scores, p, WINDOW), "the weights", mistakes(scores, p))


def check_weight_gradients(fn):
    scores, p = weights_case(4), np.array([2.3, 5.6])           # p away from whole numbers: the window stays put
    compare.expect_gradients(compare.bind_last(fn, WINDOW), {"scores": scores, "p_t": p}, "local_p_weights")


def mistakes(scores, p):
    """What common slips return, each as (hint, compute)."""
    distance = np.arange(SOURCE)[None, :] - p[:, None]

    def weights(sigma=WINDOW / 2.0, inside=np.abs(distance) <= WINDOW, over=None, normalise=False):
        out = masked_softmax(scores, inside if over is None else over) * np.exp(-distance ** 2 / (2 * sigma ** 2))
        out = np.where(inside, out, 0.0)
        return out / np.sum(out, axis=-1, keepdims=True) if normalise else out

    return [("your Gaussian has sigma = D; Luong et al. use sigma = D / 2: exp(-(s - p_t)^2 / (2 (D/2)^2)).",
             lambda: weights(sigma=WINDOW)),
            ("your window leaves out its ends: it is |s - p_t| <= D, both ends included.",
             lambda: weights(inside=np.abs(distance) < WINDOW)),
            ("you normalised the weights again after the Gaussian; Luong's local-p does not: they sum to less than 1.",
             lambda: weights(normalise=True)),
            ("your softmax runs over the whole sentence; it must run over the window positions only.",
             lambda: weights(over=np.ones_like(distance, dtype=bool)))]
