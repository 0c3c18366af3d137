"""GRU, go_backwards and Bidirectional: Keras's equations, layouts, masks and weight order.

Expected values come from a reference GRU written gate by gate below, from
the equations in Keras's documentation (and, when PyTorch is installed, from
``torch.nn.GRU``), never from the engine's own code.
"""
import autograd
import autograd.numpy as anp
import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.layers import GRU, LSTM, Bidirectional, Dense, Embedding
from minattn.model import run_layer


def randn(*shape, seed=0, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --- references -------------------------------------------------------------------------
def reference_gru(x, kernel, recurrent, bias=None, h0=None, reset_after=True, gate=_sigmoid,
                  mask=None):
    """Keras's GRU gate by gate: kernels are [W_z W_r W_h] side by side; with reset_after
    the bias is two rows, [b_x; b_h], else one b_x."""
    batch, steps, _ = x.shape
    u = recurrent.shape[0]
    W = {g: kernel[:, k * u:(k + 1) * u] for k, g in enumerate("zrh")}
    U = {g: recurrent[:, k * u:(k + 1) * u] for k, g in enumerate("zrh")}
    zeros = np.zeros(3 * u)
    b_x, b_h = ((bias[0], bias[1]) if reset_after else (bias, zeros)) if bias is not None else (zeros, zeros)
    bx = {g: b_x[k * u:(k + 1) * u] for k, g in enumerate("zrh")}
    bh = {g: b_h[k * u:(k + 1) * u] for k, g in enumerate("zrh")}
    h = np.zeros((batch, u)) if h0 is None else h0
    hs = []
    for t in range(steps):
        xt = x[:, t]
        z = gate(xt @ W["z"] + bx["z"] + h @ U["z"] + bh["z"])
        r = gate(xt @ W["r"] + bx["r"] + h @ U["r"] + bh["r"])
        if reset_after:
            hh = np.tanh(xt @ W["h"] + bx["h"] + r * (h @ U["h"] + bh["h"]))
        else:
            hh = np.tanh(xt @ W["h"] + bx["h"] + (r * h) @ U["h"])
        h_new = z * h + (1.0 - z) * hh
        if mask is not None:
            h_new = np.where(mask[:, t][:, None], h_new, h)
        h = h_new
        hs.append(h)
    return np.stack(hs, axis=1), h


def reference_lstm(x, kernel, recurrent, bias, h0=None, c0=None):
    """Keras's LSTM gate by gate: [W_i W_f W_c W_o]."""
    batch, steps, _ = x.shape
    u = recurrent.shape[0]
    h = np.zeros((batch, u)) if h0 is None else h0
    c = np.zeros((batch, u)) if c0 is None else c0
    hs = []
    for t in range(steps):
        a = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (a[:, k * u:(k + 1) * u] for k in range(4))
        c = _sigmoid(f) * c + _sigmoid(i) * np.tanh(g)
        h = _sigmoid(o) * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def _gru_weights(features, units, reset_after=True, seed=0):
    rng = np.random.default_rng(seed)
    bias_shape = (2, 3 * units) if reset_after else (3 * units,)
    return [rng.normal(0, 0.5, (features, 3 * units)), rng.normal(0, 0.5, (units, 3 * units)),
            rng.normal(0, 0.5, bias_shape)]


def _lstm_weights(features, units, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, (features, 4 * units)), rng.normal(0, 0.5, (units, 4 * units)),
            rng.normal(0, 0.5, (4 * units,))]


def _built(layer, input_shape, weights):
    layer.build(input_shape)
    layer.set_weights(weights)
    return layer


# --- GRU: layout --------------------------------------------------------------------------
def test_gru_weight_shapes_keras_layout(float64):
    layer = GRU(5)
    layer(Input((7, 3)))
    assert list(layer.params) == ["kernel", "recurrent_kernel", "bias"]
    assert [w.shape for w in layer.get_weights()] == [(3, 15), (5, 15), (2, 15)]
    np.testing.assert_array_equal(layer.params["bias"], np.zeros((2, 15)))     # zeros, no forget offset
    U = layer.params["recurrent_kernel"]
    np.testing.assert_allclose(U @ U.T, np.eye(5), atol=1e-10)                  # orthogonal rows
    limit = np.sqrt(6.0 / (3 + 15))                                              # glorot_uniform
    assert np.all(np.abs(layer.params["kernel"]) <= limit)
    assert layer.count_params() == 3 * 15 + 5 * 15 + 2 * 15


