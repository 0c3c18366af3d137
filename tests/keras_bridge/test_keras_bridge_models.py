"""The Keras bridge on the article models and the text models: same numbers both ways, training goes on.

Needs the ``[keras]`` extra (Keras 3 + JAX); skipped without it.
"""
import os

import numpy as np
import pytest

pytest.importorskip("jax", reason='the Keras bridge needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

import minattn  # noqa: E402
from keras_models import MODELS  # noqa: E402
from minattn.keras_bridge import from_keras, to_keras  # noqa: E402

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}


@pytest.fixture(params=["float32", "float64"])
def floatx(request):
    minattn.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_model_predicts_as_minattn(name, floatx):
    model, x, _, _ = MODELS[name]()
    keras_model = to_keras(model)
    ours, theirs = model.predict(x), keras_model.predict(x, verbose=0)
    assert theirs.dtype == np.dtype(floatx)
    assert [w.dtype.name for w in model.get_weights()] == [floatx] * len(model.get_weights())
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=TOLERANCE[floatx])
    assert [layer.name for layer in keras_model.layers] == [layer.name for layer in model.layers]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_predicts_identically(name):
    model, x, _, _ = MODELS[name]()
    back = from_keras(to_keras(model))
    assert [type(a) for a in back.layers] == [type(b) for b in model.layers]
    assert [a.name for a in back.layers] == [b.name for b in model.layers]
    for a, b in zip(back.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


@pytest.mark.parametrize("name", ["e1", "e3", "e4", "text_pooling", "text_self_bidirectional"])
def test_training_continues_in_keras(name):
    """Trained a little in minattn, then Keras's Adam on the same batch: the loss keeps falling."""
    model, x, y, loss = MODELS[name]()
    model.compile(optimizer=minattn.optimizers.Adam(0.01), loss=loss)
    minattn_loss = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"]
    keras_model = to_keras(model)
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    start = float(keras_model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(start, model.evaluate(x, y), rtol=1e-4)
    losses = [float(keras_model.train_on_batch(x, y)) for _ in range(8)]
    assert losses[-1] < start and losses[-1] < minattn_loss[-1], (minattn_loss, start, losses)


@pytest.mark.parametrize("name", ["e2", "text_context_bidirectional", "text_self"])
def test_exported_model_saves_and_loads_as_keras_file(name, tmp_path):
    model, x, _, _ = MODELS[name]()
    keras_model = to_keras(model)
    path = str(tmp_path / "model.keras")
    keras_model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=False)     # e2's Lambda is Python code
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))
