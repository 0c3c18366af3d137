"""Grading of attention_pooling: the article's (seed 003) layer with its bias actually added.

Reference: ``minattn.layers.AttentionPooling(use_bias=True, return_attention=True)``.
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers.attention import masked_softmax
from ...layers.attention_pooling import AttentionPooling

SUMMARY = "the article's attention pooling, e = x W + b, a = softmax over time, out = sum_t a_t x_t"
FUNCTIONS = ("attention_pooling",)
NAMES = ("pooled", "weights")
BATCH, TIME, FEATURES = 2, 5, 3
SUM_HINT = "The softmax runs over time (axis 1 of the (batch, time) scores): one weight per step."
LARGE = 1000.0                 # x x 1000: scores in the thousands, beyond exp's 709 (float64)
SHAPE_HINT = "x is (batch, time, features) and W (features, 1): x @ W is (batch, time, 1); the bias b is (time, 1)."


def checks(module):
    fn = module.attention_pooling
    return [
        ("returns (pooled, weights) of the right shapes", partial(check_shapes, fn)),
        ("pooled vector and weights match minattn's, bias added", partial(check_values, fn, 1, BATCH)),
        ("large inputs (x x 1000: exp overflows without the max subtracted) give finite values",
         partial(check_values, fn, 2, BATCH, LARGE)),
        ("a batch of 1", partial(check_values, fn, 3, 1)),
        ("gradients wrt x, W and b agree with finite differences", partial(check_gradients, fn)),
    ]


def random_case(seed, batch, scale=1.0):
    """``(x, kernel, bias)``; the bias is not zero, so leaving it out shows."""
    rng = np.random.default_rng(seed)
    return (scale * rng.standard_normal((batch, TIME, FEATURES)), rng.standard_normal((FEATURES, 1)),
            rng.standard_normal((TIME, 1)))


def reference(x, kernel, bias):
    layer = AttentionPooling(use_bias=True, return_attention=True, name="reference_attention_pooling")
    pooled, weights = layer.apply({"kernel": kernel, "bias": bias}, x)
    return pooled, weights


def check_shapes(fn):
    x, kernel, bias = random_case(0, BATCH)
    result = compare.call(fn, x, kernel, bias)
    compare.expect_count(result, 2, "attention_pooling", NAMES)
    compare.expect_order(result, [(BATCH, FEATURES), (BATCH, TIME)], NAMES)
    compare.expect_shape(result[1], (BATCH, TIME), "weights", "(batch, time)",
                         "x W is (batch, time, 1): drop the last axis; the bias (time, 1) is added as bias[:, 0].")
    compare.expect_shape(result[0], (BATCH, FEATURES), "pooled", "(batch, features)",
                         "Sum a_t x_t over the time axis (axis 1).")


def check_values(fn, seed, batch, scale=1.0):
    x, kernel, bias = random_case(seed, batch, scale)
    result = compare.call(fn, x, kernel, bias)
    compare.expect_count(result, 2, "attention_pooling", NAMES)
    compare.expect_order(result, [(batch, FEATURES), (batch, TIME)], NAMES)
    compare.expect_shape(result[1], (batch, TIME), "weights", "(batch, time)")
    compare.expect_finite(result[1], "weights", compare.OVERFLOW_HINT)
    compare.expect_rows_sum_to_one(result[1], "weights", SUM_HINT)
    compare.expect_close(result, reference(x, kernel, bias), NAMES, mistakes(x, kernel, bias))


def check_gradients(fn):
    x, kernel, bias = random_case(4, BATCH)
    compare.expect_gradients(fn, {"x": x, "W": kernel, "b": bias}, "attention_pooling")


def mistakes(x, kernel, bias):
    """What common slips return, each as (hint, compute)."""
    def pool(scores):
        weights = masked_softmax(scores)
        return np.sum(x * weights[:, :, None], axis=1), weights

    scores = np.matmul(x, kernel)[:, :, 0]                      # (batch, time)
    return [("your result does not change with b: the article's layer creates the bias b (time, 1) but "
             "never adds it, and this exercise asks you to add it: e = x W + b.", lambda: pool(scores)),
            ("you applied tanh to the scores; this layer uses e = x W + b as it is.",
             lambda: pool(np.tanh(scores + bias[:, 0])))]
