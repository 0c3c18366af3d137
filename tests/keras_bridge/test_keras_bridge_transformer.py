"""The Transformer layers through the Keras bridge.

Our ``keras.ops`` stand-ins for keras_hub's layers give keras_hub's own numbers
(``tests/fixtures/keras_hub_transformer.npz``) from keras_hub's weights in
keras_hub's order; a Transformer classifier, a GPT and a translator export
with minattn's predictions (float32 1e-5, float64 1e-12), come back
identical, keep training in Keras and save as ``.keras`` files. Needs the
``[keras]`` extra; skipped without it.
"""
import os

import numpy as np
import pytest

pytest.importorskip("jax", reason='the Keras bridge needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

import minattn  # noqa: E402
from keras_models import fresh, reviews  # noqa: E402
from minattn import Input, Model, layers as L  # noqa: E402
from minattn.keras_bridge import from_keras, ops_position, ops_transformer, to_keras  # noqa: E402
from minattn.keras_bridge.backend import use_dtype  # noqa: E402
from minattn.transformers import build_classifier, build_gpt, build_translator  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_hub_transformer.npz")
TOLERANCE = {"float32": 1e-5, "float64": 1e-12}
RNG = np.random.default_rng(11)


@pytest.fixture
def floatx(request):
    dtype = getattr(request, "param", "float64")
    minattn.set_floatx(dtype)
    use_dtype(dtype)
    yield dtype
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


# -- our Keras layers are keras_hub's: its weights in its order give its numbers -----------
@pytest.fixture(scope="module")
def keras_hub_data():
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


KERAS_HUB_CASES = {   # fixture case -> (our Keras layer, the masks keras_hub was given)
    "layer_norm": (lambda: ops_position.LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True), ()),
    "layer_norm_axes": (lambda: ops_position.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=True,
                                                                scale=True), ()),
    "encoder_post_norm_padding": (lambda: ops_transformer.TransformerEncoder(16, 2, dropout=0.1),
                                  ("padding_mask",)),
    "encoder_pre_norm_gelu": (lambda: ops_transformer.TransformerEncoder(
        12, 4, dropout=0.1, activation="gelu", normalize_first=True), ()),
    "decoder_only_padding": (lambda: ops_transformer.TransformerDecoder(16, 2, dropout=0.1), ("padding_mask",)),
    "decoder_cross_masks": (lambda: ops_transformer.TransformerDecoder(10, 2, dropout=0.1, activation="gelu"),
                            ("padding_mask", "encoder_padding_mask")),
    "decoder_cross_pre_norm": (lambda: ops_transformer.TransformerDecoder(16, 4, dropout=0.1,
                                                                          normalize_first=True), ()),
    "token_and_position": (lambda: ops_position.TokenAndPositionEmbedding(
        vocabulary_size=11, sequence_length=7, embedding_dim=4, mask_zero=True), ()),
    "sine_position": (lambda: ops_position.SinePositionEncoding(max_wavelength=10000), ()),
}


@pytest.mark.parametrize("case", sorted(KERAS_HUB_CASES))
def test_keras_layer_gives_keras_hubs_numbers(case, keras_hub_data, floatx):
    make, mask_keys = KERAS_HUB_CASES[case]
    inputs = [keras_hub_data[k] for k in sorted(k for k in keras_hub_data if k.startswith(f"{case}/input"))]
    weights = [keras_hub_data[k] for k in sorted(k for k in keras_hub_data if k.startswith(f"{case}/weight"))]
    layer = make()
    x = inputs[0] if len(inputs) == 1 else inputs
    masks = [keras_hub_data[f"{case}/{k}"] for k in mask_keys]
    layer.build([np.shape(i) for i in inputs] if len(inputs) > 1 else np.shape(x))
    assert [tuple(w.shape) for w in layer.weights] == [w.shape for w in weights]
    layer.set_weights(weights)
    kwargs = {"mask": masks if len(masks) > 1 else masks[0]} if masks else {}
    out = np.asarray(layer(x, **kwargs))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, keras_hub_data[f"{case}/output"], rtol=0, atol=1e-12)
    if masks:                                           # and the masks were needed for it
        assert not np.allclose(np.asarray(layer(x)), keras_hub_data[f"{case}/output"])
    if case == "token_and_position":
        np.testing.assert_array_equal(np.asarray(layer.compute_mask(x)), keras_hub_data[f"{case}/mask"])


# -- the three models --------------------------------------------------------------------
def classifier():
    x, y, vocab_size = reviews()
    model = fresh(lambda: build_classifier(vocab_size, x.shape[1], embedding_dim=8, num_heads=2,
                                           intermediate_dim=16)[0])
    return model, x, y, "binary_crossentropy"


def gpt():
    ids = RNG.integers(1, 13, (32, 10))
    model = fresh(lambda: build_gpt(13, 9, embedding_dim=16, num_heads=2, num_layers=2)[0])
    return model, ids[:, :-1], ids[:, 1:], "sparse_categorical_crossentropy"


def translator():
    source = RNG.integers(1, 12, (32, 6))
    for row, length in enumerate(RNG.integers(1, 7, 32)):
        source[row, length:] = 0                                          # padded sources: the mask matters
    target = RNG.integers(1, 10, (32, 6))
    model = fresh(lambda: build_translator(12, 10, 6, 5, embedding_dim=8, num_heads=2, intermediate_dim=16)[0])
    return model, [source, target[:, :-1]], target[:, 1:], "sparse_categorical_crossentropy"