def test_gru_reset_before_has_one_bias_row():
    layer = GRU(4, reset_after=False)
    layer(Input((2, 3)))
    assert [w.shape for w in layer.get_weights()] == [(3, 12), (4, 12), (12,)]
    layer = GRU(4, use_bias=False)
    layer(Input((2, 3)))
    assert list(layer.params) == ["kernel", "recurrent_kernel"]


def test_gru_defaults_are_keras_tf2():
    layer = GRU(3)
    assert layer.reset_after and not layer.go_backwards
    assert layer.activation is minattn.activations.tanh
    assert layer.recurrent_activation is minattn.activations.sigmoid


# --- GRU: values -----------------------------------------------------------------------------
@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_reference_sequences_and_state(reset_after, float64):
    x = randn(3, 6, 4, seed=1)
    weights = _gru_weights(4, 5, reset_after, seed=2)
    layer = _built(GRU(5, reset_after=reset_after, return_sequences=True, return_state=True), (6, 4), weights)
    seq, h = layer.apply(layer.params, x)
    ref_seq, ref_h = reference_gru(x, *weights, reset_after=reset_after)
    np.testing.assert_allclose(seq, ref_seq, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h, ref_h, rtol=1e-10, atol=1e-12)
    assert seq.shape == (3, 6, 5) and h.shape == (3, 5)


def test_the_two_reset_modes_differ(float64):
    x = randn(2, 5, 3, seed=3)
    kernel, recurrent, bias = _gru_weights(3, 4, True, seed=4)
    _, after = reference_gru(x, kernel, recurrent, bias, reset_after=True)
    _, before = reference_gru(x, kernel, recurrent, bias[0] + bias[1], reset_after=False)
    assert not np.allclose(after, before, atol=1e-3)       # so each mode's test checks something


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_last_output_through_a_model(reset_after):
    x = randn(3, 6, 4, seed=5)
    layer = GRU(5, reset_after=reset_after)
    model = Model(inp := Input((6, 4)), layer(inp))
    weights = _gru_weights(4, 5, reset_after, seed=6)
    model.set_weights(weights)
    _, ref_h = reference_gru(x, *weights, reset_after=reset_after)
    np.testing.assert_allclose(model.predict(x), ref_h, rtol=1e-4, atol=1e-5)


def test_gru_without_bias_and_hard_sigmoid(float64):
    x = randn(2, 5, 3, seed=7) * 3
    kernel, recurrent, _ = _gru_weights(3, 4, seed=8)
    layer = _built(GRU(4, use_bias=False, recurrent_activation="hard_sigmoid"), (5, 3), [kernel, recurrent])
    hard = lambda z: np.clip(z / 6.0 + 0.5, 0.0, 1.0)       # noqa: E731
    _, ref_h = reference_gru(x, kernel, recurrent, gate=hard)
    np.testing.assert_allclose(layer.apply(layer.params, x), ref_h, rtol=1e-10)


def test_gru_initial_state():
    x, h0 = randn(2, 4, 3, seed=9), randn(2, 5, seed=10)
    inp, h_in = Input((4, 3)), Input((5,))
    layer = GRU(5, return_state=True)
    model = Model([inp, h_in], layer(inp, initial_state=[h_in]))
    weights = _gru_weights(3, 5, seed=11)
    layer.set_weights(weights)
    out, h = model.predict([x, h0])
    _, ref_h = reference_gru(x, *weights, h0=h0)
    np.testing.assert_allclose(out, ref_h, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h, ref_h, rtol=1e-4, atol=1e-5)
    _, zero_h = reference_gru(x, *weights)
    assert not np.allclose(out, zero_h, atol=1e-3)          # the initial state mattered


def test_gru_matches_torch_gru(float64):
    """An outside implementation of the same equations: torch.nn.GRU is Keras's reset_after form,
    with gates ordered r, z, n and weights stored transposed."""
    torch = pytest.importorskip("torch")
    x = randn(3, 5, 4, seed=12)
    net = torch.nn.GRU(4, 6, batch_first=True).double()
    with torch.no_grad():
        ref_seq, _ = net(torch.from_numpy(x))
    w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in
                              (net.weight_ih_l0, net.weight_hh_l0, net.bias_ih_l0, net.bias_hh_l0))
    order = np.r_[6:12, 0:6, 12:18]                          # torch r, z, n -> Keras z, r, h
    weights = [w_ih[order].T, w_hh[order].T, np.stack([b_ih[order], b_hh[order]])]
    layer = _built(GRU(6, return_sequences=True), (5, 4), weights)
    np.testing.assert_allclose(layer.apply(layer.params, x), ref_seq.numpy(), rtol=1e-10, atol=1e-12)


