"""The Transformer demos run as scripts at --quick size: they learn, and write their figures and numbers."""
import json

import numpy as np
import pytest

import demo_runner


@pytest.fixture(scope="module")
def gpt(tmp_path_factory):
    out = tmp_path_factory.mktemp("char_gpt")
    results, stdout = demo_runner.run_demo(out, "char_gpt.py", "--quick", timeout=900,
                                           figures=("bits_per_char.png", "learning_curves.png",
                                                    "causal_attention.png"))
    return out, results, stdout


def test_gpt_beats_the_ngram_baseline_at_quick_size(gpt):
    _, results, stdout = gpt
    models = results["models"]
    assert results["settings"]["ngram_order"] == 2 and models["ngram"]["order"] == 2
    # measured, like for like: bigram 3.469, GPT 2.748, LSTM 3.332 bits per character (seed 0, the large
    # corpus, 2000 windows of 128 at random offsets, 3 epochs = 375 steps, 19 999 characters scored every 64)
    assert models["gpt"]["bits_per_char"] < models["ngram"]["bits_per_char"] - 0.2, models
    assert models["gpt"]["bits_per_char"] < models["lstm"]["bits_per_char"], models
    assert f"| {models['gpt']['bits_per_char']:.3f} |" in stdout
    ahead = models["gpt"]["ahead_by"]                 # what the pages quote: the margins, in bits per character
    assert ahead == {name: pytest.approx(models[name]["bits_per_char"] - models["gpt"]["bits_per_char"])
                     for name in ("ngram", "lstm")}
    assert f"ahead of the 2-gram by {ahead['ngram']:.3f} bits per character" in stdout
    # the baseline LSTM has about the GPT's number of weights (within 5 %)
    assert abs(models["lstm"]["params"] - models["gpt"]["params"]) < 0.05 * models["gpt"]["params"]


def test_both_networks_train_with_the_recipe_for_the_same_steps(gpt):
    _, results, _ = gpt
    recipe = results["settings"]["recipe"]
    assert recipe == {"optimizer": "AdamW", "peak_learning_rate": 3e-3, "warmup_steps": 37, "decay": "cosine",
                      "final_fraction": 0.1, "weight_decay": 0.01, "global_clipnorm": 1.0, "steps": 3 * 125}
    assert len(results["history"]["loss"]) == len(results["lstm_history"]["loss"]) == 3
    assert results["models"]["ngram"]["tuning_bits_per_char"] == {}          # --quick fixes the order at 2


def test_gpt_block_bits_match_its_validation_loss(gpt):
    """Bits on the fixed 128-character blocks are the last validation cross-entropy, in bits."""
    _, results, _ = gpt
    val_nats = results["history"]["val_loss"][-1]
    assert results["models"]["gpt"]["block_bits_per_char"] == pytest.approx(val_nats / np.log(2), rel=2e-3)


def test_every_model_is_scored_on_the_same_characters_with_context(gpt):
    from minattn.datasets import char_corpus as cc
    _, results, stdout = gpt
    settings, models = results["settings"], results["models"]
    assert settings["corpus"] == "large" and settings["windows"] == "random" and settings["eval_stride"] == 64
    assert settings["modules"] + settings["modules_missing"] == list(cc.STDLIB_LARGE)
    assert settings["corpus_characters"] == len(cc.stdlib_text(settings["modules"]))
    assert settings["eval_characters"] == 20_000 and settings["scored_characters"] == 19_999
    assert "19999 held-out characters, windows of 128 every 64" in stdout
    # with at least 64 characters of context, both networks do better than on blocks read from scratch
    for name in ("gpt", "lstm"):
        assert models[name]["bits_per_char"] < models[name]["block_bits_per_char"], models[name]


def test_generation_with_the_cache_gives_the_recomputed_characters(gpt):
    _, results, stdout = gpt
    generation = results["generation"]
    assert generation["same_ids"] is True
    speeds = generation["tokens_per_second"]
    assert set(speeds) == {"cached", "full_recompute"} and min(speeds.values()) > 0
    assert f"{speeds['cached']:.0f} characters/s with the key/value cache" in stdout


def test_gpt_samples_and_causal_attention_maps(gpt):
    out, results, _ = gpt
    samples = results["samples"]
    assert len(samples) == 2 and all(text.startswith("    def __init__(self") for text in samples.values())
    assert all(len(text) == len("    def __init__(self") + 300 for text in samples.values())
    maps = np.array(results["attention"])                                  # (layers, heads, T, T)
    assert maps.shape == (2, 4, 21, 21)
    assert np.all(maps[..., np.triu_indices(21, 1)[0], np.triu_indices(21, 1)[1]] == 0.0)   # causal
    np.testing.assert_allclose(maps.sum(-1), 1.0, rtol=1e-4)
    assert (out / "samples.txt").read_text().count("--- temperature=") == 2


