"""The Transformer layers against plain-NumPy references, and their masks, shapes and errors.

The references below follow keras_hub's documented structure (residual, then
layer normalization, or the reverse with ``normalize_first``) written out in
NumPy with one head at a time, sharing no code with the layers. Weights come
from ``gradcheck_cases.nested_case`` (float64, every weight perturbed, biases
and beta nonzero). ``tests/keras_bridge/test_transformer_keras.py`` checks the same layers
against real keras_hub numbers.
"""
import math

import numpy as np
import pytest

import minattn
from minattn import Input, Model, activations, config
from minattn.layers import (Dense, Embedding, LayerNormalization, SinePositionEncoding,
                            TokenAndPositionEmbedding, TransformerDecoder, TransformerEncoder)

from gradcheck_cases import nested_case


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def build(layer, inputs, seed=0):
    return nested_case(layer, inputs, seed)[0]


# ---------------------------------------------------------------------------
# Plain-NumPy references
# ---------------------------------------------------------------------------
def ref_layer_norm(x, p, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * p["gamma"] + p["beta"]


def ref_attention(query, value, p, allowed):
    """Multi-head attention one head at a time; ``allowed`` (batch, Tq, Tk) boolean. -> (out, weights)."""
    batch, tq, _ = query.shape
    heads = p["query_kernel"].shape[1]
    out = np.zeros((batch, tq, p["output_kernel"].shape[-1])) + p["output_bias"]
    weights = np.zeros((batch, heads, tq, value.shape[1]))
    for h in range(heads):
        q = query @ p["query_kernel"][:, h] + p["query_bias"][h]
        k = value @ p["key_kernel"][:, h] + p["key_bias"][h]
        v = value @ p["value_kernel"][:, h] + p["value_bias"][h]
        for b in range(batch):
            for i in range(tq):
                keys = np.flatnonzero(allowed[b, i])
                if keys.size == 0:
                    continue
                s = np.array([q[b, i] @ k[b, j] / math.sqrt(q.shape[-1]) for j in keys])
                a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
                weights[b, h, i, keys] = a
                out[b, i] += (a @ v[b, keys]) @ p["output_kernel"][h]
    return out, weights


def ref_sublayer(x, norm, eps, normalize_first, fn):
    if normalize_first:
        return x + fn(ref_layer_norm(x, norm, eps))
    return ref_layer_norm(x + fn(x), norm, eps)


def ref_feedforward(x, p, activation):
    hidden = activation(x @ p["feedforward_intermediate_dense"]["kernel"]
                        + p["feedforward_intermediate_dense"]["bias"])
    return hidden @ p["feedforward_output_dense"]["kernel"] + p["feedforward_output_dense"]["bias"]


def allowed_keys(key_mask, tq, tk, batch, causal=False):
    allowed = np.ones((batch, tq, tk), bool)
    if key_mask is not None:
        allowed &= key_mask[:, None, :]
    if causal:
        allowed &= np.tril(np.ones((tq, tk), bool))
    return allowed


def ref_encoder(x, p, key_mask, eps=1e-5, normalize_first=False, activation=activations.relu):
    allowed = allowed_keys(key_mask, x.shape[1], x.shape[1], len(x))
    x = ref_sublayer(x, p["self_attention_layer_norm"], eps, normalize_first,
                     lambda h: ref_attention(h, h, p["self_attention_layer"], allowed)[0])
    return ref_sublayer(x, p["feedforward_layer_norm"], eps, normalize_first,
                        lambda h: ref_feedforward(h, p, activation))


def ref_decoder(x, p, decoder_mask, encoder=None, encoder_mask=None, eps=1e-5, normalize_first=False,
                activation=activations.relu):
    allowed = allowed_keys(decoder_mask, x.shape[1], x.shape[1], len(x), causal=True)
    x = ref_sublayer(x, p["self_attention_layer_norm"], eps, normalize_first,
                     lambda h: ref_attention(h, h, p["self_attention"], allowed)[0])
    if encoder is not None:
        cross = allowed_keys(encoder_mask, x.shape[1], encoder.shape[1], len(x))
        x = ref_sublayer(x, p["cross_attention_layer_norm"], eps, normalize_first,
                         lambda h: ref_attention(h, encoder, p["cross_attention"], cross)[0])
    return ref_sublayer(x, p["feedforward_layer_norm"], eps, normalize_first,
                        lambda h: ref_feedforward(h, p, activation))


PADDED = np.array([[True, True, True, True, True],
                   [True, True, True, False, False],
                   [False, True, True, True, False]])
SOURCE_PADDED = np.array([[True, True, True, False], [True, True, True, True], [True, False, False, False]])


# ---------------------------------------------------------------------------
# Equality with the references
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("normalize_first", [False, True])
@pytest.mark.parametrize("mask", [None, PADDED], ids=["no_mask", "padded"])
def test_encoder_is_the_reference(normalize_first, mask):
    x = rand(3, 5, 6, seed=1)
    layer = build(TransformerEncoder(7, 3, normalize_first=normalize_first, activation="gelu"), x)
    out = layer.apply(layer.params, x, mask=mask)
    expected = ref_encoder(x, layer.params, mask, normalize_first=normalize_first, activation=activations.gelu)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("normalize_first", [False, True])
@pytest.mark.parametrize("cross", [False, True], ids=["decoder_only", "cross"])
def test_decoder_is_the_reference(normalize_first, cross):
    x, enc = rand(3, 5, 4, seed=2), rand(3, 4, 6, seed=3)
    inputs = [x, enc] if cross else x
    layer = build(TransformerDecoder(8, 2, normalize_first=normalize_first), inputs)
    mask = [PADDED, SOURCE_PADDED] if cross else PADDED
    out = layer.apply(layer.params, inputs, mask=mask)
    expected = ref_decoder(x, layer.params, PADDED, enc if cross else None, SOURCE_PADDED,
                           normalize_first=normalize_first)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_layer_normalization_is_the_reference_and_normalizes():
    x = rand(3, 4, 6, seed=4) * 5 + 2
    layer = build(LayerNormalization(), x)
    np.testing.assert_allclose(layer.apply(layer.params, x), ref_layer_norm(x, layer.params, 1e-3), rtol=1e-12)
    plain = LayerNormalization(center=False, scale=False)(x)
    np.testing.assert_allclose(plain.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(plain.var(-1), x.var(-1) / (x.var(-1) + 1e-3), rtol=1e-12)
    assert LayerNormalization().get_weights() == [] and LayerNormalization(center=False)(x) is not None


def test_token_and_position_embedding_adds_the_position_rows():
    ids = np.array([[3, 1, 0], [2, 2, 2]])
    layer = build(TokenAndPositionEmbedding(5, 4, 3, mask_zero=True), ids)
    out = layer.apply(layer.params, ids)
    tokens = layer.params["token_embedding"]["embeddings"]
    positions = layer.params["position_embedding"]["embeddings"]
    for b in range(2):
        for t in range(3):
            np.testing.assert_array_equal(out[b, t], tokens[ids[b, t]] + positions[t])
    np.testing.assert_array_equal(layer.compute_mask(ids, None), ids != 0)
    assert TokenAndPositionEmbedding(5, 4, 3).compute_mask(ids, None) is None


def test_sine_position_encoding_is_the_formula():
    x = rand(2, 6, 4)
    table = SinePositionEncoding(max_wavelength=100)(x)
    for t in range(6):
        for i in range(2):
            angle = t / 100 ** (2 * i / 4)
            assert table[1, t, 2 * i] == pytest.approx(math.sin(angle), abs=1e-15)
            assert table[1, t, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-15)
    np.testing.assert_array_equal(table[0], table[1])


def test_gelu_is_x_times_the_normal_cdf():
    x = np.linspace(-6, 6, 97)
    expected = [v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x]
    np.testing.assert_allclose(activations.gelu(x), expected, rtol=1e-14, atol=1e-15)
    assert activations.gelu(np.array([1.5], np.float32)).dtype == np.float32     # arrays keep float32


# ---------------------------------------------------------------------------
# Masks: exactly zero weight where nothing may be seen
# ---------------------------------------------------------------------------
def test_padded_keys_get_exactly_zero_weight():
    x = rand(3, 5, 4, seed=5) * 3
    layer = build(TransformerEncoder(6, 2), x)
    weights = layer.attention_scores(layer.params, x, mask=PADDED)["self_attention_layer"]    # (3, 2, 5, 5)
    assert weights.shape == (3, 2, 5, 5)
    assert np.all(weights[~np.broadcast_to(PADDED[:, None, None, :], weights.shape)] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    assert np.all(weights[np.broadcast_to(PADDED[:, None, None, :], weights.shape)] > 0)


def test_padding_mask_argument_overrides_the_input_mask():
    x = rand(3, 5, 4, seed=6)
    layer = build(TransformerEncoder(6, 2), x)
    by_argument = layer.apply(layer.params, x, mask=None, padding_mask=PADDED)
    np.testing.assert_array_equal(by_argument, layer.apply(layer.params, x, mask=PADDED))
    np.testing.assert_array_equal(by_argument, layer.apply(layer.params, x, mask=np.ones_like(PADDED),
                                                           padding_mask=PADDED))


def test_decoder_self_attention_is_causal_and_cross_attention_masked():
    x, enc = rand(3, 5, 4, seed=7) * 3, rand(3, 4, 4, seed=8)
    layer = build(TransformerDecoder(6, 2), [x, enc])
    scores = layer.attention_scores(layer.params, [x, enc], mask=[None, SOURCE_PADDED])
    future = ~np.tril(np.ones((5, 5), bool))
    assert np.all(scores["self_attention"][..., future] == 0.0)
    assert np.all(scores["self_attention"][..., ~future] > 0)
    cross = scores["cross_attention"]                                                   # (3, 2, 5, 4)
    assert np.all(cross[~np.broadcast_to(SOURCE_PADDED[:, None, None, :], cross.shape)] == 0.0)
    np.testing.assert_allclose(cross.sum(-1), 1.0, rtol=1e-12)


def test_decoder_output_at_step_t_ignores_later_steps():
    x = rand(2, 6, 4, seed=9)
    layer = build(TransformerDecoder(6, 2, normalize_first=True), x)
    changed = x.copy()
    changed[:, 4:] += 10.0
    a, b = layer.apply(layer.params, x), layer.apply(layer.params, changed)
    np.testing.assert_array_equal(a[:, :4], b[:, :4])
    assert not np.allclose(a[:, 4:], b[:, 4:])


def test_blocks_pass_the_decoder_mask_on():
    x, enc = rand(3, 5, 4), rand(3, 4, 4)
    encoder, decoder = build(TransformerEncoder(6, 2), x), build(TransformerDecoder(6, 2), [x, enc])
    np.testing.assert_array_equal(encoder.compute_mask(x, PADDED), PADDED)
    np.testing.assert_array_equal(decoder.compute_mask([x, enc], [PADDED, SOURCE_PADDED]), PADDED)


# ---------------------------------------------------------------------------
# In a model: shapes, mask flow, training, determinism, fast == readable
# ---------------------------------------------------------------------------
def tiny_translator(seed=0):
    minattn.set_random_seed(seed)
    source, target = Input((5,), dtype="int32"), Input((4,), dtype="int32")
    encoded = TransformerEncoder(16, 2, dropout=0.1)(TokenAndPositionEmbedding(9, 5, 8, mask_zero=True)(source))
    decoded = TransformerDecoder(16, 2, dropout=0.1)(
        [TokenAndPositionEmbedding(9, 4, 8, mask_zero=True)(target), encoded])
    return Model([source, target], Dense(9, activation="softmax")(decoded))


def _translator_data():
    rng = np.random.default_rng(1)
    src = rng.integers(1, 9, (16, 5))
    src[::3, 3:] = 0                                          # some padding
    tgt = rng.integers(1, 9, (16, 4))
    return src, tgt, np.roll(tgt, -1, axis=1)


def test_encoder_decoder_model_shapes_masks_and_learning():
    model = tiny_translator()
    src, tgt, y = _translator_data()
    out = model.predict([src, tgt])
    assert out.shape == (16, 4, 9)
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-5)
    model.compile("adam", "sparse_categorical_crossentropy")
    history = model.fit([src, tgt], y, epochs=30, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_same_seed_same_weights_and_outputs():
    a, b = tiny_translator(seed=3), tiny_translator(seed=3)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert len(a.get_weights()) == 2 + 16 + 2 + 26 + 2 and a.get_weights()[0].shape == (9, 8)
    src, tgt, _ = _translator_data()
    np.testing.assert_array_equal(a.apply(a.params, src, tgt), b.apply(b.params, src, tgt))


def test_fused_and_traced_give_the_same_numbers():
    model = tiny_translator()
    src, tgt, _ = _translator_data()
    config.set_fused(True)
    fused = model.apply(model.params, src, tgt)
    config.set_fused(False)
    traced = model.apply(model.params, src, tgt)
    np.testing.assert_allclose(fused, traced, rtol=1e-5, atol=1e-6)


def test_get_and_set_weights_round_trip():
    x = rand(2, 5, 4)
    layer = build(TransformerDecoder(6, 2), [x, rand(2, 3, 4)])
    weights = [w * 2 for w in layer.get_weights()]
    layer.set_weights(weights)
    for got, want in zip(layer.get_weights(), weights):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expected 26 weight arrays"):
        layer.set_weights(weights[:-1])


# ---------------------------------------------------------------------------
# Bad input: clear errors naming the layer
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("make,match", [
    (lambda: TransformerEncoder(0, 2), "intermediate_dim must be a positive int"),
    (lambda: TransformerEncoder(4, 2, dropout=1.0), r"dropout must be in \[0, 1\)"),
    (lambda: TransformerDecoder(4, 2, activation="swishy"), "unknown activation 'swishy'"),
    (lambda: LayerNormalization(epsilon=0), "epsilon must be a positive number"),
    (lambda: LayerNormalization(axis="last"), "axis must be an int or a tuple of ints"),
    (lambda: TokenAndPositionEmbedding(10, 0, 4), "sequence_length must be a positive int"),
    (lambda: SinePositionEncoding(max_wavelength=-1), "max_wavelength must be a positive number"),
])
def test_bad_settings_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match=r"TransformerEncoder 'transformer_encoder_1': the input has 2 "
                                         r"features, fewer than num_heads=4"):
        TransformerEncoder(8, 4)(rand(2, 3, 2))
    with pytest.raises(ValueError, match="sequences of 6 steps are longer than sequence_length=5"):
        TokenAndPositionEmbedding(10, 5, 4)(np.ones((2, 6), int))
    with pytest.raises(ValueError, match=r"token id 10 is outside \[0, 10\)"):
        TokenAndPositionEmbedding(10, 5, 4)(np.full((2, 3), 10))
    decoder = TransformerDecoder(8, 2)
    decoder(rand(2, 3, 4))
    with pytest.raises(ValueError, match="was built for decoder_sequence alone"):
        decoder.apply(decoder.params, [rand(2, 3, 4), rand(2, 3, 4)])
    with pytest.raises(ValueError, match="axis 0 is out of range"):
        LayerNormalization(axis=0)(rand(2, 3))
    with pytest.raises(ValueError, match="expected one sequence"):
        TransformerEncoder(8, 2)([rand(2, 3, 4), rand(2, 3, 4)])
