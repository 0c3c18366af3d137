"""Layers: Keras argument meanings, weight layouts and values, checked against plain NumPy.

Every expected value here is computed independently in the test (NumPy
formulas, a reference LSTM written gate by gate), never copied from the engine.
"""
import autograd.numpy as anp
import numpy as np
import pytest

import minattn
from minattn import Input, Model, activations, initializers
from minattn.layers import (LSTM, Activation, Add, Concatenate, Dense, Dropout, Embedding, Flatten,
                            Lambda, Multiply, Permute, RepeatVector, Reshape)




def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --- Dense ----------------------------------------------------------------------

def test_dense_weight_layout_is_keras():
    layer = Dense(3)
    Model(inp := Input((5,)), layer(inp))
    assert layer.params["kernel"].shape == (5, 3)          # (in, units)
    assert layer.params["bias"].shape == (3,)              # (units,)
    assert list(layer.params) == ["kernel", "bias"]
    assert np.all(layer.params["bias"] == 0)               # default zeros
    limit = np.sqrt(6.0 / (5 + 3))                          # glorot_uniform bound
    assert np.all(np.abs(layer.params["kernel"]) <= limit)
    assert np.std(layer.params["kernel"]) > 0


def test_dense_no_bias_has_only_kernel():
    layer = Dense(4, use_bias=False)
    layer(Input((4,)))
    assert list(layer.params) == ["kernel"]
    assert layer.count_params() == 16


def test_dense_on_3d_input_acts_on_last_axis():
    x = randn(2, 6, 5)
    layer = Dense(3, activation="tanh")
    y = layer(x)
    kernel, bias = randn(5, 3, seed=1), randn(3, seed=2)
    layer.set_weights([kernel, bias])
    y = layer.apply(layer.params, x)
    expected = np.tanh(np.einsum("btf,fu->btu", x, kernel) + bias)
    assert y.shape == (2, 6, 3)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_dense_symbolic_output_shape_keeps_time_axis():
    out = Dense(7)(Input((None, 3)))
    assert out.shape == (None, 7)


def test_dense_softmax_normalises_last_axis():
    layer = Dense(4, activation="softmax")
    y = layer(randn(3, 2, 5))
    np.testing.assert_allclose(np.sum(y, axis=-1), np.ones((3, 2)), rtol=1e-5)


# --- Permute / RepeatVector / Reshape / Flatten -----------------------------------

def test_permute_dims_count_from_one():
    x = randn(2, 3, 4)
    assert Permute((2, 1))(Input((3, 4))).shape == (4, 3)
    np.testing.assert_array_equal(Permute((2, 1))(x), np.swapaxes(x, 1, 2))
    np.testing.assert_array_equal(Permute((1, 2))(x), x)


def test_permute_three_axes():
    x = randn(2, 3, 4, 5)
    y = Permute((3, 1, 2))(x)
    assert y.shape == (2, 5, 3, 4)
    np.testing.assert_array_equal(y, np.transpose(x, (0, 3, 1, 2)))


@pytest.mark.parametrize("dims", [(0, 1), (1, 1), (1, 3), (2, 0)])
def test_permute_invalid_dims_raise(dims):
    with pytest.raises(ValueError, match="Permute") as err:
        Permute(dims, name="perm_bad")
    assert "perm_bad" in str(err.value)
    assert str(dims) in str(err.value)


def test_permute_rank_mismatch_raises_when_built():
    with pytest.raises(ValueError, match="perm_rank"):
        Permute((2, 1), name="perm_rank")(Input((2, 3, 4)))


def test_repeat_vector():
    x = randn(2, 3)
    y = RepeatVector(4)(x)
    assert y.shape == (2, 4, 3)
    for k in range(4):
        np.testing.assert_array_equal(y[:, k, :], x)
    assert RepeatVector(5)(Input((3,))).shape == (5, 3)
    with pytest.raises(ValueError, match="rv_bad"):
        RepeatVector(0, name="rv_bad")


