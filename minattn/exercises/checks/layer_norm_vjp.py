"""Grading of layer_norm_vjp: layer normalization as an autograd primitive with its three VJPs by hand.

Reference: Keras's ``LayerNormalization`` over the last axis (epsilon 1e-3,
the population variance), written out below in float64; the gradient check
exercises exactly the VJPs the student registered with ``defvjp``.
"""
from functools import partial

import numpy as np

from .. import compare

SUMMARY = "layer normalization over the last axis as an autograd primitive, its VJPs for x, gamma, beta by hand"
FUNCTIONS = ("layer_norm",)
SHAPES = ((1, 6), (2, 3, 5))
FEATURES_HINT = "gamma and beta have one entry per feature (the last axis of x) and broadcast over the rest."
VJP_HINT = ("The VJPs you registered with defvjp are wrong. With x_hat = (x - mean) / sqrt(var + eps) over the "
            "last axis and G = gamma * g: x_bar = (G - mean(G) - x_hat * mean(G * x_hat)) / sqrt(var + eps); "
            "gamma_bar = sum of g * x_hat over every axis but the last; beta_bar = sum of g over those axes.")
SHAPE_HINT = FEATURES_HINT


def checks(module):
    fn = module.layer_norm
    return [("layer_norm is an autograd primitive with its VJPs registered by defvjp", partial(check_primitive, fn))] + [
        (f"values match Keras's LayerNormalization, shape {shape}", partial(check_values, fn, shape, 0))
        for shape in SHAPES] + [
        ("another epsilon (1e-5) on rows of small variance, passed as the fourth argument",
         partial(check_values, fn, (3, 4), 1, 1e-3, 1e-5)),
        ("rows far from 0 (1e7 + noise): the variance from x - mean, not E[x^2] - E[x]^2",
         partial(check_values, fn, (3, 8), 2, 1.0, 1e-3, 1e7)),
    ] + [(f"your VJPs for x, gamma and beta agree with finite differences, shape {shape}",
          partial(check_vjp, fn, shape)) for shape in SHAPES]


def random_case(shape, seed, scale=1.0, offset=0.0):
    """``(x, gamma, beta)``; gamma and beta are not 1 and 0, so leaving one out shows."""
    rng = np.random.default_rng(seed)
    x = offset + scale * (1.0 + 2.0 * rng.standard_normal(shape))
    return x, 1.0 + 0.5 * rng.standard_normal(shape[-1]), rng.standard_normal(shape[-1])


def reference(x, gamma, beta, epsilon=1e-3, variance=np.var, inside=True):
    """Keras's layer normalization; ``variance`` and ``inside`` (eps under the root) name the usual slips."""
    centred = x - np.mean(x, axis=-1, keepdims=True)
    var = variance(x, axis=-1, keepdims=True)
    scale = np.sqrt(var + epsilon) if inside else np.sqrt(var) + epsilon
    return gamma * centred / scale + beta


def check_primitive(fn):
    facts = fn.probe()
    if not facts["primitive"]:
        raise compare.CheckFailure(
            "layer_norm is not an autograd primitive, so autograd would trace through its operations and never "
            "use your VJPs. Decorate it: from autograd.extend import primitive, then @primitive above def layer_norm.")
    if not facts["vjp"]:
        raise compare.CheckFailure("no VJP is registered for layer_norm. After defining it, call "
                                   "defvjp(layer_norm, vjp_x, vjp_gamma, vjp_beta) (from autograd.extend).")


def check_values(fn, shape, seed, scale=1.0, epsilon=None, offset=0.0):
    x, gamma, beta = random_case(shape, seed, scale * (1e-3 if epsilon == 1e-5 else 1.0), offset)
    args = (x, gamma, beta) if epsilon is None else (x, gamma, beta, epsilon)
    y = compare.call(fn, *args)
    compare.expect_shape(y, shape, "layer_norm's output", "the shape of x", FEATURES_HINT)
    compare.expect_finite(y, "layer_norm", "Divide by sqrt(var + epsilon): never by a bare sqrt(var).")
    epsilon = 1e-3 if epsilon is None else epsilon
    compare.expect_close(y, reference(x, gamma, beta, epsilon), "layer_norm", mistakes(x, gamma, beta, epsilon))


def check_vjp(fn, shape):
    check_primitive(fn)                   # otherwise autograd traces through layer_norm and never calls the VJPs
    x, gamma, beta = random_case(shape, 3)
    compare.expect_gradients(fn, {"x": x, "gamma": gamma, "beta": beta}, "layer_norm", VJP_HINT)


def mistakes(x, gamma, beta, epsilon):
    """What common slips return, each as (hint, compute)."""
    def one_pass(a, axis, keepdims):
        return np.mean(a ** 2, axis=axis, keepdims=keepdims) - np.mean(a, axis=axis, keepdims=keepdims) ** 2

    return [("you used the sample variance (divided by n - 1); layer normalization uses the mean of the "
             "squared deviations (divide by n, np.var's default ddof=0).",
             lambda: reference(x, gamma, beta, epsilon, partial(np.var, ddof=1))),
            ("you added epsilon to the standard deviation; Keras adds it to the variance: sqrt(var + epsilon).",
             lambda: reference(x, gamma, beta, epsilon, inside=False)),
            ("your variance is E[x^2] - E[x]^2, which loses every digit when the mean is large next to the spread "
             "(1e14 - 1e14); compute it as the mean of (x - mean)^2.",
             lambda: reference(x, gamma, beta, epsilon, one_pass)),
            ("you left out epsilon, or used another one than the argument: sqrt(var + epsilon).",
             lambda: reference(x, gamma, beta, 1e-3 if epsilon != 1e-3 else 0.0)),
            ("you swapped gamma and beta: y = gamma * x_hat + beta.",
             lambda: reference(x, beta, gamma, epsilon))]
