"""Grading of masked_softmax: masked keys get exactly 0, a fully masked row gives zeros (not NaN).

Reference: ``minattn.layers.attention.masked_softmax``.
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers.attention import masked_softmax as reference

SUMMARY = "softmax over the keys in which masked keys get exactly 0 and a fully masked row gives zeros"
FUNCTIONS = ("masked_softmax",)
ZERO_HINT = ("A masked key must get weight exactly 0: replace the masked scores by a very negative number "
             "(e.g. -1e9) before the softmax, or set the masked weights to 0 after it.")
SUM_HINT = ("The allowed keys' weights must sum to 1: leave the masked scores out of the softmax itself "
            "(replace them by -1e9 before it), rather than only zeroing their weights after it.")
EMPTY_HINT = ("That row has every key masked: there is nothing to attend to, so its weights must all be 0 "
              "(0/0 gives NaN, and a softmax over equal -1e9 scores gives 1/Tk each). "
              "Set the weights where mask is False to 0 after the softmax, e.g. anp.where(mask, weights, 0.0).")


def checks(module):
    fn = module.masked_softmax
    return [
        ("no mask (mask=None): a plain softmax over the last axis", partial(check_no_mask, fn)),
        ("masked keys get exactly 0 and each row sums to 1", partial(check_masked_keys, fn)),
        ("a fully masked row gives zeros, not NaN", partial(check_fully_masked_row, fn)),
        ("a key mask (batch, 1, Tk) broadcasts over the queries", partial(check_broadcast_mask, fn)),
        ("large scores (about 1000) give finite values, in float64", partial(check_large_scores, fn, np.float64)),
        ("the same in float32 (exp overflows beyond 88 there)", partial(check_large_scores, fn, np.float32)),
        ("a batch of 1 with one query", partial(check_single, fn)),
        ("gradient wrt the scores agrees with finite differences", partial(check_gradient, fn)),
    ]


def random_case(seed, shape=(2, 3, 5), scale=2.0):
    """Scores and a mask with at least one allowed key per row."""
    rng = np.random.default_rng(seed)
    scores = scale * rng.standard_normal(shape)
    mask = rng.random(shape) < 0.6
    mask[..., 0] = True
    return scores, mask


def check_no_mask(fn):
    scores, _ = random_case(0)
    weights = compare.call(fn, scores, None)
    compare.expect_shape(weights, scores.shape, "masked_softmax's output", "the shape of scores")
    compare.expect_rows_sum_to_one(weights, "masked_softmax", "With mask=None it is a plain softmax over axis -1.")
    compare.expect_close(weights, reference(scores), "masked_softmax")


def check_masked_keys(fn):
    scores, mask = random_case(1)
    expect_masked_softmax(fn, scores, mask)


def check_fully_masked_row(fn):
    scores, mask = random_case(2)
    mask[1, 0] = False                                  # batch 1, query 0: no key allowed
    expect_masked_softmax(fn, scores, mask)


def check_broadcast_mask(fn):
    scores, mask = random_case(3)
    expect_masked_softmax(fn, scores, mask[:, :1, :])   # one key mask per sequence, shared by the queries


def check_large_scores(fn, dtype):
    """Scores around 1000: exp overflows beyond 709 in float64 and beyond 88 in float32."""
    scores, mask = random_case(4, scale=1.0)
    expect_masked_softmax(fn, (scores + 1000.0).astype(dtype), mask,
                          **(compare.FLOAT32 if dtype == np.float32 else {}))


def check_single(fn):
    scores, mask = random_case(5, shape=(1, 1, 4))
    expect_masked_softmax(fn, scores, mask)


def check_gradient(fn):
    scores, mask = random_case(6)
    mask[0, 2] = False                                  # a fully masked row too: its gradient is 0
    compare.expect_gradients(compare.bind_last(fn, mask), {"scores": scores}, "masked_softmax")


def expect_masked_softmax(fn, scores, mask, rtol=compare.RTOL, atol=compare.ATOL):
    """Zeros where masked, rows summing to 1 (0 when fully masked), then minattn's values."""
    weights = compare.call(fn, scores, mask)
    compare.expect_shape(weights, scores.shape, "masked_softmax's output", "the shape of scores")
    weights = np.asarray(weights, dtype=np.float64)
    full_mask = np.broadcast_to(mask, scores.shape)
    empty_rows = ~full_mask.any(axis=-1)
    for row in np.argwhere(empty_rows):
        row = tuple(int(i) for i in row)
        compare.expect_finite(weights[row], f"the weights of row {row}", EMPTY_HINT)
        if np.any(weights[row] != 0.0):
            raise compare.CheckFailure(f"row {row} has every key masked, and your weights there are "
                                       f"{np.round(weights[row], 4).tolist()}. {EMPTY_HINT}")
    compare.expect_finite(weights, "masked_softmax", "Subtract each row's max (over the allowed keys) before exp.")
    masked = np.argwhere(~full_mask & (weights != 0.0))
    if masked.size:
        index = tuple(int(i) for i in masked[0])
        raise compare.CheckFailure(f"the masked key at index {index} got weight {weights[index]:.3g}. {ZERO_HINT}")
    compare.expect_rows_sum_to_one(weights, "masked_softmax", SUM_HINT, empty_rows=empty_rows)
    compare.expect_close(weights, reference(scores.astype(np.float64), mask), "masked_softmax", rtol=rtol, atol=atol)