def test_reshape_with_minus_one():
    x = randn(2, 3, 4)
    assert Reshape((-1, 2))(Input((3, 4))).shape == (6, 2)
    np.testing.assert_array_equal(Reshape((-1, 2))(x), x.reshape(2, 6, 2))
    np.testing.assert_array_equal(Reshape((4, 3))(x), x.reshape(2, 4, 3))
    with pytest.raises(ValueError, match="reshape_bad"):
        Reshape((5, -1), name="reshape_bad")(Input((3, 4)))
    with pytest.raises(ValueError, match="reshape_two"):
        Reshape((-1, -1), name="reshape_two")


def test_flatten():
    x = randn(2, 3, 4)
    assert Flatten()(Input((3, 4))).shape == (12,)
    np.testing.assert_array_equal(Flatten()(x), x.reshape(2, 12))


# --- merging ---------------------------------------------------------------------

def test_concatenate_axes():
    a, b = randn(2, 3, 4, seed=1), randn(2, 3, 5, seed=2)
    np.testing.assert_array_equal(Concatenate()([a, b]), np.concatenate([a, b], axis=-1))
    assert Concatenate()([Input((3, 4)), Input((3, 5))]).shape == (3, 9)
    c = randn(2, 6, 4, seed=3)
    np.testing.assert_array_equal(Concatenate(axis=1)([a, c]), np.concatenate([a, c], axis=1))
    assert Concatenate(axis=1)([Input((3, 4)), Input((6, 4))]).shape == (9, 4)
    with pytest.raises(ValueError, match="cat_bad"):
        Concatenate(axis=1, name="cat_bad")([Input((3, 4)), Input((3, 5))])


def test_multiply_and_add_values():
    a, b, c = randn(2, 4, seed=1), randn(2, 4, seed=2), randn(2, 4, seed=3)
    np.testing.assert_allclose(Multiply()([a, b, c]), a * b * c)
    np.testing.assert_allclose(Add()([a, b, c]), a + b + c)


def test_merge_broadcasts_size_one_axes():
    fmap, gate = randn(2, 3, 3, 4, seed=1), randn(2, 1, 1, 4, seed=2)
    assert Multiply()([Input((3, 3, 4)), Input((1, 1, 4))]).shape == (3, 3, 4)
    np.testing.assert_allclose(Multiply()([fmap, gate]), fmap * gate)
    np.testing.assert_allclose(Add()([fmap, gate]), fmap + gate)


@pytest.mark.parametrize("cls", [Multiply, Add])
def test_merge_mismatched_shapes_raise_at_graph_build(cls):
    with pytest.raises(ValueError) as err:
        cls(name="merge_bad")([Input((4,)), Input((5,))])
    message = str(err.value)
    assert "merge_bad" in message
    assert "(None, 4)" in message and "(None, 5)" in message


def test_merge_needs_a_list():
    with pytest.raises(ValueError, match="mul_one"):
        Multiply(name="mul_one")(Input((4,)))


# --- Lambda ------------------------------------------------------------------------

def test_lambda_infers_output_shape():
    assert Lambda(lambda x: anp.mean(x, axis=1))(Input((10, 4))).shape == (4,)
    assert Lambda(lambda x: x[:, :, :2])(Input((10, 4))).shape == (10, 2)


def test_lambda_keeps_unknown_time_axis_as_none():
    inp = Input((None, 4))
    assert Lambda(lambda x: x * 2.0)(inp).shape == (None, 4)
    assert Lambda(lambda x: anp.sum(x, axis=2))(inp).shape == (None,)
    assert Lambda(lambda x: anp.mean(x, axis=1))(inp).shape == (4,)


def test_lambda_values_and_explicit_output_shape():
    x = randn(3, 5, 2)
    np.testing.assert_allclose(Lambda(lambda t: anp.mean(t, axis=1))(x), x.mean(axis=1))
    assert Lambda(lambda t: t, output_shape=(5, 2))(Input((5, 2))).shape == (5, 2)


def test_lambda_error_names_layer():
    with pytest.raises(ValueError, match="lam_bad"):
        Lambda(lambda t: anp.reshape(t, (7, 7)), name="lam_bad")(Input((3,)))


# --- Embedding ---------------------------------------------------------------------

def test_embedding_lookup():
    layer = Embedding(6, 3)
    layer(Input((4,), dtype="int32"))
    table = layer.params["embeddings"]
    assert table.shape == (6, 3)
    assert np.all(np.abs(table) <= 0.05)
    ids = np.array([[0, 5, 2, 2], [1, 3, 4, 0]])
    y = layer.apply(layer.params, ids)
    assert y.shape == (2, 4, 3)
    for b in range(2):
        for t in range(4):
            np.testing.assert_array_equal(y[b, t], table[ids[b, t]])


