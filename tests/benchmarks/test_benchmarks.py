"""The timing scripts in benchmarks/ run against the library as it is now, and time what they say."""
import json
import os
import re
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import time_lstm  # noqa: E402

import minattn  # noqa: E402
from minattn.fast.lstm import LSTM_RECORD, lstm_forward  # noqa: E402
from minattn.layers import LSTM  # noqa: E402


def test_time_lstm_prints_a_positive_time_for_each_piece_of_each_shape(capsys):
    time_lstm.main(["--calls", "1", "--repeats", "1"])
    out = capsys.readouterr().out
    times = re.findall(r"^    (forward|backward \(grad at [a-z ]+\))\s+([0-9.]+) us$", out, flags=re.M)
    assert len(times) == 6                                              # 3 pieces x E2, E3
    assert all(float(us) > 0 for _, us in times)
    assert "E2 (batch 32, steps 10, features 10, units 64)" in out


def test_the_timed_forward_pass_computes_what_the_lstm_record_returns():
    """The script times ``lstm_forward``; it must be the work the LSTM's record does."""
    x, kernel, recurrent, bias, h0, c0 = time_lstm.lstm_arguments(batch=3, steps=4, features=2, units=5)
    timed = lstm_forward(x, kernel, recurrent, bias, h0, c0)["outputs"]
    layer = LSTM(5, return_sequences=True, return_state=True)
    params = {"kernel": kernel, "recurrent_kernel": recurrent, "bias": bias}
    public, _ = LSTM_RECORD.forward(layer, params, [x, h0, c0])
    assert len(timed) == len(public) == 3
    for a, b in zip(timed, public):
        assert np.array_equal(a, b)