# --- masks ------------------------------------------------------------------------------------
def _masked_model(layer, seed=7):
    minattn.set_random_seed(seed)
    ids = Input((None,), dtype="int32")
    outputs = layer(Embedding(10, 3, mask_zero=True)(ids))
    return Model(ids, outputs)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_padding_does_not_change_real_steps(reset_after):
    model = _masked_model(GRU(4, reset_after=reset_after, return_sequences=True, return_state=True))
    short = np.array([[3, 7, 2], [5, 1, 9]])
    padded = np.array([[3, 7, 2, 0, 0], [5, 1, 9, 0, 0]])
    seq_s, h_s = model.predict(short)
    seq_p, h_p = model.predict(padded)
    np.testing.assert_allclose(h_p, h_s, rtol=1e-6)
    np.testing.assert_allclose(seq_p[:, :3], seq_s, rtol=1e-6)
    np.testing.assert_allclose(seq_p[:, 3], h_s, rtol=1e-6)          # a masked step repeats h


def test_gru_mask_matches_reference_with_mixed_lengths():
    model = _masked_model(GRU(4, return_state=True))
    ids = np.array([[3, 7, 2, 0], [5, 0, 0, 0], [0, 2, 3, 4]])       # right-padded, and a hole in front
    _, h = model.predict(ids)
    emb, gru = model.layers[1], model.layers[2]
    x = np.asarray(emb.params["embeddings"], dtype=np.float64)[ids]
    weights = [np.asarray(w, dtype=np.float64) for w in gru.get_weights()]
    _, ref_h = reference_gru(x, *weights, mask=ids != 0)
    np.testing.assert_allclose(h, ref_h, rtol=1e-4, atol=1e-6)


# --- go_backwards ---------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_go_backwards_reads_the_reversed_sequence(cls, float64):
    x = randn(2, 5, 3, seed=13)
    forwards = cls(4, return_sequences=True)
    forwards.build((5, 3))
    backwards = _built(cls(4, return_sequences=True, go_backwards=True), (5, 3), forwards.get_weights())
    # Keras: the output sequence is in the order the steps were read, i.e. reversed
    np.testing.assert_allclose(backwards.apply(backwards.params, x),
                               forwards.apply(forwards.params, x[:, ::-1]), rtol=1e-12)


# --- Bidirectional: weights ---------------------------------------------------------------------
def test_bidirectional_weights_are_named_and_ordered_like_keras():
    inner = GRU(4, name="enc")
    bi = Bidirectional(inner)
    model = Model(inp := Input((6, 3)), bi(inp))
    assert bi.name == "bidirectional_1"
    assert list(model.params) == ["bidirectional_1"]
    assert list(model.params["bidirectional_1"]) == ["forward_enc", "backward_enc"]
    shapes = [(3, 12), (4, 12), (2, 12)]
    assert [w.shape for w in model.get_weights()] == shapes + shapes      # forward, then backward
    forward = [bi.params["forward_enc"][k] for k in ("kernel", "recurrent_kernel", "bias")]
    backward = [bi.params["backward_enc"][k] for k in ("kernel", "recurrent_kernel", "bias")]
    for got, want in zip(bi.get_weights(), forward + backward):
        np.testing.assert_array_equal(got, want)
    assert not np.allclose(forward[0], backward[0])                    # two independent inits
    assert bi.count_params() == model.count_params() == 2 * (36 + 48 + 24)
    assert inner.params is None                                        # the wrapped layer is left alone
    assert bi.forward_layer.name == "forward_enc" and not bi.forward_layer.go_backwards
    assert bi.backward_layer.name == "backward_enc" and bi.backward_layer.go_backwards


def test_bidirectional_lstm_weights_and_output_shapes():
    bi = Bidirectional(LSTM(5, return_sequences=True, return_state=True), merge_mode=None)
    outs = bi(Input((7, 3)))
    assert [t.shape for t in outs] == [(7, 5), (7, 5), (5,), (5,), (5,), (5,)]
    assert [w.shape for w in bi.get_weights()] == [(3, 20), (5, 20), (20,)] * 2
    f_bias = bi.params["forward_lstm_1"]["bias"]
    np.testing.assert_array_equal(f_bias[5:10], np.ones(5))            # unit_forget_bias in each copy
    assert Bidirectional(GRU(3))(Input((4, 2))).shape == (6,)
    assert Bidirectional(GRU(3), merge_mode="sum")(Input((4, 2))).shape == (3,)