@pytest.mark.parametrize("bad", [6, 9, -1])
def test_embedding_out_of_range_id_raises(bad):
    layer = Embedding(6, 3, name="emb_range")
    layer(Input((2,), dtype="int32"))
    with pytest.raises(ValueError) as err:
        layer.apply(layer.params, np.array([[1, bad]]))
    assert "emb_range" in str(err.value) and str(bad) in str(err.value)


def test_embedding_mask_zero_emits_mask():
    ids = np.array([[3, 1, 0, 0], [2, 0, 0, 0]])
    masked = Embedding(5, 2, mask_zero=True)
    np.testing.assert_array_equal(masked.compute_mask(ids, None), ids != 0)
    assert Embedding(5, 2).compute_mask(ids, None) is None


# --- LSTM ------------------------------------------------------------------------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def reference_lstm(x, kernel, recurrent, bias, h0=None, c0=None, gate=_sigmoid, mask=None):
    """Keras's LSTM, gate by gate: weights are [W_i W_f W_c W_o] side by side."""
    batch, steps, _ = x.shape
    u = recurrent.shape[0]
    W = {name: kernel[:, k * u:(k + 1) * u] for k, name in enumerate("ifco")}
    U = {name: recurrent[:, k * u:(k + 1) * u] for k, name in enumerate("ifco")}
    b = {name: bias[k * u:(k + 1) * u] for k, name in enumerate("ifco")}
    h = np.zeros((batch, u)) if h0 is None else h0
    c = np.zeros((batch, u)) if c0 is None else c0
    hs = []
    for t in range(steps):
        xt = x[:, t]
        i = gate(xt @ W["i"] + h @ U["i"] + b["i"])
        f = gate(xt @ W["f"] + h @ U["f"] + b["f"])
        cand = np.tanh(xt @ W["c"] + h @ U["c"] + b["c"])
        o = gate(xt @ W["o"] + h @ U["o"] + b["o"])
        c_new = f * c + i * cand
        h_new = o * np.tanh(c_new)
        if mask is not None:
            keep = mask[:, t][:, None]
            c_new, h_new = np.where(keep, c_new, c), np.where(keep, h_new, h)
        h, c = h_new, c_new
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def _random_lstm_weights(features, units, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, (features, 4 * units)), rng.normal(0, 0.5, (units, 4 * units)),
            rng.normal(0, 0.5, (4 * units,))]


def test_lstm_weight_shapes_and_forget_bias():
    layer = LSTM(5)
    layer(Input((7, 3)))
    assert list(layer.params) == ["kernel", "recurrent_kernel", "bias"]
    assert layer.params["kernel"].shape == (3, 20)
    assert layer.params["recurrent_kernel"].shape == (5, 20)
    bias = layer.params["bias"]
    assert bias.shape == (20,)
    np.testing.assert_array_equal(bias[5:10], np.ones(5))                  # forget gate
    np.testing.assert_array_equal(np.delete(bias, range(5, 10)), np.zeros(15))
    assert layer.count_params() == 3 * 20 + 5 * 20 + 20


def test_lstm_without_unit_forget_bias_is_zero():
    layer = LSTM(4, unit_forget_bias=False)
    layer(Input((2, 3)))
    np.testing.assert_array_equal(layer.params["bias"], np.zeros(16))


def test_lstm_recurrent_kernel_is_orthogonal():
    layer = LSTM(6)
    layer(Input((4, 3)))
    U = layer.params["recurrent_kernel"].astype(np.float64)       # (6, 24): orthonormal rows
    np.testing.assert_allclose(U @ U.T, np.eye(6), atol=1e-5)
    square = initializers.orthogonal(np.random.default_rng(0), (7, 7), "float64")
    np.testing.assert_allclose(square.T @ square, np.eye(7), atol=1e-10)
    np.testing.assert_allclose(square @ square.T, np.eye(7), atol=1e-10)


