"""Encoder-decoder translation: the date data, the masked loss, AttentionDecoder, decoding."""
import datetime
import os
import re

import numpy as np
import pytest
from autograd import grad

import demo_runner

import minattn
from minattn import gradcheck, seq2seq
from minattn.datasets import dates as sd
from minattn.layers import AttentionDecoder, masked_softmax
from minattn.layers.decoder import local_p_position, local_p_weights, straight_through_hard
from minattn.optimizers import Adam
from minattn.pytree import named_leaves, tree_map

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
def test_generator_is_seeded_and_reproducible():
    assert sd.make_date_pairs(50, seed=3) == sd.make_date_pairs(50, seed=3)
    assert sd.make_date_pairs(50, seed=3) != sd.make_date_pairs(50, seed=4)
    a, b = sd.make_date_dataset(100, seed=1), sd.make_date_dataset(100, seed=1)
    assert a == b and [len(a[k][0]) for k in ("train", "validation", "test")] == [80, 10, 10]


def test_every_format_writes_the_same_date():
    d = datetime.date(1979, 5, 3)          # a Thursday
    written = [sd.format_date(d, fmt) for fmt in sd.FORMATS]
    assert written == ["3 May 1979", "3 may 1979", "03 May 1979", "3 MAY 79", "thursday, may 3, 1979",
                       "Thursday, 3 May 1979", "Thu 3 May 1979", "May 3, 1979", "May 3rd 79",
                       "May 3rd, 1979", "3rd of May 1979", "03/05/79", "3/5/1979", "03.05.1979",
                       "03-05-1979", "1979/05/03", "1979 May 3", "3may79"]
    assert sd.iso(d) == "1979-05-03"
    assert [sd._ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]


def test_pairs_are_consistent():
    sources, targets = sd.make_date_pairs(500, seed=0)
    formats_seen = set()
    for source, target in zip(sources, targets):
        assert re.fullmatch(r"(19[5-9]\d|20[0-4]\d)-\d\d-\d\d", target), target
        d = datetime.date.fromisoformat(target)
        matching = [fmt for fmt in sd.FORMATS if sd.format_date(d, fmt) == source]
        assert matching, (source, target)
        formats_seen.update(matching)
    assert len(formats_seen) == len(sd.FORMATS)


def test_vocab_encodes_pads_and_decodes():
    src, tgt = sd.source_vocab(), sd.target_vocab()
    assert src.tokens[:3] == ["<pad>", "<s>", "</s>"] and len(tgt) == 3 + 11
    x, decoder_in, y = sd.encode_pairs(["3 may 79", "03/05/79x"[:8]], ["1979-05-03"] * 2, src, tgt, 12)
    assert x.shape == (2, 12) and x[0, 8:].tolist() == [0] * 4 and x[0, :8].min() > 2
    assert decoder_in[0, 0] == sd.START and y[0, -1] == sd.END
    assert decoder_in[0, 1:].tolist() == y[0, :-1].tolist()          # shifted by one
    assert tgt.decode(y[0]) == "1979-05-03" and src.decode(x[0]) == "3 may 79"
    with pytest.raises(ValueError, match="not in the vocabulary"):
        src.encode(["é"], 3)


# ---------------------------------------------------------------------------
# The masked loss
# ---------------------------------------------------------------------------
def _probs(*shape, seed=0):
    z = np.random.default_rng(seed).standard_normal(shape)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def test_masked_loss_ignores_padded_steps():
    y_true = np.array([[3, 1, 2, 0, 0], [1, 1, 1, 1, 2]])
    y_pred = _probs(2, 5, 4)
    loss = seq2seq.masked_sparse_categorical_crossentropy(y_true, y_pred)
    changed = y_pred.copy()
    changed[0, 3:] = _probs(2, 4, seed=9)                    # only the padded steps of sample 0
    assert np.allclose(seq2seq.masked_sparse_categorical_crossentropy(y_true, changed), loss)
    # the value is the mean over the real tokens of -log p
    expected0 = -np.mean(np.log(y_pred[0, [0, 1, 2], [3, 1, 2]]))
    assert np.isclose(loss[0], expected0) and loss.shape == (2,)
    g = grad(lambda p: np.sum(seq2seq.masked_sparse_categorical_crossentropy(y_true, p)))(y_pred)
    assert np.all(g[0, 3:] == 0) and np.any(g[0, :3] != 0)


def test_masked_loss_gradient_matches_finite_differences():
    y_true = np.array([[3, 1, 2, 0], [1, 2, 0, 0], [2, 2, 2, 1]])
    r = np.random.default_rng(2).standard_normal(3)
    report = gradcheck.check_grads(
        lambda p: np.sum(seq2seq.masked_sparse_categorical_crossentropy(y_true, p) * r),
        _probs(3, 4, 4, seed=1), tol=1e-5)
    assert report["value"] <= 1e-5