def test_gpt_recipe_warms_up_then_decays_and_clips():
    """make_optimizer: AdamW, a straight-line warmup to the peak, a cosine down to a tenth, global-norm clipping."""
    from demo_runner import import_demo
    demo = import_demo("char_gpt")
    optimizer = demo.make_optimizer(1000)
    rates = [optimizer.learning_rate_at(s) for s in (0, 50, 100, 550, 1000, 2000)]
    peak = demo.PEAK_LEARNING_RATE
    assert rates[0] == 0.0 and rates[1] == pytest.approx(peak / 2) and rates[2] == pytest.approx(peak)
    assert rates[3] == pytest.approx(peak * (0.1 + 0.9 * 0.5))                          # half way down the cosine
    assert rates[4] == pytest.approx(0.1 * peak) and rates[5] == pytest.approx(0.1 * peak)
    assert type(optimizer).__name__ == "AdamW" and optimizer.global_clipnorm == 1.0
    assert not optimizer.exclusions.decays("final_norm/gamma") and not optimizer.exclusions.decays("next_char/bias")
    assert optimizer.exclusions.decays("next_char/kernel") and optimizer.exclusions.decays("embedding/embeddings")


def test_ngram_order_is_the_best_on_the_tuning_text():
    from argparse import Namespace
    from demo_runner import import_demo
    from minattn.datasets import char_corpus as cc
    demo = import_demo("char_gpt")
    text = cc.stdlib_text(("textwrap", "heapq"))                       # about 42 000 characters
    vocab = cc.CharVocab.from_text(text)
    train, tuning = vocab.encode(text[:30_000]), vocab.encode(text[30_000:36_000])
    ngram, tried = demo.choose_ngram(train, tuning, len(vocab), Namespace(ngram_order=None))
    assert sorted(tried) == list(demo.NGRAM_ORDERS) and ngram.order == min(tried, key=tried.get)
    assert 1 < ngram.order < max(demo.NGRAM_ORDERS)      # on 30 000 characters a long context over-fits
    assert tried[ngram.order] == pytest.approx(ngram.bits_per_char(tuning))
    fixed, none_tried = demo.choose_ngram(train, tuning, len(vocab), Namespace(ngram_order=3))
    assert fixed.order == 3 and none_tried == {}


@pytest.fixture(scope="module")
def dates(tmp_path_factory):
    out = tmp_path_factory.mktemp("dates_transformer")
    results, stdout = demo_runner.run_demo(out, "translate_dates_transformer.py", "--quick", timeout=900,
                                           figures=("cross_attention_0.png", "loss.png"))
    return out, results, stdout


def test_date_transformer_learns_the_translation(dates):
    _, results, stdout = dates
    r = results["transformer"]
    # measured: exact match 0.580, token accuracy 0.912 (seed 0, 5000 dates, 4 epochs: one of warmup, three of decay)
    assert r["exact_match"] > 0.5 and r["token_accuracy"] > 0.9, r
    assert f"{r['exact_match']:.4f}" in stdout
    settings = results["settings"]
    assert settings["samples"] == 5000 and len(results["history"]["loss"]) == 4 and settings["seed"] == 0
    assert settings["schedule"] == "warmup + cosine decay"
    assert r["train_seconds"] > 0 and r["train_cpu_seconds"] > 0 and f"| {r['params']} |" in stdout
    assert results["history"]["loss"][-1] < 0.3 * results["history"]["loss"][0]
    assert all(iso.count("-") == 2 for _, iso in r["examples"])


def test_date_transformer_figures_are_listed(dates):
    out, results, _ = dates
    assert [p.split("/")[-1] for p in results["transformer"]["heatmaps"]] == [
        f"cross_attention_{i}.png" for i in range(3)]
    with open(out / "results.json") as handle:
        assert json.load(handle)["transformer"]["params"] == results["transformer"]["params"]


def test_date_transformer_schedule_warms_up_then_decays_to_zero():
    schedule = demo_runner.import_demo("translate_dates_transformer").learning_rate_schedule(9600, 20)
    peak = 0.003
    assert schedule(0) == 0.0 and schedule(75) == pytest.approx(peak / 2)    # 150 steps per epoch
    assert schedule(150) == pytest.approx(peak)
    rates = [schedule(step) for step in range(150, 3001, 50)]
    assert all(a >= b for a, b in zip(rates, rates[1:])) and schedule(3000) == pytest.approx(0.0, abs=1e-12)
