"""Every layer the Keras bridge carries, one small float64 model each: Keras gives minattn's numbers
to 1e-12, the round trip gives them exactly, our keras.ops layers save and load; and the clear
errors for what cannot cross. Needs the ``[keras]`` extra; skipped without it.
"""
import os

import autograd.numpy as anp
import numpy as np
import pytest

pytest.importorskip("jax", reason='the Keras bridge needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

import minattn  # noqa: E402
from minattn import Input, Model, layers as L  # noqa: E402
from minattn import gradcheck  # noqa: E402
from minattn.keras_bridge import BY_MINATTN, from_keras, register, to_keras  # noqa: E402
from minattn.keras_bridge.backend import use_dtype  # noqa: E402
from minattn.keras_bridge.registry import bridge_for_minattn  # noqa: E402

RNG = np.random.default_rng(7)


def tokens(batch=5, time=7, vocab=11):
    """Ids with right padding of different lengths (and one row that is all padding but one id)."""
    x = RNG.integers(1, vocab, (batch, time))
    for row, length in enumerate([7, 5, 3, 6, 1][:batch]):
        x[row, length:] = 0
    return x


def sequence_model(make_head, time=7, features=6, masked=True):
    """Embedding(mask_zero) -> Dense -> head, or a float sequence input -> head."""
    if masked:
        inputs = Input((time,))
        h = L.Dense(features, activation="tanh")(L.Embedding(11, 5, mask_zero=True)(inputs))
        return Model(inputs, make_head(h)), tokens(time=time)
    inputs = Input((time, features))
    return Model(inputs, make_head(inputs)), RNG.standard_normal((4, time, features))


def token_model(make_head, time=7, sequence_length=9):
    """Ids with padding -> TokenAndPositionEmbedding(mask_zero) -> head."""
    inputs = Input((time,), dtype="int32")
    h = L.TokenAndPositionEmbedding(11, sequence_length, 6, mask_zero=True)(inputs)
    return Model(inputs, make_head(h)), tokens(time=time)


def image_model(make_head, shape=(8, 8, 3)):
    inputs = Input(shape)
    return Model(inputs, make_head(inputs)), RNG.standard_normal((3,) + shape)


CASES = {
    "dense_activations": lambda: image_model(lambda x: L.Activation("legacy_hard_sigmoid")(
        L.Dense(4, activation="hard_swish")(L.Activation("relu6")(L.Dense(5, activation="hard_sigmoid")(x)))),
        shape=(6,)),
    "merge_reshape": lambda: image_model(lambda x: L.Flatten()(L.Add()([
        L.Reshape((3, 4))(L.Dropout(0.3)(x)), L.Permute((2, 1))(L.RepeatVector(4)(L.Concatenate()([L.Dense(1)(x), L.Dense(2)(x)])))])),
        shape=(12,)),
    "multiply_concat_axis": lambda: sequence_model(lambda h: L.Concatenate(axis=1)([L.Multiply()([h, h]), h]),
                                                   masked=False),
    "gru_masked_pooled": lambda: sequence_model(lambda h: L.GlobalAveragePooling1D()(L.GRU(4, return_sequences=True)(h))),
    "gru_reset_before": lambda: sequence_model(lambda h: L.GRU(4, reset_after=False, go_backwards=True)(h)),
    "lstm_states": lambda: sequence_model(lambda h: L.Concatenate()(
        L.LSTM(3, return_state=True, recurrent_activation="hard_sigmoid")(h))),
    "lstm_initial_state": lambda: sequence_model(lambda h: L.LSTM(3)(
        h, initial_state=[L.Dense(3)(L.GlobalAveragePooling1D()(h)), L.Dense(3)(L.GlobalAveragePooling1D()(h))])),
    "bidirectional_sum": lambda: sequence_model(lambda h: L.GlobalAveragePooling1D()(
        L.Bidirectional(L.GRU(4, return_sequences=True), merge_mode="sum")(h))),
    "bidirectional_states": lambda: sequence_model(lambda h: L.Concatenate()(
        L.Bidirectional(L.LSTM(3, return_state=True), merge_mode="ave")(h))),
    "attention_dot_causal": lambda: sequence_model(lambda h: L.Flatten()(
        L.Attention(causal=True, return_attention_scores=True)([h, h])[1])),
    "attention_dot_masked": lambda: sequence_model(lambda h: L.GlobalAveragePooling1D()(L.Attention()([h, h, h]))),
    "attention_scores": lambda: sequence_model(lambda h: L.Concatenate()([
        L.GlobalAveragePooling1D()(L.Attention(score)([h, h])) for score in
        ("scaled_dot", "general", "additive", "concat")])),
    "multi_head": lambda: sequence_model(lambda h: L.Flatten()(L.MultiHeadAttention(2, 3)(
        [L.PositionalEncoding()(h), h])), masked=False),
    "multi_head_causal_scores": lambda: sequence_model(lambda h: L.Flatten()(L.MultiHeadAttention(
        2, 3, causal=True, return_attention_scores=True)([h, h])[1]), masked=False),
    "key_value": lambda: sequence_model(lambda h: L.GlobalAveragePooling1D()(L.KeyValueAttention(2)(h))),
    "pooling_heads": lambda: sequence_model(lambda h: L.Concatenate()([
        L.AttentionPooling(use_bias=True)(h), L.AttentionWithContext(context=False)(h),
        L.AttentionWithContext()(h), L.Flatten()(L.StructuredSelfAttention(4, 2)(h))])),
    "pooling_weights": lambda: sequence_model(lambda h: L.AttentionWithContext(return_attention=True)(h)[1]),
    "conv_pool": lambda: image_model(lambda x: L.GlobalAveragePooling2D()(L.AveragePooling2D(3, 2, padding="same")(
        L.MaxPooling2D(2, padding="same")(L.Conv2D(4, 3, strides=2, padding="same", activation="relu")(x))))),
    "squeeze_excite": lambda: image_model(lambda x: L.Flatten()(L.SqueezeExcite(2, gate="hard_sigmoid")(
        L.SqueezeExcite(3)(x)))),
    "spatial_transformer": lambda: image_model(lambda x: L.Flatten()(L.SpatialTransformer(
        (6,), output_size=(5, 4))(x))),
    "layer_norm": lambda: image_model(lambda x: L.Concatenate()([
        L.LayerNormalization(axis=(1, 2), epsilon=1e-5, center=False)(x), L.LayerNormalization(scale=False)(x)]),
        shape=(4, 5)),
    "transformer_encoder": lambda: token_model(lambda h: L.GlobalAveragePooling1D()(
        L.TransformerEncoder(8, 2, activation="gelu", normalize_first=True)(h))),
    "transformer_decoder_cross": lambda: token_model(lambda h: L.GlobalAveragePooling1D()(
        L.TransformerDecoder(8, 3)([L.PositionalEncoding()(h), L.TransformerEncoder(5, 2)(h)]))),
    "sine_position": lambda: sequence_model(lambda h: L.Add()([h, L.SinePositionEncoding()(h)]), masked=False),
}


# Keras 3.15's GlobalAveragePooling layers use keras.ops.mean, which computes float64 in float32:
# those models agree to float32 rounding only (our own layers avoid ops.mean).
# Keras's MultiHeadAttention without returned scores uses ops.dot_product_attention, likewise.
FLOAT64_TOLERANCE = {"conv_pool": 1e-6, "multi_head": 1e-6, "multi_head_causal_scores": 1e-6}


def perturbed(model):
    """Move every weight off its initial value (zeros, identity) so each one matters in the check."""
    model.set_weights([w + 0.3 * RNG.standard_normal(w.shape) for w in model.get_weights()])
    return model


@pytest.fixture
def float64_both():
    minattn.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")


@pytest.mark.parametrize("case", sorted(CASES))
def test_layer_crosses_both_ways(case, float64_both, tmp_path):
    model, x = CASES[case]()
    perturbed(model)
    keras_model = to_keras(model)
    expected = model.predict(x)
    assert np.all(np.isfinite(expected))
    tolerance = FLOAT64_TOLERANCE.get(case, 1e-12)
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), expected, rtol=0, atol=tolerance)
    back = from_keras(keras_model)
    assert [layer.name for layer in back.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(back.predict(x), expected)
    path = str(tmp_path / "m.keras")
    keras_model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=0, atol=tolerance)