MODELS = {"classifier": classifier, "gpt": gpt, "translator": translator}


@pytest.mark.parametrize("floatx", ["float32", "float64"], indirect=True)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_model_predicts_as_minattn(name, floatx):
    model, x, _, _ = MODELS[name]()
    keras_model = to_keras(model)
    ours, theirs = model.predict(x), keras_model.predict(x, verbose=0)
    assert theirs.dtype == np.dtype(floatx) and ours.dtype == np.dtype(floatx)
    np.testing.assert_allclose(theirs, ours, rtol=0, atol=TOLERANCE[floatx])
    assert sorted(layer.name for layer in keras_model.layers) == sorted(layer.name for layer in model.layers)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_round_trip_is_identical(name):
    """Same layers (Keras lists the two inputs first), settings and weights; the same predictions."""
    model, x, _, _ = MODELS[name]()
    back = from_keras(to_keras(model))
    by_name = {layer.name: layer for layer in back.layers}
    assert sorted(by_name) == sorted(layer.name for layer in model.layers)
    for layer in model.layers:
        twin = by_name[layer.name]
        assert type(twin) is type(layer)
        assert getattr(twin, "normalize_first", None) == getattr(layer, "normalize_first", None)
        assert getattr(twin, "mask_zero", None) == getattr(layer, "mask_zero", None)
        assert len(twin.get_weights()) == len(layer.get_weights())
        for a, b in zip(twin.get_weights(), layer.get_weights()):
            np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.predict(x), model.predict(x))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_training_continues_in_keras(name):
    """Trained a little in minattn, then Keras's Adam on the same batch (dropout on for the classifier)."""
    model, x, y, loss = MODELS[name]()
    model.compile(optimizer=minattn.optimizers.Adam(0.01), loss=loss)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    keras_model = to_keras(model)
    keras_model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    start = float(keras_model.evaluate(x, y, verbose=0))
    np.testing.assert_allclose(start, model.evaluate(x, y), rtol=1e-4)
    losses = [float(keras_model.train_on_batch(x, y)) for _ in range(8)]
    assert losses[-1] < 0.97 * start, (start, losses)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_exported_model_saves_and_loads_as_keras_file(name, tmp_path):
    model, x, _, _ = MODELS[name]()
    keras_model = to_keras(model)
    path = str(tmp_path / "model.keras")
    keras_model.save(path)
    loaded = keras.saving.load_model(path)                       # safe mode: no Python code in the file
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), keras_model.predict(x, verbose=0))
    np.testing.assert_array_equal(from_keras(loaded).predict(x), model.predict(x))


# -- LayerNormalization: Keras's own where it is exact --------------------------------------
def norm_model():
    inputs = Input((4, 5))
    model = Model(inputs, L.LayerNormalization(axis=(1, 2), epsilon=1e-5, name="norm")(inputs))
    model.set_weights([1.0 + 0.3 * RNG.standard_normal(w.shape) for w in model.get_weights()])
    return model, RNG.standard_normal((3, 4, 5))


@pytest.mark.parametrize("floatx", ["float32", "float64"], indirect=True)
def test_layer_normalization_is_keras_own_unless_float64_needs_ours(floatx):
    model, x = norm_model()
    keras_model = to_keras(model)
    norm = keras_model.get_layer("norm")
    ours_needed = floatx == "float64" and ops_position.layer_norm_loses_float64()
    assert type(norm) is (ops_position.LayerNormalization if ours_needed else keras.layers.LayerNormalization)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), model.predict(x), rtol=0,
                               atol=TOLERANCE[floatx])
    back = from_keras(keras_model)
    assert back.layers[-1].axis == (1, 2) and back.layers[-1].epsilon == 1e-5


def test_layer_normalization_written_in_keras_opens_in_minattn():
    inputs = keras.Input((6,))
    keras_model = keras.Model(inputs, keras.layers.LayerNormalization(center=False)(inputs))
    x = RNG.standard_normal((4, 6)).astype("float32")
    model = from_keras(keras_model)
    assert not model.layers[-1].center and model.layers[-1].epsilon == pytest.approx(1e-3)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="rms_scaling=True has no minattn counterpart"):
        with pytest.warns(UserWarning):
            from_keras(keras.Model(inputs, keras.layers.LayerNormalization(rms_scaling=True)(inputs)))


# -- what cannot cross: clear errors -----------------------------------------------------------
def test_block_with_an_unnamed_activation_is_refused_by_name():
    inputs = Input((5, 4))
    model = Model(inputs, L.TransformerEncoder(8, 2, activation=lambda z: z * 2.0, name="odd_block")(inputs))
    with pytest.raises(ValueError, match="TransformerEncoder 'odd_block': activation .* has no Keras counterpart"):
        to_keras(model)


def test_sum_of_a_masked_and_an_unmasked_input_is_refused():
    """Keras 3's Add drops the mask that minattn's Add keeps: refused, with the way out named."""
    inputs = Input((6,), dtype="int32")
    h = L.TokenAndPositionEmbedding(11, 6, 4, mask_zero=True)(inputs)
    model = Model(inputs, L.GlobalAveragePooling1D()(L.Add(name="plus_sine")([h, L.SinePositionEncoding()(h)])))
    with pytest.raises(ValueError, match="Add 'plus_sine': its inputs carry different masks.*PositionalEncoding"):
        to_keras(model)
