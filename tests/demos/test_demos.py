"""Each article demo, run as a script at reduced size, must still show its result.

The numbers checked are the ones the demo writes to results.json: the
qualitative finding of the article (where the attention peaks, that the
loss falls, the accuracy reached), not just that the script exits.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import demo_runner

DEMOS = demo_runner.DEMOS


def run_demo(tmp_path, script, *args, figures=("attention.png", "loss.png")):
    """Run an article demo into a folder of its own; it must draw ``figures``."""
    return demo_runner.run_demo(tmp_path / script.replace(".py", ""), script, *args, verbose="2",
                                figures=figures)


def test_e1_attention_finds_the_hundreds_digits(tmp_path):
    results, stdout = run_demo(tmp_path, "e1_dense_attention.py", "--samples", "20000", "--epochs", "3")
    loss = results["history"]["loss"]
    assert loss[-1] < loss[0], "training did not reduce the loss"
    attention = np.array(results["attention"])
    assert attention.shape == (10,) and abs(attention.sum() - 1) < 1e-4
    assert set(results["top_two"]) <= {1, 2, 3, 5, 6, 7}, results["top_two"]
    # With seed 1337 the data are the article's own: its first ten targets.
    assert np.allclose(results["first_ten"]["true"], results["article"]["true"], atol=5e-4)
    assert "first ten predictions" in stdout


def test_e2_attention_mass_on_informative_steps(tmp_path):
    results, _ = run_demo(tmp_path, "e2_attention_before_lstm.py", "--samples", "20000", "--epochs", "1")
    attention = np.array(results["attention"])
    assert attention.shape == (10,) and abs(attention.sum() - 1) < 1e-4
    # Uniform attention would put 0.6 on the six informative steps.
    assert results["informative_mass"] > 0.7, attention
    assert results["informative_mass"] == pytest.approx(attention[[1, 2, 3, 5, 6, 7]].sum(), abs=1e-6)


def test_e2_per_feature_variant_runs_and_gives_a_grid(tmp_path):
    results, _ = run_demo(tmp_path, "e2_attention_before_lstm.py", "--samples", "3000", "--epochs", "1",
                          "--per-feature")
    grid = np.array(results["attention_grid"])
    assert grid.shape == (10, 10)
    assert np.allclose(grid.sum(axis=0), 1.0, atol=1e-4)       # each feature: a distribution over time
    assert results["settings"]["only_time_step"] is False


def test_e3_attention_peaks_at_the_planted_step(tmp_path):
    results, stdout = run_demo(tmp_path, "e3_lstm_attention.py", "--samples", "12000", figures=("attention.png",))
    assert "sums to 1" in stdout
    # One epoch: one point per curve, so no loss figure (and the output does not list one).
    assert not (tmp_path / "e3_lstm_attention" / "loss.png").exists() and "loss.png" not in stdout
    assert results["peak"] == 2, results["attention"]
    assert results["history"]["val_accuracy"][-1] > 0.6


def test_e4_summary_accuracy_and_attention_peak(tmp_path):
    results, stdout = run_demo(tmp_path, "e4_stacked_dense_attention.py", "--samples", "4000", "--epochs", "10")
    assert "Total params: 369" in stdout
    assert results["total_params"] == 369
    assert results["history"]["val_accuracy"][-1] >= 0.99
    assert results["peak"] == 1, results["attention"]


@pytest.mark.parametrize("flag, value", [("--samples", "0"), ("--epochs", "0"), ("--seed", "-1")])
def test_demo_rejects_bad_settings(tmp_path, flag, value):
    command = [sys.executable, os.path.join(DEMOS, "e4_stacked_dense_attention.py"), flag, value,
               "--out", str(tmp_path)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2 and "expected an integer" in completed.stderr, completed.stderr


@pytest.mark.parametrize("script,size", [
    ("e1_dense_attention.py", ["--samples", "3000", "--epochs", "2"]),
    ("e2_attention_before_lstm.py", ["--samples", "2000"]),
    ("e3_lstm_attention.py", ["--samples", "2000"]),
    ("e4_stacked_dense_attention.py", ["--samples", "2000", "--epochs", "3"]),
])
def test_fused_and_traced_paths_train_to_the_same_losses(tmp_path, script, size):
    """Same seed, same data: the fast path must not change the numbers (beyond float32 rounding)."""
    size = size if "--epochs" in size else [*size, "--epochs", "1"]
    fused, _ = run_demo(tmp_path / "fused", script, *size, figures=("attention.png",))
    traced, _ = run_demo(tmp_path / "traced", script, *size, "--traced", figures=("attention.png",))
    assert fused["settings"]["fused"] is True and traced["settings"]["fused"] is False
    for key, values in traced["history"].items():
        assert np.allclose(fused["history"][key], values, rtol=1e-5, atol=1e-7), key
    assert np.allclose(fused["attention"], traced["attention"], rtol=1e-5, atol=1e-7)


def test_demo_output_explains_its_metrics_and_lists_its_figures(tmp_path):
    _, stdout = run_demo(tmp_path, "e1_dense_attention.py", "--samples", "2000", "--epochs", "1")
    assert "(permutation importance:" in stdout
    for figure in ("attention.png", "importance.png", "loss.png", "results.json"):
        listed = [line for line in stdout.splitlines() if line.strip().startswith(figure)]
        assert len(listed) == 1 and len(listed[0].split()) > 3, (figure, listed)     # name + what it shows