def test_lstm_matches_reference_last_output():
    x = randn(3, 6, 4, seed=5)
    layer = LSTM(5)
    layer(x)
    weights = _random_lstm_weights(4, 5, seed=1)
    layer.set_weights(weights)
    _, h, _ = reference_lstm(x, *weights)
    y = layer.apply(layer.params, x)
    assert y.shape == (3, 5)
    np.testing.assert_allclose(y, h, rtol=1e-4, atol=1e-5)


def test_lstm_matches_reference_sequences_and_state():
    x = randn(2, 5, 3, seed=6)
    layer = LSTM(4, return_sequences=True, return_state=True)
    outs = Model(inp := Input((5, 3)), layer(inp))
    assert [t.shape for t in outs.outputs] == [(5, 4), (4,), (4,)]
    weights = _random_lstm_weights(3, 4, seed=2)
    layer.set_weights(weights)
    seq, h, c = outs.predict(x)
    ref_seq, ref_h, ref_c = reference_lstm(x, *weights)
    np.testing.assert_allclose(seq, ref_seq, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, rtol=1e-4, atol=1e-5)
    assert not np.allclose(c, h)


def test_lstm_initial_state():
    x, h0, c0 = randn(2, 4, 3, seed=7), randn(2, 5, seed=8), randn(2, 5, seed=9)
    inp, h_in, c_in = Input((4, 3)), Input((5,)), Input((5,))
    layer = LSTM(5, return_state=True)
    model = Model([inp, h_in, c_in], layer(inp, initial_state=[h_in, c_in]))
    weights = _random_lstm_weights(3, 5, seed=3)
    layer.set_weights(weights)
    out, h, c = model.predict([x, h0, c0])
    _, ref_h, ref_c = reference_lstm(x, *weights, h0=h0, c0=c0)
    np.testing.assert_allclose(out, ref_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(c, ref_c, rtol=1e-4, atol=1e-5)
    _, zero_h, _ = reference_lstm(x, *weights)
    assert not np.allclose(out, zero_h, atol=1e-3)          # the initial state mattered


def test_lstm_initial_state_shape_checked():
    with pytest.raises(ValueError, match="lstm_state"):
        LSTM(5, name="lstm_state")(Input((4, 3)), initial_state=[Input((4,)), Input((5,))])


def test_hard_sigmoid_formulas():
    z = np.linspace(-6, 6, 49)
    np.testing.assert_allclose(activations.get("hard_sigmoid")(z), np.clip(z / 6 + 0.5, 0, 1))
    np.testing.assert_allclose(activations.get("legacy_hard_sigmoid")(z), np.clip(0.2 * z + 0.5, 0, 1))


@pytest.mark.parametrize("name,gate", [
    ("hard_sigmoid", lambda z: np.clip(z / 6.0 + 0.5, 0.0, 1.0)),
    ("legacy_hard_sigmoid", lambda z: np.clip(0.2 * z + 0.5, 0.0, 1.0)),
])
def test_lstm_recurrent_activation(name, gate):
    x = randn(2, 5, 3, seed=10) * 3
    layer = LSTM(4, recurrent_activation=name)
    layer(x)
    weights = _random_lstm_weights(3, 4, seed=4)
    layer.set_weights(weights)
    _, ref_h, _ = reference_lstm(x, *weights, gate=gate)
    np.testing.assert_allclose(layer.apply(layer.params, x), ref_h, rtol=1e-4, atol=1e-5)
    _, sigmoid_h, _ = reference_lstm(x, *weights)
    assert not np.allclose(ref_h, sigmoid_h, atol=1e-3)      # the gate choice matters


def _masked_lstm_model(mask_zero):
    minattn.clear_session()
    minattn.set_random_seed(7)
    ids = Input((None,), dtype="int32")
    seq, h, c = LSTM(4, return_sequences=True, return_state=True)(
        Embedding(10, 3, mask_zero=mask_zero)(ids))
    return Model(ids, [seq, h, c])


def test_lstm_mask_carries_state_over_padding():
    model = _masked_lstm_model(mask_zero=True)
    short = np.array([[3, 7, 2], [5, 1, 9]])
    padded = np.array([[3, 7, 2, 0, 0], [5, 1, 9, 0, 0]])
    seq_s, h_s, c_s = model.predict(short)
    seq_p, h_p, c_p = model.predict(padded)
    np.testing.assert_allclose(h_p, h_s, rtol=1e-6)
    np.testing.assert_allclose(c_p, c_s, rtol=1e-6)
    np.testing.assert_allclose(seq_p[:, :3], seq_s, rtol=1e-6)
    np.testing.assert_allclose(seq_p[:, 3], h_s, rtol=1e-6)          # masked step repeats h


def test_lstm_mask_matches_reference_with_mixed_lengths():
    model = _masked_lstm_model(mask_zero=True)
    ids = np.array([[3, 7, 2, 0], [5, 0, 0, 0], [1, 2, 3, 4]])
    _, h, c = model.predict(ids)
    emb, lstm = model.layers[1], model.layers[2]
    x = np.asarray(emb.params["embeddings"], dtype=np.float64)[ids]
    weights = [np.asarray(w, dtype=np.float64) for w in lstm.get_weights()]
    _, ref_h, ref_c = reference_lstm(x, *weights, mask=ids != 0)
    np.testing.assert_allclose(h, ref_h, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(c, ref_c, rtol=1e-4, atol=1e-6)


def test_lstm_without_mask_padding_changes_state():
    model = _masked_lstm_model(mask_zero=False)
    _, h_s, _ = model.predict(np.array([[3, 7, 2]]))
    _, h_p, _ = model.predict(np.array([[3, 7, 2, 0, 0]]))
    assert not np.allclose(h_s, h_p, atol=1e-4)


# --- Dropout --------------------------------------------------------------------------

def test_dropout_identity_at_inference():
    x = randn(4, 6)
    layer = Dropout(0.5)
    np.testing.assert_array_equal(layer.apply({}, x), x)
    np.testing.assert_array_equal(layer.apply({}, x, training=False), x)
    model = Model(inp := Input((6,)), Dropout(0.5)(inp))
    np.testing.assert_array_equal(model.predict(x), x.astype(np.float32))


def test_dropout_in_training_drops_rate_and_rescales():
    x = np.ones((200, 500))
    rate = 0.3
    y = Dropout(rate).apply({}, x, training=True, rng=np.random.default_rng(0))
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.01
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - rate))
    assert abs(np.mean(y) - 1.0) < 0.02                     # expectation kept


