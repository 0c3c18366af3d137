"""Grading of scaled_dot_attention: softmax(Q K^T / sqrt(d)) V, optionally causal.

Reference: ``minattn.layers.Attention(score="scaled_dot", causal=...)``.
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers.attention import Attention, masked_softmax
from ...layers.scores import dot_score

SUMMARY = "softmax(Q K^T / sqrt(d)) V over the keys, with an optional causal mask"
FUNCTIONS = ("scaled_dot_attention",)
NAMES = ("context", "weights")
BATCH, TQ, TK, D, DV = 2, 3, 5, 4, 6          # all different, so a swapped axis shows in the shape
LARGE = 1000.0                                 # queries x 1000: scores in the thousands, beyond exp's 709 (float64)
SHAPE_HINT = ("The scores are Q K^T: (batch, Tq, d) @ (batch, d, Tk), so swap the keys' last two axes "
              "(anp.swapaxes(keys, -1, -2)); the context is weights (batch, Tq, Tk) @ values (batch, Tk, dv).")
ORDER_HINT = "you returned (weights, context); return (context, weights)."


def checks(module):
    fn = module.scaled_dot_attention
    return [
        ("returns (context, weights) of the right shapes", partial(check_shapes, fn)),
        ("weights and context match minattn's", partial(check_values, fn, 0, (BATCH, TQ, TK), False)),
        ("causal: query i sees only keys j <= i", partial(check_causal, fn)),
        ("large scores (queries x 1000: exp overflows without the max subtracted) give finite values",
         partial(check_values, fn, 2, (BATCH, TQ, TK), False, LARGE)),
        ("the same in float32, with causal=True", partial(check_values, fn, 2, (BATCH, TK, TK), True, LARGE,
                                                          np.float32)),
        ("a batch of 1 with one query", partial(check_values, fn, 3, (1, 1, TK), False)),
        ("gradients wrt query, keys and values agree with finite differences", partial(check_gradients, fn, False)),
        ("the same with causal=True", partial(check_gradients, fn, True)),
    ]


def random_case(seed, sizes, scale=1.0, dtype=np.float64):
    batch, tq, tk = sizes
    rng = np.random.default_rng(seed)
    return tuple(a.astype(dtype) for a in (scale * rng.standard_normal((batch, tq, D)),
                                           rng.standard_normal((batch, tk, D)), rng.standard_normal((batch, tk, DV))))


def reference(query, keys, values, causal):
    layer = Attention(score="scaled_dot", causal=causal, return_attention_scores=True, name="reference_attention")
    context, weights = layer.apply({}, [query, values, keys])
    return context, weights


def check_shapes(fn):
    query, keys, values = random_case(0, (BATCH, TQ, TK))
    result = compare.call(fn, query, keys, values, False)
    compare.expect_count(result, 2, "scaled_dot_attention", NAMES)
    compare.expect_order(result, [(BATCH, TQ, DV), (BATCH, TQ, TK)], NAMES)
    compare.expect_shape(result[1], (BATCH, TQ, TK), "weights", "(batch, Tq, Tk)",
                         "The scores are Q K^T: (batch, Tq, d) @ (batch, d, Tk); swap the keys' last two axes.")
    compare.expect_shape(result[0], (BATCH, TQ, DV), "context", "(batch, Tq, dv)",
                         "The context is weights @ values: (batch, Tq, Tk) @ (batch, Tk, dv).")


def check_values(fn, seed, sizes, causal, scale=1.0, dtype=np.float64):
    query, keys, values = random_case(seed, sizes, scale, dtype)
    result = compare.call(fn, query, keys, values, causal)
    compare.expect_count(result, 2, "scaled_dot_attention", NAMES)
    batch, tq, tk = sizes
    compare.expect_order(result, [(batch, tq, DV), (batch, tq, tk)], NAMES)
    compare.expect_finite(result[1], "weights", compare.OVERFLOW_HINT)
    compare.expect_rows_sum_to_one(result[1], "weights", "The softmax runs over the keys: the last axis.")
    query, keys, values = (a.astype(np.float64) for a in (query, keys, values))
    tolerance = {"rtol": 1e-3, "atol": 1e-4} if dtype == np.float32 else {}   # float32 scores in the thousands
    compare.expect_close(result, reference(query, keys, values, causal), NAMES, mistakes(query, keys, values, causal),
                         **tolerance)


def check_causal(fn):
    query, keys, values = random_case(1, (BATCH, TK, TK))            # Tq = Tk for a causal mask
    result = compare.call(fn, query, keys, values, True)
    compare.expect_count(result, 2, "scaled_dot_attention", NAMES)
    weights = np.asarray(result[1], dtype=np.float64)
    compare.expect_shape(weights, (BATCH, TK, TK), "weights", "(batch, Tq, Tk)")
    future = np.argwhere(np.triu(np.ones((TK, TK), dtype=bool), k=1)[None] & (weights != 0.0))
    if future.size:
        b, i, j = (int(n) for n in future[0])
        raise compare.CheckFailure(f"with causal=True, query {i} gives weight {weights[b, i, j]:.3g} to the later "
                                   f"key {j} (batch {b}); it may only see keys j <= i, the rest must be exactly 0. "
                                   "Mask with np.tril(np.ones((Tq, Tk), dtype=bool)).")
    check_values(fn, 1, (BATCH, TK, TK), True)


def check_gradients(fn, causal):
    query, keys, values = random_case(4, (BATCH, TK, TK) if causal else (BATCH, TQ, TK))
    compare.expect_gradients(compare.bind_last(fn, causal), {"query": query, "keys": keys, "values": values},
                             "scaled_dot_attention")


def mistakes(query, keys, values, causal):
    """What common slips return, each as (hint, compute)."""
    d = query.shape[-1]
    allowed = np.tril(np.ones((query.shape[1], keys.shape[1]), dtype=bool))[None] if causal else None

    def attend(scale):
        weights = masked_softmax(dot_score(query, keys) / scale, allowed)
        return np.matmul(weights, values), weights

    return [(ORDER_HINT, lambda: attend(np.sqrt(d))[::-1]),
            ("your scores are not scaled: divide Q K^T by sqrt(d), d = the query size "
             f"({d} here), so they do not grow with d.", lambda: attend(1.0)),
            (f"you divided the scores by d = {d}; divide by sqrt(d).", lambda: attend(float(d)))]
