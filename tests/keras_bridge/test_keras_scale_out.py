"""demos/scale_out.py (the text model, and the char GPT) and the two facts docs/scale-out.md states about Keras's DataParallel on JAX,
each run in a fresh process (XLA's device count is fixed when JAX starts).

Needs the ``[keras]`` extra; skipped without it.
"""
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("jax", reason='the Keras bridge needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")       # unset, Keras would look for TensorFlow
pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TWO_DEVICES = {"XLA_FLAGS": "--xla_force_host_platform_device_count=2", "KERAS_BACKEND": "jax"}


def run_python(args, timeout=600):
    env = {**os.environ, **TWO_DEVICES, "PYTHONPATH": ROOT, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_scale_out_demo_trains_on_two_devices(tmp_path):
    out = run_python([os.path.join("demos", "scale_out.py"), "--samples", "300", "--epochs", "1",
                      "--keras-epochs", "3", "--batch-size", "32", "--verbose", "0", "--out", str(tmp_path)])
    assert "2 devices: ['cpu:0', 'cpu:1']" in out
    assert "dropping the last 12 training samples" in out           # 300 = 9 * 32 + 12
    gap = float(re.search(r"differ by at most (\S+) on", out).group(1))
    assert gap < 1e-5
    results = json.loads((tmp_path / "results.json").read_text())
    losses = results["keras_loss"]
    assert len(losses) == 3 and losses[-1] < losses[0], losses
    assert results["settings"]["train_samples"] == 288
    assert results["export_max_difference"] == pytest.approx(gap, rel=0.01)     # printed to 3 digits
    assert (tmp_path / "model.keras").exists()


def test_scale_out_demo_carries_the_char_gpt_over(tmp_path):
    out = run_python([os.path.join("demos", "scale_out.py"), "--model", "gpt", "--samples", "150", "--epochs", "2",
                      "--keras-epochs", "2", "--batch-size", "32", "--verbose", "0", "--out", str(tmp_path)])
    assert "2 devices: ['cpu:0', 'cpu:1']" in out and "global batch 32 (16 per device)" in out
    results = json.loads((tmp_path / "results.json").read_text())
    bits = results["bits_per_char"]
    assert abs(bits["minattn"] - bits["keras_exported"]) < 1e-4, bits          # the same model either side
    assert results["settings"]["samples"] == 128                               # 150 -> whole batches of 32
    assert results["settings"]["scored_characters"] == 9_999                   # every held-out character but the first
    minattn_losses, keras_losses = results["history"]["loss"], results["keras_loss"]
    assert len(minattn_losses) == 2 and len(keras_losses) == 2
    assert minattn_losses[1] < minattn_losses[0]
    assert keras_losses[0] < minattn_losses[1] and keras_losses[1] < keras_losses[0]   # it goes on learning
    assert bits["keras_trained"] < bits["minattn"]
    steps = results["seconds_per_step"]
    assert steps["minattn"] > 0 and steps["keras_jit"] > 0
    assert f"minattn {steps['minattn']:.4f}, Keras jit {steps['keras_jit']:.4f}" in out


FACTS = textwrap.dedent("""
    import numpy as np
    from minattn import Input, Model
    from minattn.layers import Dense
    from minattn.keras_bridge import import_keras, to_keras
    keras = import_keras()
    x, y = np.ones((10, 4), "float32"), np.ones((10, 1), "float32")

    def try_fit(name, distribution_first, batch_size):
        keras.distribution.set_distribution(None)
        inputs = Input((4,))
        model = Model(inputs, Dense(1)(inputs))
        if distribution_first:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        keras_model = to_keras(model)
        if not distribution_first:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
        keras_model.compile("adam", "mse")
        try:
            keras_model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
            print(name, "fit ok")
        except Exception as err:
            print(name, "fit failed:", type(err).__name__)

    try_fit("batches 4, 4, 2:", True, 4)           # each splits over 2 devices
    try_fit("batches 5, 5:", True, 5)              # 5 does not split over 2
    try_fit("model built first:", False, 4)        # weights on one device, the step on two
""")


def test_data_parallel_facts():
    out = run_python(["-c", FACTS], timeout=300)
    assert "batches 4, 4, 2: fit ok" in out
    assert "batches 5, 5: fit failed: IndivisibleError" in out
    assert "model built first: fit failed" in out