@pytest.mark.parametrize("rate", [1.0, -0.1, 1.5, "0.5"])
def test_dropout_invalid_rate(rate):
    with pytest.raises(ValueError, match="drop_bad"):
        Dropout(rate, name="drop_bad")


# --- constructor errors ------------------------------------------------------------------

@pytest.mark.parametrize("make", [
    lambda: Dense(0, name="bad_layer"),
    lambda: Dense(-3, name="bad_layer"),
    lambda: Dense(2.5, name="bad_layer"),
    lambda: Dense(3, activation="sigmoidd", name="bad_layer"),
    lambda: Activation("nope", name="bad_layer"),
    lambda: LSTM(0, name="bad_layer"),
    lambda: LSTM(4, recurrent_activation="hardsigmoid", name="bad_layer"),
    lambda: Embedding(0, 3, name="bad_layer"),
    lambda: Lambda("not a function", name="bad_layer"),
])
def test_bad_constructor_args_name_the_layer(make):
    with pytest.raises(ValueError, match="bad_layer"):
        make()


def test_unknown_activation_message_repeats_value():
    with pytest.raises(ValueError, match="sigmoidd"):
        Dense(3, activation="sigmoidd")


# --- shape promised by init is shape returned by apply ---------------------------------------

@pytest.mark.parametrize("make,shape", [
    (lambda: Dense(3), (4, 5)),
    (lambda: Permute((2, 1)), (4, 5)),
    (lambda: RepeatVector(3), (5,)),
    (lambda: Reshape((-1,)), (4, 5)),
    (lambda: Flatten(), (2, 3, 4)),
    (lambda: LSTM(3, return_sequences=True), (4, 5)),
    (lambda: LSTM(3), (4, 5)),
    (lambda: Lambda(lambda x: x[:, ::2]), (6, 2)),
])
def test_init_shape_equals_apply_shape(make, shape):
    layer = make()
    promised = layer(Input(shape)).shape
    actual = layer.apply(layer.params, randn(2, *shape)).shape
    assert actual == (2,) + promised