# ---------------------------------------------------------------------------
# AttentionDecoder
# ---------------------------------------------------------------------------
def _decoder(attention="global", score="additive", seed=0, **kwargs):
    layer = AttentionDecoder(4, 6, score=score, attention=attention, return_attention=True, **kwargs)
    rng = np.random.default_rng(seed)
    _, layer.params = layer.init(rng, [(3, 2), (5, 4), (4,), (4,)])
    layer.params = tree_map(lambda v: v + 0.3 * rng.standard_normal(v.shape), layer.params)
    return layer


@pytest.mark.parametrize("score,score_weights", [("additive", ["query_kernel", "key_kernel", "v"]),
                                                 ("dot", [])])
def test_decoder_weights_nest_the_cell_and_the_score_as_their_own(score, score_weights):
    layer = _decoder("local_p", score)
    assert list(layer.params) == ["cell", "score", "combine_kernel", "output_kernel", "output_bias",
                                  "position_kernel", "position_v"]
    assert list(layer.params["cell"]) == ["kernel", "recurrent_kernel", "bias"]
    assert layer.params["cell"]["kernel"].shape == (2 + 4, 4 * 4)              # [y; h~] -> 4 gates
    assert list(layer.params["score"]) == score_weights
    names = ["cell/kernel", "cell/recurrent_kernel", "cell/bias"] + [f"score/{w}" for w in score_weights]
    assert [name for name, _ in named_leaves(layer.params)][:len(names)] == names   # get_weights order


def _inputs(seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 5, 4)),
            rng.standard_normal((2, 4)) * 0.5, rng.standard_normal((2, 4)) * 0.5]


SOURCE_MASK = np.array([[True, True, True, True, True], [True, True, True, False, False]])


@pytest.mark.parametrize("attention", ["global", "local_p", "hard"])
def test_step_is_pure(attention):
    layer = _decoder(attention)
    y_emb, enc, h0, c0 = _inputs()
    states = layer.initial_states(enc, h0, c0)
    first = layer.step(layer.params, y_emb[:, 0], states, enc, SOURCE_MASK)
    again = layer.step(layer.params, y_emb[:, 0], states, enc, SOURCE_MASK)
    for a, b in zip([first[0], first[2]] + first[1], [again[0], again[2]] + again[1]):
        assert np.array_equal(a, b)
    assert np.allclose(first[0].sum(axis=-1), 1.0)
    assert np.all(first[2][1, 3:] == 0)                     # padded source positions get nothing


@pytest.mark.parametrize("attention,score", [("global", "additive"), ("global", "dot"), ("global", "general"),
                                             ("global", "concat"), ("local_p", "additive"), ("hard", "additive")])
def test_teacher_forcing_equals_running_step_by_hand(attention, score):
    layer = _decoder(attention, score)
    xs = _inputs()
    probs, weights = layer.apply(layer.params, xs, mask=[None, SOURCE_MASK, None, None])
    states = layer.initial_states(xs[1], xs[2], xs[3])
    for t in range(3):
        p, states, a = layer.step(layer.params, xs[0][:, t], states, xs[1], SOURCE_MASK)
        assert np.allclose(p, probs[:, t]) and np.allclose(a, weights[:, t])
    assert probs.shape == (2, 3, 6) and weights.shape == (2, 3, 5)


def test_local_p_weights_are_zero_outside_the_window():
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((4, 12))
    p = np.array([0.3, 5.5, 7.2, 11.0])
    window = 2
    weights = local_p_weights(scores, p, window)
    distance = np.abs(np.arange(12)[None, :] - p[:, None])
    assert np.all(weights[distance > window] == 0) and np.all(weights[distance <= window] > 0)
    gaussian = np.exp(-distance ** 2 / (2 * (window / 2) ** 2))
    inside = masked_softmax(scores, distance <= window)
    assert np.allclose(weights, inside * gaussian)
    # and inside the layer: p_t from h_t, the window around it, padding excluded
    layer = _decoder("local_p", window=1)
    y_emb, enc, h0, c0 = _inputs()
    states = layer.initial_states(enc, h0, c0)
    _, (h, _, _), a = layer.step(layer.params, y_emb[:, 0], states, enc, SOURCE_MASK)
    p = local_p_position(h, layer.params["position_kernel"], layer.params["position_v"], np.array([5, 3]))
    assert 0 <= p[1] <= 2
    outside = np.abs(np.arange(5)[None, :] - p[:, None]) > 1
    assert np.all(a[outside] == 0) and np.all(a[1, 3:] == 0) and np.all(a.sum(axis=-1) > 0)


def test_hard_attention_is_one_hot_forward_and_soft_backward():
    scores = np.random.default_rng(3).standard_normal((3, 6))
    r = np.random.default_rng(4).standard_normal((3, 6))
    hard = straight_through_hard(masked_softmax(scores))
    assert np.allclose(hard, np.eye(6)[np.argmax(scores, axis=-1)], atol=1e-12)
    g_hard = grad(lambda s: np.sum(straight_through_hard(masked_softmax(s)) * r))(scores)
    g_soft = grad(lambda s: np.sum(masked_softmax(s) * r))(scores)
    assert np.allclose(g_hard, g_soft) and np.any(g_hard != 0)
    layer = _decoder("hard")
    _, weights = layer.apply(layer.params, _inputs(), mask=[None, SOURCE_MASK, None, None])
    assert np.allclose(np.sort(weights, axis=-1)[..., -1], 1.0) and np.allclose(weights.sum(axis=-1), 1.0)
    assert np.all(np.argmax(weights[1], axis=-1) < 3)         # never a padded position


