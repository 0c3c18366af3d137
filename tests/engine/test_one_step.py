"""demos/one_training_step.py: its numbers agree with each other, and docs/one-step.md shows its printout.

The demo is run twice: once as a user runs it (a subprocess, for the printout
the page must show) and once in-process (for the numbers it returns).
"""
import importlib.util
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import demo_runner
from minattn.pytree import named_leaves

ROOT = os.path.dirname(demo_runner.DEMOS)
SCRIPT = os.path.join(demo_runner.DEMOS, "one_training_step.py")
PAGE = os.path.join(ROOT, "docs", "one-step.md")
OUTPUT_BLOCK = re.compile(r"<!-- one_training_step output -->\s*```text\n(.*?)```", re.S)
# Rounding noise (|hand - autograd| ~ 1e-18, gradcheck's ~ 1e-9) changes with NumPy and BLAS versions.
ROUNDING_NOISE = re.compile(r"\b\d\.\de(-0[89]|-[1-9]\d|\+00)\b")


def load_demo():
    spec = importlib.util.spec_from_file_location("one_training_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(cwd, *args):
    """``python demos/one_training_step.py ...`` in ``cwd``; returns its stdout."""
    completed = subprocess.run([sys.executable, SCRIPT, *args], cwd=cwd, capture_output=True,
                               text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def comparable(text):
    """Whitespace collapsed and rounding noise masked."""
    return " ".join(ROUNDING_NOISE.sub("<noise>", text).split())


@pytest.fixture(scope="module")
def demo():
    return load_demo()


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """What the command on the page prints (default settings), and the folder it ran in."""
    folder = tmp_path_factory.mktemp("one_step")
    return run_script(folder), folder


@pytest.fixture(scope="module")
def results(demo, tmp_path_factory):
    return demo.main(["--out", str(tmp_path_factory.mktemp("one_step_in_process"))])


def leaves(tree):
    return [leaf for _, leaf in named_leaves(tree)]


def leaf_pairs(tree_a, tree_b):
    return zip(leaves(tree_a), leaves(tree_b))


def test_hand_gradient_equals_autograd(results):
    pairs = list(leaf_pairs(results["grads_by_hand"], results["grads_autograd"]))
    assert len(pairs) == 4
    for hand, auto in pairs:
        assert hand.shape == auto.shape
        assert np.max(np.abs(hand - auto)) <= 1e-10
    assert results["hand_vs_autograd"] <= 1e-10
    # Not a comparison of zeros: every weight array has a gradient well above the tolerance.
    assert all(np.max(np.abs(auto)) > 1e-4 for _, auto in pairs)


def test_demo_raises_when_the_hand_gradient_is_wrong(demo, tmp_path, monkeypatch):
    right = demo.gradient_by_hand

    def off_by_a_little(*args):
        grads, steps = right(*args)
        grads["attention_vec"]["kernel"][0, 0] += 1e-8
        return grads, steps
    monkeypatch.setattr(demo, "gradient_by_hand", off_by_a_little)
    with pytest.raises(AssertionError, match="by hand and autograd"):
        demo.main(["--out", str(tmp_path)])


def test_gradcheck_passes_on_every_weight(results):
    report = results["gradcheck"]
    assert sorted(report) == ["attention_vec/bias", "attention_vec/kernel", "output/bias", "output/kernel"]
    assert all(0.0 <= error < 1e-5 for error in report.values()), report


def test_adam_by_hand_equals_the_library(demo, results):
    adam = results["adam"]
    assert adam["max_difference"] <= 1e-10
    assert adam["alpha"] == pytest.approx(1e-3 * np.sqrt(1 - 0.999) / (1 - 0.9))
    # Recomputed here from the printed formula, for every weight.
    from minattn.optimizers import Adam
    hand, _, _, _ = demo.adam_by_hand(Adam(), results["params"], results["grads_autograd"])
    for by_hand, library in leaf_pairs(hand, adam["params_after"]):
        assert np.max(np.abs(by_hand - library)) <= 1e-10


def test_first_adam_step_moves_every_weight_by_about_the_learning_rate(results):
    """From zero moments, alpha m / (sqrt(v) + eps) = lr g / (|g| + eps / sqrt(1 - beta_2))."""
    for old, new, g in zip(leaves(results["params"]), leaves(results["adam"]["params_after"]),
                           leaves(results["grads_autograd"])):
        expected = 1e-3 * g / (np.abs(g) + 1e-7 / np.sqrt(1e-3))
        assert np.allclose(old - new, expected, rtol=1e-9, atol=1e-15)


def test_loss_goes_down_as_predicted(results):
    adam, forward = results["adam"], results["forward"]
    assert adam["loss_before"] == pytest.approx(forward["loss"], abs=1e-15)
    assert adam["loss_after"] < adam["loss_before"]
    change = adam["loss_after"] - adam["loss_before"]
    assert change == pytest.approx(adam["predicted_change"], rel=0.01)     # first order, tiny step


def test_autograd_records_the_ops_of_the_layers(results):
    primitives = results["primitives"]
    assert primitives.count("matmul") == 2                  # two Dense layers
    assert primitives.count("tanh") == 1                    # the sigmoid, computed through tanh
    assert primitives[-3:] == ["power", "mean", "mean"]     # (y - t)^2, mean per sample, mean over samples


def test_same_seed_same_printout_other_seed_other_printout(printed, tmp_path):
    stdout, _ = printed
    assert run_script(tmp_path) == stdout
    other = run_script(tmp_path, "--seed", "3")
    assert "seed 3" in other and comparable(other) != comparable(stdout)


def test_script_writes_results_json(printed):
    _, folder = printed
    with open(os.path.join(folder, "runs", "one_step", "results.json")) as handle:
        record = json.load(handle)
    assert record["settings"]["seed"] == 0 and record["settings"]["fused"] is False
    assert record["adam"]["loss_after"] < record["adam"]["loss_before"]
    assert np.array(record["grads_by_hand"]["attention_vec"]["kernel"]).shape == (4, 4)


def test_script_refuses_a_negative_seed(tmp_path):
    completed = subprocess.run([sys.executable, SCRIPT, "--seed", "-1", "--out", str(tmp_path)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and "--seed" in completed.stderr


def test_page_shows_what_the_script_prints_now(printed):
    """The output blocks of docs/one-step.md, joined, are the script's whole printout."""
    stdout, _ = printed
    with open(PAGE) as handle:
        page = handle.read()
    assert "python demos/one_training_step.py" in page
    blocks = OUTPUT_BLOCK.findall(page)
    assert len(blocks) >= 6, "the page should show the printout step by step"
    assert comparable("\n".join(blocks)) == comparable(stdout), \
        "docs/one-step.md is stale: paste the output of `python demos/one_training_step.py` again"