def test_time_adam_prints_the_three_timings(capsys):
    import time_adam
    time_adam.main(["--calls", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    times = re.findall(r"^    (moments normal|moments subnormal|one flushed copy) .*?\s([0-9.]+) us", out, flags=re.M)
    assert [name for name, _ in times] == ["moments normal", "moments subnormal", "one flushed copy"]
    assert all(float(us) > 0 for _, us in times)


# -- the optional JAX column of bench_train.py (skipped where JAX is not installed) -------------
@pytest.fixture
def jax_bench():
    """(bench_models, jax_models) with XLA asked for one thread; the environment is restored after."""
    pytest.importorskip("jax")
    saved = dict(os.environ)
    import bench_models
    from bench_threads import import_jax_models
    jax_models = import_jax_models(1)
    minattn.set_floatx(bench_models.FLOATX)
    yield bench_models, jax_models
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize("name", ["E1", "E2", "E3", "E4"])
def test_jax_models_give_minattn_outputs_loss_and_gradients(jax_bench, name):
    from bench_checks import check_same_jax
    bench, jax_models = jax_bench
    model, x, y = bench.setup_minattn(name, 2 * bench.BATCH_SIZE[name])
    worst = check_same_jax(jax_models, model, name, x, y)
    assert 0.0 <= worst < 1e-5                    # float32 rounding, well inside CHECK_TOLERANCE


@pytest.mark.parametrize("name", ["E1", "E2", "E3", "E4"])
def test_jitted_jax_steps_end_at_the_weights_of_minattn_fit(jax_bench, name):
    """Three Adam steps on the same batches in order: the jitted step is minattn's step."""
    bench, jax_models = jax_bench
    batch_size = bench.BATCH_SIZE[name]
    model, x, y = bench.setup_minattn(name, 3 * batch_size)
    trainer = bench.setup_jax(jax_models, name, model, x, y)
    initial = trainer.layer_weights()
    trainer.run(3)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    for theirs, ours, before in zip(trainer.layer_weights(), model.params.values(), initial, strict=True):
        assert theirs.keys() == ours.keys()
        for key in ours:
            assert np.max(np.abs(theirs[key] - ours[key])) < 1e-5
            assert np.max(np.abs(theirs[key] - before[key])) > 1e-4     # the weights did move


def test_the_jax_check_stops_on_a_different_model(jax_bench):
    from bench_checks import check_same_jax
    bench, jax_models = jax_bench
    model, x, y = bench.setup_minattn("E1", 32)

    class OutputBiasMoved:                         # jax_models with the output layer's bias moved by 0.01
        @staticmethod
        def outputs_loss_grads(name, layer_weights, xb, yb):
            moved = [dict(weights) for weights in layer_weights]
            moved[-1]["bias"] = moved[-1]["bias"] + 0.01
            return jax_models.outputs_loss_grads(name, moved, xb, yb)

    with pytest.raises(AssertionError, match="E1: minattn and jax models differ"):
        check_same_jax(OutputBiasMoved, model, "E1", x, y)


def test_bench_train_reports_a_jax_column(jax_bench, tmp_path, capsys):
    import bench_train
    out_json = tmp_path / "bench.json"
    bench_train.main(["--only", "E4", "--batches", "3", "--warmup", "1", "--repeats", "2", "--no-torch",
                "--no-memory", "--json", str(out_json)])
    row = re.search(r"^E4\s+32\s+369\s+([0-9,]+)\s+-\s+([0-9,]+)\s+-\s+([0-9.]+)\s",
                    capsys.readouterr().out, flags=re.M)
    assert row, "no E4 row with minattn and jax columns"
    saved = json.loads(out_json.read_text())
    result = saved["results"]["E4"]
    assert saved["env"]["jax"] != "not installed" and result["torch"] is None
    assert "--json" in saved["provenance"]["command"] and saved["provenance"]["machine"]["cpus"] >= 1
    assert len(result["jax"]["all_seconds"]) == 2 and result["jax_check_max_abs_diff"] < 1e-5
    ratio = result["minattn"]["samples_per_s"] / result["jax"]["samples_per_s"]
    assert result["ratio_minattn_over_jax"] == pytest.approx(ratio)
    assert float(row.group(3)) == pytest.approx(ratio, abs=0.006)


def test_time_dates_prints_a_time_and_a_loss_for_each_variant(capsys):
    import time_dates
    time_dates.main(["--variants", "global_dot", "--samples", "200", "--repeats", "1"])
    out = capsys.readouterr().out
    rows = re.findall(r"^    (\w+)\s+([0-9.]+) s   loss ([0-9.]+)$", out, flags=re.M)
    assert [name for name, _, _ in rows] == ["global_dot"]
    assert float(rows[0][1]) > 0 and 0 < float(rows[0][2]) < 10


def test_time_decoder_record_times_both_routes_and_puts_the_record_back(capsys):
    import time_decoder_record
    from minattn.fast.table import RECORDS
    from minattn.layers import AttentionDecoder
    record = RECORDS[AttentionDecoder]
    results = time_decoder_record.main(["--variants", "local_p_additive", "--batches", "1", "--repeats", "1"])
    assert RECORDS[AttentionDecoder] is record
    losses = results["local_p_additive"]["losses"]
    assert losses["record"] == pytest.approx(losses["autograd"], rel=1e-5)      # float32, the same step
    assert min(min(times) for times in results["local_p_additive"]["seconds"].values()) > 0
    row = r"^    local_p_additive\s+record\s+[0-9.]+ s\s+autograd\s+[0-9.]+ s\s+autograd / record\s+[0-9.]+x"
    assert re.search(row, capsys.readouterr().out, flags=re.M)


def test_bench_generate_times_both_ways_and_they_give_the_same_ids(capsys):
    import bench_generate
    tokens = bench_generate.WINDOW + 6                                             # past the window
    medians, same = bench_generate.main(["--tokens", str(tokens), "--repeats", "1"])
    out = capsys.readouterr().out
    assert same and "same ids both ways" in out
    assert set(medians) == {"cached", "full recompute"} and min(medians.values()) > 0
    assert re.search(r"^median ids/s: cached \d+, full recompute \d+; cached / full = [0-9.]+$", out, flags=re.M)


def test_bench_grader_writes_its_timings_with_their_provenance(tmp_path):
    """``--json``: the file a page can quote, with the command, commit and machine that made it."""
    import bench_grader
    path = tmp_path / "bench" / "grader.json"
    seconds = bench_grader.main(["--students", "2", "--jobs", "1", "--json", str(path)])
    saved = json.loads(path.read_text())
    assert saved["seconds"] == {"1": seconds[1]} and saved["students"] == 2
    assert saved["provenance"]["command"] == f"python benchmarks/bench_grader.py --students 2 --jobs 1 --json {path}"
    assert len(saved["provenance"]["commit"]) == 40
    assert saved["seconds_per_submission"]["1"] == pytest.approx(seconds[1] / 2)


# -- the benchmark's GPT is the char GPT demo's (benchmarks/char_gpt_sizes.py) -----------------------
def char_gpt_demo():
    import importlib.util
    spec = importlib.util.spec_from_file_location("char_gpt_demo", os.path.join(
        os.path.dirname(__file__), "..", "..", "demos", "char_gpt.py"))
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    return demo


def test_the_benchmark_gpt_is_the_demos_model_at_its_batch():
    """Read from the demo's source, the sizes are the imported demo's; the model has its weights' shapes."""
    import bench_models
    from char_gpt_sizes import char_gpt_vocabulary
    from minattn.pytree import tree_leaves
    demo = char_gpt_demo()
    assert bench_models.BATCH_SIZE["GPT"] == demo.BATCH_SIZE
    minattn.set_random_seed(0)
    ours = bench_models.build_gpt_bench()
    theirs, _ = demo.build_model(char_gpt_vocabulary())
    assert [leaf.shape for leaf in tree_leaves(ours.params)] == [leaf.shape for leaf in tree_leaves(theirs.params)]
    settings = lambda model: [(type(layer).__name__, layer.input_shape, getattr(layer, "activation", None),  # noqa: E731
                               getattr(layer, "num_heads", None)) for layer in model.layers]
    assert settings(ours) == settings(theirs)
    x, y = bench_models.data_gpt(3)
    assert x.shape == y.shape == (3, demo.SEQUENCE_LENGTH) and 1 <= x.min() and x.max() < char_gpt_vocabulary()


def test_the_demo_constants_are_read_as_literals_or_refused(tmp_path):
    from char_gpt_sizes import demo_constants
    demo = tmp_path / "demo.py"
    demo.write_text("import os\nSEQUENCE_LENGTH = 64\nACTIVATION = 'relu'\nLATER = SEQUENCE_LENGTH\n")
    assert demo_constants(str(demo), ("SEQUENCE_LENGTH", "ACTIVATION")) == {"SEQUENCE_LENGTH": 64, "ACTIVATION": "relu"}
    with pytest.raises(ValueError, match="LATER is not a literal"):
        demo_constants(str(demo), ("LATER",))
    with pytest.raises(ValueError, match=r"has no top-level \['BATCH_SIZE'\]"):
        demo_constants(str(demo), ("SEQUENCE_LENGTH", "BATCH_SIZE"))


@pytest.mark.parametrize("name", ["E2", "GPT", "DATES", "TEXT"])
def test_the_torch_twins_compute_minattns_maths(name):
    """In float64 (where no relu input sits within rounding of 0) PyTorch's models are minattn's, weight for weight."""
    pytest.importorskip("torch")
    import bench_models
    from bench_checks import CHECK_TOLERANCE_FLOAT64, check_same_model
    from bench_threads import import_torch_models
    torch_models = import_torch_models(1)
    minattn.set_floatx(bench_models.FLOATX)
    model, x, y = bench_models.setup_minattn(name, bench_models.BATCH_SIZE[name])
    trainer = bench_models.setup_torch(torch_models, name, model, x, y)
    assert 0.0 <= check_same_model(torch_models, model, trainer, x, y) < CHECK_TOLERANCE_FLOAT64