def test_bidirectional_set_weights_save_and_load(tmp_path):
    model = Model(inp := Input((5, 3)), Dense(1)(Bidirectional(GRU(2))(inp)))
    x = randn(4, 5, 3, seed=14)
    new = [randn(*w.shape, seed=i, scale=0.5) for i, w in enumerate(model.get_weights())]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_allclose(got, want, rtol=1e-6)
    before = model.predict(x)
    path = str(tmp_path / "w.npz")
    model.save_weights(path)
    with np.load(path) as data:
        assert "bidirectional_1/forward_gru_1/kernel" in data.files
        assert "bidirectional_1/backward_gru_1/bias" in data.files
    model.set_weights([np.zeros_like(w) for w in new])
    assert not np.allclose(model.predict(x), before)
    model.load_weights(path)
    np.testing.assert_allclose(model.predict(x), before, rtol=1e-6)
    model.set_params(model.params)                                     # the nested pytree round-trips
    np.testing.assert_allclose(model.predict(x), before, rtol=1e-6)
    with pytest.raises(ValueError, match="bidirectional_1/backward_gru_1/kernel"):
        broken = model.params
        broken["bidirectional_1"] = dict(broken["bidirectional_1"])
        broken["bidirectional_1"]["backward_gru_1"] = dict(broken["bidirectional_1"]["backward_gru_1"],
                                                            kernel=np.zeros((3, 5)))
        model.set_params(broken)
    with pytest.raises(ValueError, match="backward_gru_1/recurrent_kernel"):
        model.get_layer("bidirectional_1").set_weights(new[:4] + [np.zeros((3, 3)), new[5]])


def test_bidirectional_gradients_have_the_params_structure():
    model = Model(inp := Input((4, 3)), Bidirectional(LSTM(2))(inp))
    x = randn(2, 4, 3, seed=15)
    grads = autograd.grad(lambda p: anp.sum(model.apply(p, x) ** 2))(model.params)
    assert minattn.pytree.tree_map(np.shape, grads) == minattn.pytree.tree_map(np.shape, model.params)


# --- Bidirectional: values ----------------------------------------------------------------------------
def _bidirectional(layer, x, merge_mode="concat"):
    bi = Bidirectional(layer, merge_mode=merge_mode)
    bi.build(x.shape[1:])
    return bi


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_gru_equals_forward_and_backward_runs(merge_mode, float64):
    x = randn(3, 5, 4, seed=16)
    bi = _bidirectional(GRU(3, return_sequences=True), x, merge_mode)
    forward, backward = bi.params["forward_gru_1"], bi.params["backward_gru_1"]
    ref_f, _ = reference_gru(x, forward["kernel"], forward["recurrent_kernel"], forward["bias"])
    ref_b, _ = reference_gru(x[:, ::-1], backward["kernel"], backward["recurrent_kernel"], backward["bias"])
    ref_b = ref_b[:, ::-1]                                     # back into time order
    expected = {"concat": np.concatenate([ref_f, ref_b], axis=-1), "sum": ref_f + ref_b,
                "mul": ref_f * ref_b, "ave": (ref_f + ref_b) / 2}
    out = bi.apply(bi.params, x)
    if merge_mode is None:
        np.testing.assert_allclose(out[0], ref_f, rtol=1e-10)
        np.testing.assert_allclose(out[1], ref_b, rtol=1e-10)
    else:
        np.testing.assert_allclose(out, expected[merge_mode], rtol=1e-10)


