"""demos/text_attention.py, run as a script at --quick size: held-out accuracies, attention, figure."""
import os
import subprocess
import sys

import numpy as np
import pytest

import demo_runner

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "demos",
                    "text_attention.py")


def run(out, *args):
    return demo_runner.run_demo(out, "text_attention.py", *args, timeout=900)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("text_quick")
    results, stdout = run(out, "--quick")
    return out, results, stdout


def test_every_head_is_scored_on_held_out_reviews(quick):
    _, results, stdout = quick
    settings, variants = results["settings"], results["variants"]
    assert list(variants) == ["last", "pooling", "context", "self", "transformer"]
    assert settings["corpus"] == "synthetic" and settings["samples"] == 3000
    assert settings["test_samples"] == 2000 and settings["maxlen"] == 30
    for name, run_ in variants.items():
        # Held out: a corpus of its own (seed + 1), not the validation split of the training set.
        assert run_["test_samples"] == 2000, name
        accuracy = run_["test_accuracy"]
        assert 0 <= accuracy <= 1 and accuracy * 2000 == pytest.approx(round(accuracy * 2000)), name
        assert len(run_["history"]["loss"]) == 4
        assert f"{accuracy:.4f}" in stdout, name
    assert results["history"] == variants["pooling"]["history"]


def test_attention_beats_chance_and_looks_at_the_deciding_words(quick):
    _, results, _ = quick
    variants = results["variants"]
    # Measured over seeds 0-4 at this size: pooling reaches 0.96-1.00.
    assert variants["pooling"]["test_accuracy"] > 0.85, variants["pooling"]["test_accuracy"]
    for name in ("context", "self"):
        assert variants[name]["test_accuracy"] > 0.7, (name, variants[name]["test_accuracy"])
    # The Transformer classifier learns far more slowly on 2700 reviews (0.61 measured at this
    # size, seed 3): above chance, no more.
    assert variants["transformer"]["test_accuracy"] > 0.55, variants["transformer"]["test_accuracy"]
    # Sentiment words and their negators hold ~16 % of the words; attention puts far more on them.
    uniform = results["uniform_decisive_attention"]
    assert 0.1 < uniform < 0.25
    assert variants["last"]["decisive_attention"] is None
    for name in ("pooling", "context", "self"):
        assert variants[name]["decisive_attention"] > 2 * uniform, (name, variants[name]["decisive_attention"])


def test_the_figure_is_written(quick):
    out, results, _ = quick
    figure = out / "attention_words.png"
    assert figure.stat().st_size > 30_000
    assert results["figure"] == str(figure)


def write_aclimdb(root, per_folder=12):
    rng = np.random.default_rng(0)
    good, bad = ["great", "wonderful", "fun"], ["awful", "boring", "dull"]
    filler = "the movie was a story about some people in a town".split()
    for split in ("train", "test"):
        for folder, words in (("pos", good), ("neg", bad)):
            where = root / "aclImdb" / split / folder
            where.mkdir(parents=True)
            for i in range(per_folder):
                review = list(rng.choice(filler, 8)) + [str(rng.choice(words))]
                (where / f"{i}_5.txt").write_text(" ".join(review) + ".<br /><br />The end.")
    return root / "aclImdb"


def test_the_imdb_option_reads_the_aclimdb_layout(tmp_path):
    path = write_aclimdb(tmp_path)
    results, stdout = run(tmp_path / "out", "--imdb", str(path), "--variants", "pooling", "--epochs", "1",
                          "--samples", "20")
    assert results["settings"]["corpus"] == "imdb" and results["settings"]["samples"] == 20
    assert results["variants"]["pooling"]["test_samples"] == 24
    assert results["uniform_decisive_attention"] is None
    assert "aclImdb" in stdout and (tmp_path / "out" / "attention_words.png").exists()


def test_a_missing_imdb_folder_is_named(tmp_path):
    completed = subprocess.run([sys.executable, DEMO, "--imdb", str(tmp_path / "nowhere"), "--out",
                                str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 1, completed.stderr
    assert "nowhere" in completed.stderr and "Traceback" not in completed.stderr, completed.stderr
