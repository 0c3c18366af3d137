"""Grading of lstm_cell: one LSTM step in Keras's layout, gates in the order i, f, c, o.

Reference: ``minattn.layers.LSTM.step`` (sigmoid gates, tanh activation).
"""
from functools import partial

import numpy as np

from .. import compare
from ..gate_order import gate_order_mistakes
from ...layers import LSTM

SUMMARY = "one LSTM step in Keras's layout (kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u,), gates i, f, c, o)"
FUNCTIONS = ("lstm_cell",)
NAMES = ("h", "c")
GATES = "ifco"                                   # Keras's order of the four blocks of 4u columns
BATCH, FEATURES, UNITS = 2, 3, 4                 # all different, so a wrong axis shows in the shape
ARGS = ("x", "h", "c", "kernel", "recurrent_kernel", "bias")
SLICE_HINT = ("z = x @ kernel + h @ recurrent_kernel + bias has 4*units columns; each gate is one block of "
              "units columns: z[:, :units], z[:, units:2*units], z[:, 2*units:3*units], z[:, 3*units:].")

SHAPE_HINT = SLICE_HINT
LARGE = 1000.0                 # x x 1000: gate inputs in the thousands, where exp(-z) overflows


def checks(module):
    fn = module.lstm_cell
    return [
        ("returns (h, c), each (batch, units)", partial(check_shapes, fn)),
        ("h and c match minattn's LSTM step", partial(check_values, fn, 1, BATCH)),
        ("large inputs (x 1000) give finite values", partial(check_values, fn, 2, BATCH, LARGE)),
        ("large inputs (x 1000) give finite gradients: a sigmoid that does not overflow",
         partial(check_large_gradients, fn)),
        ("a batch of 1", partial(check_values, fn, 3, 1)),
        ("gradients wrt x, h, c and the weights agree with finite differences", partial(check_gradients, fn)),
    ]


def random_case(seed, batch, scale=1.0):
    """``(x, h, c, kernel, recurrent_kernel, bias)``."""
    rng = np.random.default_rng(seed)
    shapes = [(batch, FEATURES), (batch, UNITS), (batch, UNITS), (FEATURES, 4 * UNITS), (UNITS, 4 * UNITS),
              (4 * UNITS,)]
    x, *rest = [rng.standard_normal(shape) for shape in shapes]
    return [scale * x] + rest


def reference(x, h, c, kernel, recurrent_kernel, bias, recurrent_activation="sigmoid"):
    cell = LSTM(UNITS, recurrent_activation=recurrent_activation, name="reference_lstm")
    new_h, new_c = cell.step({"recurrent_kernel": recurrent_kernel}, np.dot(x, kernel) + bias, [h, c])
    return new_h, new_c


def check_shapes(fn):
    inputs = random_case(0, BATCH)
    result = compare.call(fn, *inputs)
    compare.expect_count(result, 2, "lstm_cell", NAMES)
    for name, value in zip(NAMES, result):
        compare.expect_shape(value, (BATCH, UNITS), f"lstm_cell returned {name}, which", "(batch, units)",
                             SLICE_HINT)


def check_values(fn, seed, batch, scale=1.0):
    inputs = random_case(seed, batch, scale)
    result = compare.call(fn, *inputs)
    compare.expect_count(result, 2, "lstm_cell", NAMES)
    for name, value in zip(NAMES, result):
        compare.expect_shape(value, (batch, UNITS), name, "(batch, units)", SLICE_HINT)
        compare.expect_finite(value, name, compare.SIGMOID_HINT)
    compare.expect_close(result, reference(*inputs), NAMES, mistakes(*inputs))


def check_large_gradients(fn):
    inputs = dict(zip(ARGS, random_case(5, BATCH, LARGE)))
    compare.expect_finite_gradients(fn, inputs, "lstm_cell", compare.SIGMOID_HINT)


def check_gradients(fn):
    compare.expect_gradients(fn, dict(zip(ARGS, random_case(4, BATCH))), "lstm_cell")


def mistakes(x, h, c, kernel, recurrent_kernel, bias):
    """What common slips return, each as (hint, compute)."""
    found = [("you returned (c, h); return (h, c).", lambda: reference(x, h, c, kernel, recurrent_kernel, bias)[::-1]),
             ("your gates use Keras 2's hard sigmoid (0.2 x + 0.5, clipped); minattn and TF2 Keras use the "
              "logistic sigmoid 1 / (1 + exp(-x)).",
              lambda: reference(x, h, c, kernel, recurrent_kernel, bias, "legacy_hard_sigmoid"))]
    return found + gate_order_mistakes(reference, (x, h, c), (kernel, recurrent_kernel, bias), GATES,
                                       SLICE_HINT)

