"""Grading of gru_cell: one GRU step as minattn's GRU (Keras's layout, gates z, r, h, reset_after=True).

Reference: ``minattn.layers.GRU.step`` with its defaults (sigmoid gates, tanh, reset_after=True).
"""
from functools import partial

import numpy as np

from .. import compare
from ..gate_order import gate_order_mistakes
from ...layers import GRU

SUMMARY = "one GRU step as minattn's GRU: gates z, r, h, reset_after=True, bias (2, 3u)"
FUNCTIONS = ("gru_cell",)
GATES = "zrh"                                    # Keras's order of the three blocks of 3u columns
BATCH, FEATURES, UNITS = 2, 3, 4                 # all different, so a wrong axis shows in the shape
ARGS = ("x", "h", "kernel", "recurrent_kernel", "bias")
SLICE_HINT = ("x @ kernel and h @ recurrent_kernel each have 3*units columns, one block of units columns per "
              "gate: [:, :units] for z, [:, units:2*units] for r, [:, 2*units:] for the candidate.")

SHAPE_HINT = SLICE_HINT
LARGE = 1000.0                 # x x 1000: gate inputs in the thousands, where exp(-z) overflows


def checks(module):
    fn = module.gru_cell
    return [
        ("returns h of shape (batch, units)", partial(check_shape, fn)),
        ("h matches minattn's GRU step", partial(check_values, fn, 1, BATCH)),
        ("large inputs (x 1000) give finite values", partial(check_values, fn, 2, BATCH, LARGE)),
        ("large inputs (x 1000) give finite gradients: a sigmoid that does not overflow",
         partial(check_large_gradients, fn)),
        ("a batch of 1", partial(check_values, fn, 3, 1)),
        ("gradients wrt x, h and the weights agree with finite differences", partial(check_gradients, fn)),
    ]


def random_case(seed, batch, scale=1.0):
    """``(x, h, kernel, recurrent_kernel, bias)``; both bias rows non-zero, so leaving one out shows."""
    rng = np.random.default_rng(seed)
    shapes = [(batch, FEATURES), (batch, UNITS), (FEATURES, 3 * UNITS), (UNITS, 3 * UNITS), (2, 3 * UNITS)]
    x, *rest = [rng.standard_normal(shape) for shape in shapes]
    return [scale * x] + rest


def reference(x, h, kernel, recurrent_kernel, bias, reset_after=True):
    """minattn's step; with ``reset_after=False`` ``bias`` is the single (3u,) bias of that form."""
    cell = GRU(UNITS, reset_after=reset_after, name="reference_gru")
    input_bias = bias[0] if reset_after else bias
    return cell.step({"recurrent_kernel": recurrent_kernel, "bias": bias}, np.dot(x, kernel) + input_bias, [h])[0]


def check_shape(fn):
    h = compare.call(fn, *random_case(0, BATCH))
    compare.expect_shape(h, (BATCH, UNITS), "gru_cell returned h, which", "(batch, units)", SLICE_HINT)


def check_values(fn, seed, batch, scale=1.0):
    inputs = random_case(seed, batch, scale)
    h = compare.call(fn, *inputs)
    compare.expect_shape(h, (batch, UNITS), "h", "(batch, units)", SLICE_HINT)
    compare.expect_finite(h, "h", compare.SIGMOID_HINT)
    compare.expect_close(h, reference(*inputs), "h", mistakes(*inputs))


def check_large_gradients(fn):
    inputs = dict(zip(ARGS, random_case(5, BATCH, LARGE)))
    compare.expect_finite_gradients(fn, inputs, "gru_cell", compare.SIGMOID_HINT)


def check_gradients(fn):
    compare.expect_gradients(fn, dict(zip(ARGS, random_case(4, BATCH))), "gru_cell")


def mistakes(x, h, kernel, recurrent_kernel, bias):
    """What common slips return, each as (hint, compute)."""
    flip_z = np.ones(3 * UNITS)
    flip_z[:UNITS] = -1.0                        # sigmoid(-a) = 1 - sigmoid(a): z becomes 1 - z
    found = [
        ("you applied the reset gate before the matmul, (r * h) @ U_h: that is reset_after=False (Cho et al.'s "
         "original). minattn's GRU uses reset_after=True: r * (h @ U_h + b_hh).",
         lambda: reference(x, h, kernel, recurrent_kernel, bias[0] + bias[1], reset_after=False)),
        ("you applied the reset gate before the matmul and left out the recurrent bias bias[1]; minattn's GRU "
         "uses reset_after=True: r * (h @ U_h + b_hh).",
         lambda: reference(x, h, kernel, recurrent_kernel, bias[0], reset_after=False)),
        ("you left out the recurrent bias bias[1]: it is added to h @ recurrent_kernel, for all three gates.",
         lambda: reference(x, h, kernel, recurrent_kernel, bias * [[1.0], [0.0]])),
        ("you computed h' = (1 - z) h + z hh; Keras and minattn use h' = z h + (1 - z) hh "
         "(z is the share of the old state kept).",
         lambda: reference(x, h, kernel * flip_z, recurrent_kernel * flip_z, bias * flip_z)),
    ]
    return found + gate_order_mistakes(reference, (x, h), (kernel, recurrent_kernel, bias), GATES,
                                       SLICE_HINT)