def test_decoder_refuses_bad_settings():
    with pytest.raises(ValueError, match="attention must be one of"):
        AttentionDecoder(4, 6, attention="soft")
    with pytest.raises(ValueError, match="same size"):
        AttentionDecoder(4, 6, score="dot").init(np.random.default_rng(0), [(3, 2), (5, 3)])


# ---------------------------------------------------------------------------
# Greedy and monotonic decoding on a tiny trained model: copy a short string
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def copy_model():
    minattn.set_random_seed(0)
    rng = np.random.default_rng(0)
    letters = "abcd"
    sources = ["".join(letters[i] for i in rng.integers(0, 4, rng.integers(2, 5))) for _ in range(600)]
    vocab = sd.CharVocab([letters])
    x, decoder_in, y = sd.encode_pairs(sources, sources, vocab, vocab, source_length=5)
    model, encoder, parts = seq2seq.build_translation_model(len(vocab), len(vocab), 5, decoder_in.shape[1],
                                                            embedding_dim=8, encoder_units=12)
    model.compile(Adam(0.02), loss=seq2seq.masked_sparse_categorical_crossentropy)
    model.fit([x, decoder_in], y, epochs=12, batch_size=50, verbose=0)
    return model, encoder, parts, vocab, (x, decoder_in, y, sources)


def test_greedy_decode_on_a_trained_tiny_model(copy_model):
    model, encoder, parts, vocab, (x, decoder_in, y, sources) = copy_model
    tokens, weights = seq2seq.greedy_decode(encoder, parts, x[:200], decoder_in.shape[1])
    accuracy = seq2seq.exact_match(tokens, sources[:200], vocab)
    assert accuracy > 0.8, accuracy
    assert tokens.shape == (200, 5) and weights.shape == (200, 5, 5)
    # greedy decoding runs the same step as teacher forcing: where greedy is right,
    # the teacher-forced argmax gives the same tokens and the same attention
    probs = model.predict([x[:200], decoder_in[:200]])
    teacher_weights = parts["attention"].predict([x[:200], decoder_in[:200]])
    real = y[:200] != 0                                     # the target and its end token
    right = [i for i in range(200) if np.array_equal(tokens[i][real[i]], y[i][real[i]])]
    assert len(right) > 150
    for i in right:
        assert np.array_equal(np.argmax(probs[i], axis=-1)[real[i]], tokens[i][real[i]])
        assert np.allclose(teacher_weights[i][real[i]], weights[i][real[i]], atol=1e-5)


def test_monotonic_decoding_never_attends_before_the_previous_position(copy_model):
    _, encoder, parts, vocab, (x, decoder_in, _, sources) = copy_model
    tokens, weights = seq2seq.greedy_decode(encoder, parts, x[:200], decoder_in.shape[1], monotonic=True)
    last_real = (x[:200] != 0).sum(axis=1) - 1
    for b in range(200):
        previous = 0
        for t in range(weights.shape[1]):
            assert np.all(weights[b, t, :previous] == 0), (b, t)
            previous = min(int(np.argmax(weights[b, t])), last_real[b])
    assert seq2seq.exact_match(tokens, sources[:200], vocab) > 0.8


# ---------------------------------------------------------------------------
# The demo
# ---------------------------------------------------------------------------
def test_translate_dates_quick_run(tmp_path):
    out = tmp_path / "dates"
    results, stdout = demo_runner.run_demo(out, "translate_dates.py", "--quick", timeout=300,
                                           figures=("global_additive_heatmap_0.png",))
    # The output says which variants --quick trains and what each metric means before it prints one.
    assert "--quick trains only global_additive" in stdout
    explained, printed = stdout.index("monotonic: the same with forced-forward"), stdout.index("(monotonic ")
    assert explained < printed
    variant = results["variants"]["global_additive"]
    # chance: one right date in ~36500; the right character per step ~ 1 in 11
    assert variant["exact_match"] > 0.3, variant
    assert variant["token_accuracy"] > 0.7, variant


@pytest.mark.parametrize("alignment", ["global", "local_p", "hard"])
def test_the_decoder_computes_in_the_float_type_it_was_built_in(alignment):
    """float32 in, float32 out: local-p's positions were float64 (int lengths and arange promoted them)."""
    minattn.set_floatx("float32")
    layer = AttentionDecoder(3, 5, attention=alignment, return_attention=True)
    inputs = [np.ones((2, 3, 2), np.float32), np.ones((2, 4, 3), np.float32)]
    probs, weights = layer(inputs)
    assert probs.dtype == np.float32 and weights.dtype == np.float32