def test_float32_export_is_float32():
    model, x = CASES["pooling_heads"]()
    keras_model = to_keras(model)
    assert {w.dtype for w in keras_model.weights} == {"float32"}
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), model.predict(x), rtol=0, atol=1e-5)


def test_masked_query_steps_of_multi_head_attention_are_the_known_difference(float64_both):
    """minattn zeros a masked query step's output, Keras does not; the real steps agree."""
    inputs = Input((7,))
    h = L.Embedding(11, 4, mask_zero=True)(inputs)
    model = perturbed(Model(inputs, L.MultiHeadAttention(2, 3)([h, h])))
    x = tokens()
    ours, theirs = model.predict(x), to_keras(model).predict(x, verbose=0)
    real = x != 0
    np.testing.assert_allclose(theirs[real], ours[real], rtol=0, atol=FLOAT64_TOLERANCE["multi_head"])
    assert np.all(ours[~real] == 0) and np.any(theirs[~real] != 0)


# -- what cannot cross: clear errors --------------------------------------------------
def test_untranslatable_lambda_names_the_layer_and_the_way_out():
    """attention_penalty's NumPy lives in another module: rebinding this Lambda's globals cannot reach it."""
    inputs = Input((3, 4))
    model = Model(inputs, L.Lambda(lambda t: L.attention_penalty(t) + 0.0 * t[:, 0, 0],
                                   name="penalty_lambda")(inputs))
    with pytest.raises(ValueError, match=r"Lambda 'penalty_lambda' cannot be exported.*lambdas="):
        to_keras(model)