def test_bidirectional_lstm_last_output_and_states(float64):
    x = randn(2, 6, 3, seed=17)
    bi = _bidirectional(LSTM(4, return_state=True), x)
    out, h_f, c_f, h_b, c_b = bi.apply(bi.params, x)
    f, b = (bi.params[name] for name in ("forward_lstm_1", "backward_lstm_1"))
    _, ref_hf, ref_cf = reference_lstm(x, f["kernel"], f["recurrent_kernel"], f["bias"])
    _, ref_hb, ref_cb = reference_lstm(x[:, ::-1], b["kernel"], b["recurrent_kernel"], b["bias"])
    for got, want in [(out, np.concatenate([ref_hf, ref_hb], -1)), (h_f, ref_hf), (c_f, ref_cf),
                      (h_b, ref_hb), (c_b, ref_cb)]:
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_bidirectional_initial_state_forward_then_backward(float64):
    x, states = randn(2, 4, 3, seed=18), [randn(2, 3, seed=s) for s in (19, 20)]
    bi = Bidirectional(GRU(3, return_state=True))
    model = Model([inp := Input((4, 3)), s_f := Input((3,)), s_b := Input((3,))],
                  bi(inp, initial_state=[s_f, s_b]))
    out, h_f, h_b = model.predict([x] + states)
    f, b = (bi.params[name] for name in ("forward_gru_1", "backward_gru_1"))
    _, ref_f = reference_gru(x, *f.values(), h0=states[0])
    _, ref_b = reference_gru(x[:, ::-1], *b.values(), h0=states[1])
    np.testing.assert_allclose(h_f, ref_f, rtol=1e-10)
    np.testing.assert_allclose(h_b, ref_b, rtol=1e-10)
    np.testing.assert_allclose(out, np.concatenate([ref_f, ref_b], -1), rtol=1e-10)


