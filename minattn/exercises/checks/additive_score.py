"""Grading of additive_score: Bahdanau's scores e_ij = v^T tanh(W1 q_i + W2 k_j).

Reference: ``minattn.layers.scores.additive_score``.
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers.scores import additive_score as reference

SUMMARY = "Bahdanau's additive scores v^T tanh(W1 q + W2 k) for every query-key pair"
FUNCTIONS = ("additive_score",)
BATCH, TQ, TK, DQ, DK, UNITS = 2, 3, 4, 5, 6, 7      # all different, so a swapped axis shows in the shape
ARGS = ("query", "keys", "query_kernel (W1)", "key_kernel (W2)", "v")
LARGE = 1000.0             # inputs x 1000: W1 q + W2 k in the hundreds, where tanh written with exp(2x) overflows
SHAPE_HINT = ("W1 q is query @ query_kernel (batch, Tq, units) and W2 k is keys @ key_kernel (batch, Tk, units); "
              "add them with new axes, q[:, :, None, :] + k[:, None, :, :], to get (batch, Tq, Tk, units).")


def checks(module):
    fn = module.additive_score
    return [
        ("scores have shape (batch, Tq, Tk)", partial(check_shape, fn)),
        ("scores match minattn's", partial(check_values, fn, 1, (BATCH, TQ, TK))),
        ("large inputs (x 1000: tanh written with exp overflows) give finite scores",
         partial(check_values, fn, 2, (BATCH, TQ, TK), LARGE)),
        ("a batch of 1 with one query", partial(check_values, fn, 3, (1, 1, TK))),
        ("gradients wrt query, keys, W1, W2 and v agree with finite differences", partial(check_gradients, fn)),
    ]


def random_case(seed, sizes, scale=1.0):
    """``(query, keys, query_kernel, key_kernel, v)`` for ``sizes = (batch, Tq, Tk)``."""
    batch, tq, tk = sizes
    rng = np.random.default_rng(seed)
    shapes = [(batch, tq, DQ), (batch, tk, DK), (DQ, UNITS), (DK, UNITS), (UNITS,)]
    query, keys, *weights = [0.5 * rng.standard_normal(shape) for shape in shapes]
    return [scale * query, scale * keys] + weights


def check_shape(fn):
    inputs = random_case(0, (BATCH, TQ, TK))
    scores = compare.call(fn, *inputs)
    hint = "One score per (query i, key j) pair: sum over the units axis after tanh."
    if np.shape(scores) == (BATCH, TK, TQ):
        hint = "Your axes are (batch, Tk, Tq): put the query axis before the key axis."
    compare.expect_shape(scores, (BATCH, TQ, TK), "the scores", "(batch, Tq, Tk)", hint)


def check_values(fn, seed, sizes, scale=1.0):
    inputs = random_case(seed, sizes, scale)
    scores = compare.call(fn, *inputs)
    compare.expect_shape(scores, sizes, "the scores", "(batch, Tq, Tk)")
    compare.expect_finite(scores, "the scores", "tanh never overflows: use anp.tanh, not a formula with exp.")
    compare.expect_close(scores, reference(*inputs), "the scores", mistakes(*inputs))


def check_gradients(fn):
    inputs = random_case(4, (BATCH, TQ, TK))
    compare.expect_gradients(fn, dict(zip(ARGS, inputs)), "additive_score")


def mistakes(query, keys, query_kernel, key_kernel, v):
    """What common slips return, each as (hint, compute)."""
    q = np.matmul(query, query_kernel)[:, :, None, :]          # (batch, Tq, 1, units)
    k = np.matmul(keys, key_kernel)[:, None, :, :]             # (batch, 1, Tk, units)
    return [("you left out the tanh: e = v^T tanh(W1 q + W2 k).", lambda: np.sum((q + k) * v, axis=-1)),
            ("you applied tanh after the product with v: e = v^T tanh(W1 q + W2 k), tanh first.",
             lambda: np.tanh(np.sum((q + k) * v, axis=-1)))]