def test_lambda_replaced_by_a_given_keras_function():
    inputs = Input((3, 4))
    model = Model(inputs, L.Lambda(lambda t: anp.max(t, axis=1),
                                   name="peak")(inputs))
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    keras_model = to_keras(model, lambdas={"peak": lambda t: keras.ops.max(t, axis=1)})
    np.testing.assert_allclose(keras_model.predict(x, verbose=0), model.predict(x), atol=1e-6)
    with pytest.raises(ValueError, match="not Lambda layers"):
        to_keras(model, lambdas={"nope": lambda t: t})


def test_layer_without_counterpart_is_refused_by_name():
    inputs = Input((4,))
    model = Model(inputs, L.Dense(2, activation=lambda z: z * 2.0, name="odd")(inputs))
    with pytest.raises(ValueError, match="Dense 'odd': activation .* has no Keras counterpart"):
        to_keras(model)
    with pytest.raises(ValueError, match="AttentionDecoder 'decoder' has no Keras counterpart"):
        bridge_for_minattn(L.AttentionDecoder(4, 9, name="decoder"))
    with pytest.raises(ValueError, match="localisation network of layers"):
        to_keras(image_model(lambda x: L.SpatialTransformer([L.Conv2D(2, 3)])(x))[0])


def test_added_losses_are_not_dropped_silently():
    inputs = Input((6, 4))
    hops, attention = L.StructuredSelfAttention(3, 2, return_attention=True)(inputs)
    model = Model(inputs, L.Dense(1)(L.Flatten()(hops)))
    model.add_loss(L.Lambda(L.attention_penalty)(attention), weight=0.1)
    with pytest.raises(ValueError, match="add_loss terms do not carry over"):
        to_keras(model)
    assert len(to_keras(model, drop_added_losses=True).layers) == len(model.layers)


def test_from_keras_refuses_what_minattn_lacks():
    inputs = keras.Input((5, 3))
    with pytest.raises(ValueError, match="'norm' .*has no minattn counterpart"):
        from_keras(keras.Model(inputs, keras.layers.BatchNormalization(name="norm")(inputs)))
    with pytest.raises(ValueError, match="recurrent_dropout=0.5 has no minattn counterpart"):
        from_keras(keras.Model(inputs, keras.layers.LSTM(2, recurrent_dropout=0.5)(inputs)))
    with pytest.raises(ValueError, match="use_scale=True"):
        from_keras(keras.Model(inputs, keras.layers.Attention(use_scale=True)([inputs, inputs])))


def test_from_keras_refuses_another_float_type():
    inputs = keras.Input((3,))
    keras_model = keras.Model(inputs, keras.layers.Dense(2, dtype="float64")(inputs))
    with pytest.raises(ValueError, match=r"minattn.set_floatx\('float64'\)"):
        from_keras(keras_model)


def test_a_keras_model_opens_in_minattn(float64_both):
    """Written in Keras (a keras.ops Lambda included), read and gradient-checked in minattn."""
    use_dtype("float64")                     # Keras's floatx and dtype policy, and JAX's x64
    inputs = keras.Input((6,), dtype="int32")
    h = keras.layers.Embedding(12, 4, mask_zero=True)(inputs)
    h = keras.layers.Bidirectional(keras.layers.GRU(3, return_sequences=True))(h)
    h = keras.layers.Lambda(lambda t: keras.ops.abs(t) * 2.0, name="stretch")(h)
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.GlobalAveragePooling1D()(h))
    keras_model = keras.Model(inputs, out)
    model = from_keras(keras_model)
    x = tokens(vocab=12, time=6)
    np.testing.assert_allclose(model.predict(x), keras_model.predict(x, verbose=0), rtol=0, atol=1e-6)
    gradcheck.check_grads(lambda params: anp.sum(model.apply(params, x)), model.params)


# -- the registry: one entry per layer ------------------------------------------------
def test_registry_is_the_extension_point():
    """A new minattn layer crosses with one register() call (how the Transformer layers are added)."""
    class Doubler(L.Layer):
        def apply(self, params, x):
            return 2.0 * x

    inputs = Input((3,))
    model = Model(inputs, Doubler(name="twice")(inputs))
    with pytest.raises(ValueError, match="Doubler 'twice' has no Keras counterpart"):
        to_keras(model)
    register(Doubler, "minattn_test>Doubler",
             lambda layer, dtype: keras.layers.Rescaling(2.0, name=layer.name, dtype=dtype))
    try:
        x = RNG.standard_normal((2, 3)).astype("float32")
        np.testing.assert_allclose(to_keras(model).predict(x, verbose=0), 2.0 * x)
    finally:
        BY_MINATTN.pop(Doubler)


TRANSFORMER_LAYERS = ("LayerNormalization", "TransformerEncoder", "TransformerDecoder", "TokenAndPositionEmbedding",
                      "SinePositionEncoding")


@pytest.mark.parametrize("name", TRANSFORMER_LAYERS)
def test_transformer_layers_are_registered_where_they_exist(name):
    """Tested when present: once minattn has the layer, the bridge must carry it."""
    cls = getattr(L, name, None)
    if cls is None:
        pytest.skip(f"minattn.layers.{name} does not exist yet (issue 'The Transformer')")
    assert cls in BY_MINATTN, f"minattn.layers.{name} exists but has no entry in keras_bridge's registry"