@pytest.mark.parametrize("cls", [GRU, LSTM])
def test_bidirectional_mask_reads_each_sequence_within_its_length(cls):
    """Backwards, a padded sequence starts at its last real step, not at the padding: each sample
    equals forward and backward runs over its real steps alone; padded positions are zeros."""
    model = _masked_model(Bidirectional(cls(3, return_sequences=True, return_state=True)))
    ids = np.array([[3, 7, 2, 0, 0], [5, 1, 9, 4, 8], [6, 0, 0, 0, 0]])
    lengths = [3, 5, 1]
    seq, *states = model.predict(ids)
    emb, bi = model.layers[1], model.layers[2]
    x = np.asarray(emb.params["embeddings"], dtype=np.float64)[ids]
    f, b = (bi.params[layer.name] for layer in (bi.forward_layer, bi.backward_layer))
    reference = reference_gru if cls is GRU else reference_lstm
    for i, n in enumerate(lengths):
        real = x[i:i + 1, :n]                                       # (1, n, 3): the sample, unpadded
        ref_f = reference(real, *[np.asarray(w, np.float64) for w in f.values()])
        ref_b = reference(real[:, ::-1], *[np.asarray(w, np.float64) for w in b.values()])
        np.testing.assert_allclose(seq[i, :n, :3], ref_f[0][0], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(seq[i, :n, 3:], ref_b[0][0][::-1], rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(seq[i, n:], 0.0)               # masked steps: zeros, as Keras
        for got, want in zip(states, ref_f[1:] + ref_b[1:]):           # forward states, then backward
            np.testing.assert_allclose(got[i], want[0], rtol=1e-4, atol=1e-6)


def test_bidirectional_padding_does_not_change_real_steps():
    model = _masked_model(Bidirectional(GRU(4, return_sequences=True)))
    seq_s = model.predict(np.array([[3, 7, 2], [5, 1, 9]]))
    seq_p = model.predict(np.array([[3, 7, 2, 0, 0], [5, 1, 9, 0, 0]]))
    np.testing.assert_allclose(seq_p[:, :3], seq_s, rtol=1e-5, atol=1e-7)
    last = _masked_model(Bidirectional(LSTM(4)), seed=8)
    np.testing.assert_allclose(last.predict(np.array([[3, 7, 2, 0, 0]])), last.predict(np.array([[3, 7, 2]])),
                               rtol=1e-5, atol=1e-7)


def test_bidirectional_passes_the_mask_on():
    ids = Input((None,), dtype="int32")
    seq = Bidirectional(GRU(3, return_sequences=True))(Embedding(10, 2, mask_zero=True)(ids))
    out = LSTM(2, return_sequences=True)(seq)                   # a masked step repeats the previous h
    model = Model(ids, out)
    y = model.predict(np.array([[4, 5, 0, 0]]))
    np.testing.assert_allclose(y[0, 2], y[0, 1], rtol=1e-6)
    np.testing.assert_allclose(y[0, 3], y[0, 1], rtol=1e-6)


# --- fused == traced -------------------------------------------------------------------------
@pytest.mark.parametrize("reset_after", [True, False])
def test_fused_gru_equals_traced_on_a_real_size_batch(reset_after):
    """(32, 10, 16) -> 64 units in float32, with a mask: same output and same gradients."""
    minattn.set_random_seed(3)
    layer = GRU(64, reset_after=reset_after, return_sequences=True)
    layer.build((10, 16))
    x = randn(32, 10, 16, seed=21).astype(np.float32)
    mask = np.arange(10) < np.random.default_rng(22).integers(1, 11, size=(32, 1))   # (32, 10)
    r = randn(32, 10, 64, seed=23).astype(np.float32)

    def run():
        loss = lambda p, v: anp.sum(run_layer(layer, p, v, mask=mask) * r)     # noqa: E731
        return loss(layer.params, x), autograd.grad(loss, (0, 1))(layer.params, x)
    traced_value, (traced_params, traced_x) = run()
    minattn.set_fused(True)
    fused_value, (fused_params, fused_x) = run()
    assert fused_value == pytest.approx(traced_value, rel=1e-5)
    for key in layer.params:
        np.testing.assert_allclose(fused_params[key], traced_params[key], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fused_x, traced_x, rtol=1e-4, atol=1e-5)


def test_fused_and_traced_training_give_the_same_losses():
    def train(fused):
        minattn.clear_session()
        minattn.set_random_seed(5)
        minattn.set_floatx("float64")
        minattn.set_fused(fused)
        ids = Input((None,), dtype="int32")
        h = Bidirectional(GRU(4, return_sequences=True))(Embedding(12, 3, mask_zero=True)(ids))
        out = Dense(1, activation="sigmoid")(Bidirectional(LSTM(3), merge_mode="ave")(h))
        model = Model(ids, out)
        model.compile("adam", "binary_crossentropy")
        data = np.random.default_rng(6)
        x = data.integers(1, 12, size=(40, 6)) * (np.arange(6) < data.integers(2, 7, size=(40, 1)))
        y = (x[:, 0] > 6).astype(float)[:, None]
        return model.fit(x, y, epochs=3, batch_size=8, verbose=0).history["loss"]
    traced, fused = train(False), train(True)
    np.testing.assert_allclose(fused, traced, rtol=1e-9)
    assert traced[-1] < traced[0]


# --- errors ---------------------------------------------------------------------------------------
def test_bidirectional_rejects_a_non_recurrent_layer():
    with pytest.raises(TypeError, match=r"Bidirectional 'bi'.*Dense 'dense_x'"):
        Bidirectional(Dense(3, name="dense_x"), name="bi")


@pytest.mark.parametrize("mode", ["max", "Concat", 1])
def test_bidirectional_rejects_a_bad_merge_mode(mode):
    with pytest.raises(ValueError, match=rf"Bidirectional 'bi'.*merge_mode.*{mode!r}"):
        Bidirectional(GRU(2), merge_mode=mode, name="bi")


def test_bidirectional_checks_the_number_of_initial_states():
    with pytest.raises(ValueError, match=r"Bidirectional 'bi'.*expected 4 initial states.*got 2"):
        Bidirectional(LSTM(3), name="bi")(Input((4, 2)), initial_state=[Input((3,)), Input((3,))])


def test_gru_errors_name_the_layer_and_the_value():
    with pytest.raises(ValueError, match=r"GRU 'g'.*units.*0"):
        GRU(0, name="g")
    with pytest.raises(ValueError, match=r"GRU 'g2'.*activation"):
        GRU(3, recurrent_activation="nope", name="g2")
    with pytest.raises(ValueError, match=r"GRU 'g3'.*initial state.*\(None, 4\)"):
        GRU(5, name="g3")(Input((4, 3)), initial_state=[Input((4,))])
    with pytest.raises(ValueError, match=r"GRU 'g4'.*\(None, time, features\).*\(None, 3\)"):
        GRU(5, name="g4")(Input((3,)))


@pytest.mark.parametrize("make", [
    lambda: LSTM(4, activation="relu", unit_forget_bias=False, return_sequences=True, name="enc"),
    lambda: GRU(3, reset_after=False, use_bias=False, return_state=True, go_backwards=True, name="enc"),
])
def test_get_config_makes_an_unbuilt_twin_and_bidirectional_is_built_from_it(make):
    layer = make()
    twin = type(layer)(**layer.get_config())
    assert twin.get_config() == layer.get_config() and twin.params is None
    bi = Bidirectional(layer)
    forward, backward = bi.forward_layer.get_config(), bi.backward_layer.get_config()
    assert forward == {**layer.get_config(), "name": "forward_enc"}
    assert backward == {**layer.get_config(), "name": "backward_enc", "go_backwards": not layer.go_backwards}
    assert type(bi.forward_layer) is type(bi.backward_layer) is type(layer)
