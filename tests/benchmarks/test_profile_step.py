"""benchmarks/profile_step.py and step_costs.py: what they count is what the step does.

No time is asserted (the machines are shared): the tests check the products
counted for a step against the article model's shapes worked out by hand, and
that the script reports every layer and a positive time for every piece.
"""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import bench_models  # noqa: E402
import profile_step  # noqa: E402
import step_costs  # noqa: E402

import minattn  # noqa: E402
from minattn.fast.step import FastStep  # noqa: E402


def test_the_products_of_e2s_step_are_those_of_its_layers():
    """E2: Dense(10, softmax) over the permuted input, LSTM(64) over 10 steps of 10 features,
    Dense(1); the first Dense's input is data (no dx product), the LSTM's is not."""
    minattn.set_floatx("float32")
    model, x, _ = bench_models.setup_minattn("E2", 32)
    step = FastStep(model, model.compiled)
    values, _ = step.forward(step.weights.tree, [x], minattn.config.rng())
    shapes = step_costs.matmul_shapes(step, values)
    rows = 10 + 1 + 64                                   # [x_t; 1; h_{t-1}]
    assert sorted(shapes) == sorted([
        (320, 10, 10, 1), (10, 320, 10, 1),              # Dense(10): y = x W, dW = x^T dz
        (256, rows, 32, 10), (rows, 256, 32, 10), (256, 320, rows, 1),     # LSTM(64)
        (32, 64, 1, 1), (64, 32, 1, 1), (32, 1, 64, 1)])  # Dense(1), with dx
    assert step_costs.matmul_flops(shapes) == 2 * (2 * 320 * 10 * 10 + 2 * 256 * rows * 32 * 10
                                                   + 256 * 320 * rows + 3 * 32 * 64)


def test_profile_step_reports_the_fast_step_layer_by_layer(capsys):
    profile_step.main(["--only", "E2", "--batches", "3", "--calls", "2", "--repeats", "1", "--layers"])
    out = capsys.readouterr().out
    assert "E2 (batch 32, 19375 weights): one fast step: 7 layers run by their records, " \
           "1 through autograd (1 recorded ops)" in out
    assert "    dim_reduction: mean" in out
    pieces = dict(re.findall(r"^    (forward pass|forward \+ backward|optimizer update|whole fit step)"
                             r"\s+(-?\d+) us$", out, flags=re.M))
    assert len(pieces) == 4 and all(int(us) > 0 for us in pieces.values())
    assert re.search(r"matrix products: 37\.0 MFLOP, \d+ us timed alone -> matmul-bound limit [\d,]+ "
                     r"samples/s", out)
    by_layer = re.search(r"by layer, inside the step \(forward / backward, us\): (.*)$", out, flags=re.M)
    timed = {name for name, _, _ in re.findall(r"(\w+) (\d+) / (\d+)", by_layer.group(1))}
    assert {"lstm_1", "dense_1", "dense_2", "dim_reduction", "multiply_1"} <= timed
    assert np.isfinite(float(re.search(r"(-?\d+) us fixed", out).group(1)))
