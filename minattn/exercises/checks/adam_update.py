"""Grading of adam_update: one Adam step as Keras computes it (bias correction folded into the step size).

Reference: ``minattn.optimizers.Adam.update``, run on copies.
"""
from functools import partial

import numpy as np

from .. import compare
from ...optimizers import Adam

SUMMARY = "one Adam step with Keras's bias correction: m, v, then p -= lr sqrt(1-b2^t)/(1-b1^t) m/(sqrt(v)+eps)"
FUNCTIONS = ("adam_update",)
NAMES = ("new_param", "new_m", "new_v")
SHAPE = (3, 4)                       # a kernel-like weight: the update is elementwise
SHAPE_HINT = "Every operation is elementwise: param, grad, m and v all have the same shape."


def checks(module):
    fn = module.adam_update
    return [
        ("returns (new_param, new_m, new_v), each of param's shape", partial(check_shapes, fn)),
        ("the first step (t = 1, m = v = 0) matches minattn's Adam", partial(check_step, fn, 0, 1, False)),
        ("step t = 7 from non-zero moments, other settings", partial(check_step, fn, 1, 7, True)),
        ("tiny gradients: epsilon is added to sqrt(v) after the bias correction, as Keras does",
         partial(check_step, fn, 2, 3, False, 1e-9)),
        ("a late step (t = 1000): the bias correction is almost 1", partial(check_step, fn, 3, 1000, True)),
        ("param, grad, m and v are left as they were (new arrays are returned)", partial(check_unchanged, fn)),
    ]


def random_case(seed, step, grad_scale=1.0):
    """``(param, grad, m, v)``; at step 1 the moments are zero, as a fresh optimizer's are.

    ``grad_scale`` scales param too, so that the step stays large next to param's rounding.
    """
    rng = np.random.default_rng(seed)
    param, grad = grad_scale * rng.standard_normal(SHAPE), grad_scale * rng.standard_normal(SHAPE)
    if step == 1:
        return param, grad, np.zeros(SHAPE), np.zeros(SHAPE)
    m = 0.1 * grad_scale * rng.standard_normal(SHAPE)
    v = 0.01 * grad_scale ** 2 * rng.random(SHAPE)                   # v >= 0: a mean of squares
    return param, grad, m, v


def settings(other):
    """``(learning_rate, beta_1, beta_2, epsilon)``: Keras's defaults, or other values so a hard-coded one shows."""
    return (0.01, 0.8, 0.99, 1e-6) if other else (0.001, 0.9, 0.999, 1e-7)


def reference(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    optimizer = Adam(learning_rate, beta_1, beta_2, epsilon)
    state = {"t": step - 1, "m": m.copy(), "v": v.copy()}
    flat, state = optimizer.update(param.copy(), grad.copy(), state, sizes=None)   # counts t = step
    return flat, state["m"], state["v"]


def check_shapes(fn):
    result = compare.call(fn, *random_case(0, 1), 1, *settings(False))
    compare.expect_count(result, 3, "adam_update", NAMES)
    for name, value in zip(NAMES, result):
        compare.expect_shape(value, SHAPE, name, "param's shape", SHAPE_HINT)


def check_step(fn, seed, step, other, grad_scale=1.0):
    inputs = random_case(seed, step, grad_scale)
    result = compare.call(fn, *inputs, step, *settings(other))
    compare.expect_count(result, 3, "adam_update", NAMES)
    for name, value in zip(NAMES, result):
        compare.expect_shape(value, SHAPE, name, "param's shape", SHAPE_HINT)
        compare.expect_finite(value, name, "At step t the bias corrections are 1 - beta^t with t >= 1, never 0.")
    compare.expect_close(result, reference(*inputs, step, *settings(other)), NAMES,
                         mistakes(*inputs, step, *settings(other)), atol=1e-12)


def check_unchanged(fn):
    compare.call(fn, *random_case(4, 5), 5, *settings(False))      # the sandbox compares the inputs after the call


def mistakes(param, grad, m, v, step, learning_rate, beta_1, beta_2, epsilon):
    """What common slips return, each as (hint, compute)."""
    new_m = beta_1 * m + (1 - beta_1) * grad
    new_v = beta_2 * v + (1 - beta_2) * grad ** 2

    def moved(step_size, denominator):
        return param - step_size * new_m / denominator, new_m, new_v

    m_hat, v_hat = new_m / (1 - beta_1 ** step), new_v / (1 - beta_2 ** step)
    keras_rate = learning_rate * np.sqrt(1 - beta_2 ** step) / (1 - beta_1 ** step)
    return [
        ("you left out the bias correction: the step size is lr * sqrt(1 - beta_2^t) / (1 - beta_1^t).",
         lambda: moved(learning_rate, np.sqrt(new_v) + epsilon)),
        ("you used the paper's m_hat / (sqrt(v_hat) + eps): Keras (and minattn) fold the correction into the step "
         "size, lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t), and add epsilon to sqrt(v) itself, which differs "
         "when sqrt(v) is not much larger than epsilon.",
         lambda: (param - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon), new_m, new_v)),
        ("you added the gradient step instead of subtracting it: p = p - lr_t m / (sqrt(v) + eps).",
         lambda: (param + keras_rate * new_m / (np.sqrt(new_v) + epsilon), new_m, new_v)),
        ("you used v without its square root: p = p - lr_t m / (sqrt(v) + eps).",
         lambda: moved(keras_rate, new_v + epsilon)),
        ("you updated param with the old moments: compute the new m and v first, then the step with them.",
         lambda: (param - keras_rate * m / (np.sqrt(v) + epsilon), new_m, new_v)),
        ("your v averages g, not g^2: v = beta_2 v + (1 - beta_2) g^2.",
         lambda: (param - keras_rate * new_m / (np.sqrt(np.abs(beta_2 * v + (1 - beta_2) * grad)) + epsilon), new_m,
                  beta_2 * v + (1 - beta_2) * grad)),
        ("you returned (new_param, new_v, new_m); return (new_param, new_m, new_v).",
         lambda: (param - keras_rate * new_m / (np.sqrt(new_v) + epsilon), new_v, new_m)),
    ]
