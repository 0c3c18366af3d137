"""The attention family against plain-NumPy references written out here, loop by loop.

Each reference follows its paper's formula one (query, key) pair at a time,
so it shares no code with the vectorised layers it checks. Weights come from
``gradcheck_cases.built`` (float64, every weight perturbed, biases nonzero).
"""
import os
import re

import numpy as np
import pytest

from minattn import Input, Model, gradcheck
from minattn.layers import (LSTM, Attention, AttentionPooling, AttentionWithContext, Dense, Embedding,
                            Flatten, KeyValueAttention, MultiHeadAttention, PositionalEncoding,
                            StructuredSelfAttention, attention_penalty,
                            get_score, masked_softmax)
from minattn.layers import scores as score_functions
from minattn.optimizers import Adam

from gradcheck_cases import built

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCORES = ["dot", "scaled_dot", "general", "additive", "concat"]


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def build(layer, inputs, seed=0):
    shapes = [a.shape[1:] for a in inputs] if isinstance(inputs, list) else inputs.shape[1:]
    return built(layer, shapes, seed)


def run(layer, inputs, mask=None):
    return layer.apply(layer.params, inputs, mask=mask)


# ---------------------------------------------------------------------------
# References, one pair at a time
# ---------------------------------------------------------------------------
def ref_softmax(e, allowed):
    """Softmax of the allowed entries of a 1-D score vector; 0 elsewhere; all 0 when none is allowed."""
    out = np.zeros(len(e))
    if allowed.any():
        z = np.exp(e[allowed] - e[allowed].max())
        out[allowed] = z / z.sum()
    return out


def ref_pair_score(name, p, q, k):
    if name == "dot":
        return q @ k
    if name == "scaled_dot":
        return q @ k / np.sqrt(len(q))
    if name == "general":
        return q @ p["kernel"] @ k
    if name == "additive":
        return p["v"] @ np.tanh(q @ p["query_kernel"] + k @ p["key_kernel"])
    if name == "concat":                      # the literal concatenation [q; k]
        return p["v"] @ np.tanh(np.concatenate([q, k]) @ p["kernel"])
    raise AssertionError(name)


def ref_allowed(key_mask, causal, i):
    allowed = np.array(key_mask, bool)
    if causal:
        allowed = allowed & (np.arange(len(allowed)) <= i)
    return allowed


def ref_attention(name, p, q, v, k, q_mask, k_mask, causal):
    batch, tq, tk = len(q), q.shape[1], k.shape[1]
    context, weights = np.zeros((batch, tq, v.shape[2])), np.zeros((batch, tq, tk))
    for b in range(batch):
        for i in range(tq):
            e = np.array([ref_pair_score(name, p, q[b, i], k[b, j]) for j in range(tk)])
            weights[b, i] = ref_softmax(e, ref_allowed(k_mask[b], causal, i))
            context[b, i] = weights[b, i] @ v[b] if q_mask[b, i] else 0.0
    return context, weights


def ref_multi_head(p, q, v, k, q_mask, k_mask, causal):
    heads, key_dim = p["query_kernel"].shape[1:]
    batch, tq, tk = len(q), q.shape[1], k.shape[1]
    out, weights = np.zeros((batch, tq, q.shape[2])), np.zeros((batch, heads, tq, tk))
    for b in range(batch):
        for i in range(tq):
            for h in range(heads):
                qh = q[b, i] @ p["query_kernel"][:, h] + p["query_bias"][h]
                kh = k[b] @ p["key_kernel"][:, h] + p["key_bias"][h]          # (Tk, key_dim)
                vh = v[b] @ p["value_kernel"][:, h] + p["value_bias"][h]      # (Tk, value_dim)
                weights[b, h, i] = ref_softmax(kh @ qh / np.sqrt(key_dim), ref_allowed(k_mask[b], causal, i))
                out[b, i] += weights[b, h, i] @ vh @ p["output_kernel"][h]
            out[b, i] = out[b, i] + p["output_bias"] if q_mask[b, i] else 0.0
    return out, weights


def ref_structured(p, x, mask):
    """The paper's orientation: A = softmax(W_s2 tanh(W_s1 H^T)), W_s1 = ws1^T, W_s2 = ws2^T."""
    ms, As = [], []
    for b in range(len(x)):
        scores = p["ws2"].T @ np.tanh(p["ws1"].T @ x[b].T)                  # (r, T)
        A = np.array([ref_softmax(row, mask[b]) for row in scores])
        ms.append(A @ x[b])
        As.append(A)
    return np.array(ms), np.array(As)


def ref_key_value(p, x, mask, window):
    batch, time, half = x.shape[0], x.shape[1], x.shape[2] // 2
    contexts, weights = np.zeros((batch, time, half)), np.zeros((batch, time, time))
    for b in range(batch):
        keys, values = x[b, :, :half], x[b, :, half:]
        for t in range(time):
            e = np.array([p["v"] @ np.tanh(keys[s] @ p["memory_kernel"] + keys[t] @ p["query_kernel"])
                          for s in range(time)])
            allowed = np.array([1 <= t - s <= window and mask[b, s] for s in range(time)])
            weights[b, t] = ref_softmax(e, allowed)
            contexts[b, t] = weights[b, t] @ values if mask[b, t] else 0.0
    return contexts, weights


def ref_han_paper(p, x, mask):
    s, a = np.zeros((len(x), x.shape[2])), np.zeros(x.shape[:2])
    for b in range(len(x)):
        u = np.tanh(x[b] @ p["kernel"] + p["bias"])                         # (T, F)
        a[b] = ref_softmax(u @ p["context_vector"], mask[b])
        s[b] = sum(a[b, t] * x[b, t] for t in range(x.shape[1]))
    return s, a


def ref_han_article(p, x, mask):
    """The seed's code: a = exp(tanh(x W + b)); a *= mask; a /= sum(a, axis=1) + K.epsilon()."""
    a = np.exp(np.tanh(x @ p["kernel"] + p["bias"]))                        # (batch, T, F)
    a = a * mask[:, :, None]
    a = a / (a.sum(axis=1, keepdims=True) + 1e-7)
    return (x * a).sum(axis=1), a


def ref_pooling(p, x, mask):
    out, a = np.zeros((len(x), x.shape[2])), np.zeros(x.shape[:2])
    for b in range(len(x)):
        e = np.array([x[b, t] @ p["kernel"][:, 0] + (p["bias"][t, 0] if "bias" in p else 0.0)
                      for t in range(x.shape[1])])
        a[b] = ref_softmax(e, mask[b])
        out[b] = a[b] @ x[b]
    return out, a


def ref_positional(time, depth):
    table = np.zeros((time, depth))
    for pos in range(time):
        for j in range(depth):
            angle = pos / 10000 ** (2 * (j // 2) / depth)
            table[pos, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return table


KEY_MASK = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [0, 1, 0, 1, 0]], bool)    # (3, 5)
QUERY_MASK = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], bool)           # (3, 4)
NO_KEYS = np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 0, 1, 1, 1]], bool)     # sample 1 fully masked


# ---------------------------------------------------------------------------
# Scores and the masked softmax
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCORES)
def test_score_objects_match_the_pairwise_formula(name):
    q, k = rand(2, 3, 4, seed=1), rand(2, 5, 4 if name in ("dot", "scaled_dot") else 6, seed=2)
    score = get_score(name, units=3)
    params = {key: w + 0.1 for key, w in score.init(np.random.default_rng(0), 4, k.shape[2]).items()}
    e = score.scores(params, q, k)
    assert e.shape == (2, 3, 5)
    expected = [[[ref_pair_score(name, params, q[b, i], k[b, j]) for j in range(5)] for i in range(3)]
                for b in range(2)]
    np.testing.assert_allclose(e, expected, rtol=1e-12, atol=1e-12)


def test_plain_score_functions_are_the_score_objects_maths():
    q, k = rand(2, 3, 4, seed=1), rand(2, 5, 4, seed=2)
    np.testing.assert_allclose(score_functions.scaled_dot_score(q, k), score_functions.dot_score(q, k) / 2.0)
    w = rand(4, 4, seed=3)
    np.testing.assert_allclose(score_functions.general_score(q, k, np.eye(4)), score_functions.dot_score(q, k))
    kernel, v = rand(8, 3, seed=4), rand(3, seed=5)
    np.testing.assert_allclose(score_functions.concat_score(q, k, kernel, v),
                               score_functions.additive_score(q, k, kernel[:4], kernel[4:], v))
    assert not np.allclose(score_functions.general_score(q, k, w), score_functions.dot_score(q, k))


def test_unknown_score_and_mismatched_dot_dims_are_errors():
    with pytest.raises(ValueError, match=r"Attention 'attention_1': unknown score 'cosine'.*"
                                         r"\['additive', 'concat', 'dot', 'general', 'scaled_dot'\]"):
        Attention(score="cosine")
    layer = Attention(score="dot")
    message = ("Attention 'attention_2': the 'dot' score needs queries and keys of the same size, "
               "got query dim 4 and key dim 3; inputs [(None, 2, 4), (None, 5, 3)]")
    with pytest.raises(ValueError, match=re.escape(message)):
        layer([rand(1, 2, 4), rand(1, 5, 3)])


def test_masked_softmax_zero_where_masked_sums_to_one_elsewhere_and_no_nan_when_all_masked():
    scores = rand(3, 4, 5, seed=6) * 30.0
    scores[0, 0, 0] = 1e4                                # an extreme score stays finite
    allowed = NO_KEYS[:, None, :]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = masked_softmax(scores, allowed)
    assert np.all(a[np.broadcast_to(~allowed, a.shape)] == 0.0)
    np.testing.assert_allclose(a[[0, 2]].sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(a[1] == 0.0) and np.all(np.isfinite(a))
    gradcheck.check_grads(lambda s: np.sum(masked_softmax(s, allowed) * rand(3, 4, 5, seed=7)),
                          rand(3, 4, 5, seed=8))


# ---------------------------------------------------------------------------
# Attention and MultiHeadAttention
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
@pytest.mark.parametrize("name", SCORES)
def test_attention_matches_reference(name, causal):
    dk = 4 if name in ("dot", "scaled_dot") else 2
    q, v, k = rand(3, 4, 4, seed=11), rand(3, 5, 3, seed=12), rand(3, 5, dk, seed=13)
    layer = build(Attention(score=name, causal=causal, return_attention_scores=True), [q, v, k])
    context, weights = run(layer, [q, v, k], mask=[QUERY_MASK, KEY_MASK, None])
    ref_context, ref_weights = ref_attention(name, layer.params, q, v, k, QUERY_MASK, KEY_MASK, causal)
    np.testing.assert_allclose(weights, ref_weights, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(context, ref_context, rtol=1e-10, atol=1e-14)


def test_attention_key_defaults_to_value_and_key_mask_combines_with_value_mask():
    q, v = rand(3, 4, 3, seed=14), rand(3, 5, 3, seed=15)
    layer = build(Attention(return_attention_scores=True), [q, v])
    _, w2 = run(layer, [q, v])
    _, w3 = run(layer, [q, v, v])
    np.testing.assert_array_equal(w2, w3)
    _, w = run(layer, [q, v, v], mask=[None, KEY_MASK, NO_KEYS])
    assert np.all(w[np.broadcast_to(~(KEY_MASK & NO_KEYS)[:, None, :], w.shape)] == 0)


def test_weights_sum_to_one_over_unmasked_keys_and_fully_masked_rows_are_zero():
    q, v = rand(3, 4, 3, seed=16), rand(3, 5, 3, seed=17)
    layer = build(Attention(score="general", return_attention_scores=True), [q, v])
    context, w = run(layer, [q, v], mask=[None, NO_KEYS])
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(context))
    np.testing.assert_allclose(w[[0, 2]].sum(axis=-1), 1.0, rtol=1e-12)
    assert np.all(w[:, :, ~NO_KEYS.any(axis=0)] == 0)
    assert np.all(w[1] == 0) and np.all(context[1] == 0)
    assert np.all(w[0][:, ~NO_KEYS[0]] == 0.0) and np.all(w[2][:, ~NO_KEYS[2]] == 0.0)


def test_causal_weights_are_zero_above_the_diagonal_and_the_future_does_not_matter():
    x = rand(2, 6, 3, seed=18)
    layer = build(Attention(score="additive", causal=True, return_attention_scores=True), [x, x])
    context, w = run(layer, [x, x])
    upper = np.triu(np.ones((6, 6), bool), k=1)
    assert np.all(w[:, upper] == 0.0) and np.all(w[:, ~upper] > 0.0)
    np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-12)
    changed = x.copy()
    changed[:, 4:] += 5.0                                   # change the last two steps only
    context2, _ = run(layer, [changed, changed])
    np.testing.assert_allclose(context2[:, :4], context[:, :4], rtol=1e-12)
    assert not np.allclose(context2[:, 4:], context[:, 4:])


@pytest.mark.parametrize("causal", [False, True], ids=["full", "causal"])
def test_multi_head_attention_matches_reference(causal):
    q, v, k = rand(3, 4, 5, seed=21), rand(3, 5, 3, seed=22), rand(3, 5, 2, seed=23)
    layer = build(MultiHeadAttention(3, 2, value_dim=4, causal=causal, return_attention_scores=True),
                  [q, v, k])
    out, w = run(layer, [q, v, k], mask=[QUERY_MASK, KEY_MASK, None])
    ref_out, ref_w = ref_multi_head(layer.params, q, v, k, QUERY_MASK, KEY_MASK, causal)
    assert out.shape == (3, 4, 5) and w.shape == (3, 3, 4, 5)
    np.testing.assert_allclose(w, ref_w, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-14)


def test_one_head_equals_scaled_dot_attention_on_the_same_projections():
    q, v = rand(3, 4, 5, seed=24), rand(3, 5, 3, seed=25)
    mha = build(MultiHeadAttention(1, 2, value_dim=3, return_attention_scores=True), [q, v])
    p = mha.params
    Q = q @ p["query_kernel"][:, 0] + p["query_bias"][0]                # (3, 4, 2)
    K = v @ p["key_kernel"][:, 0] + p["key_bias"][0]                    # (3, 5, 2)
    V = v @ p["value_kernel"][:, 0] + p["value_bias"][0]                # (3, 5, 3)
    single = Attention(score="scaled_dot", return_attention_scores=True)
    context, w = single.apply({}, [Q, V, K], mask=[QUERY_MASK, KEY_MASK, None])
    out, w_mha = run(mha, [q, v], mask=[QUERY_MASK, KEY_MASK])
    expected = np.where(QUERY_MASK[:, :, None], context @ p["output_kernel"][0] + p["output_bias"], 0.0)
    np.testing.assert_allclose(w_mha[:, 0], w, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-15)


def test_multi_head_weights_use_keras_layout():
    layer = MultiHeadAttention(2, 3, value_dim=4)
    layer([rand(1, 4, 5), rand(1, 6, 7), rand(1, 6, 8)])
    shapes = {k: v.shape for k, v in layer.params.items()}
    assert shapes == {"query_kernel": (5, 2, 3), "query_bias": (2, 3), "key_kernel": (8, 2, 3),
                      "key_bias": (2, 3), "value_kernel": (7, 2, 4), "value_bias": (2, 4),
                      "output_kernel": (2, 4, 5), "output_bias": (5,)}


def test_positional_encoding_matches_the_formula_and_passes_the_mask():
    x = rand(2, 7, 5, seed=26)
    layer = PositionalEncoding()
    np.testing.assert_allclose(layer(x) - x, np.broadcast_to(ref_positional(7, 5), x.shape), atol=1e-12)
    assert layer.compute_mask(x, KEY_MASK) is KEY_MASK
    assert layer.params == {}


# ---------------------------------------------------------------------------
# Pooling attention: Lin, Daniluk, Yang, the article
# ---------------------------------------------------------------------------
X = rand(3, 5, 4, seed=30)                                   # (batch, time, features)


def test_structured_self_attention_matches_reference():
    layer = build(StructuredSelfAttention(3, r=2, return_attention=True), X)
    m, a = run(layer, X, mask=KEY_MASK)
    ref_m, ref_a = ref_structured(layer.params, X, KEY_MASK)
    assert m.shape == (3, 2, 4) and a.shape == (3, 2, 5)
    np.testing.assert_allclose(a, ref_a, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(m, ref_m, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("window", [1, 2, 4])
def test_key_value_attention_matches_reference(window):
    layer = build(KeyValueAttention(window, units=3, return_attention=True), X)
    contexts, w = run(layer, X, mask=KEY_MASK)
    ref_c, ref_w = ref_key_value(layer.params, X, KEY_MASK, window)
    assert contexts.shape == (3, 5, 2)
    np.testing.assert_allclose(w, ref_w, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(contexts, ref_c, rtol=1e-10, atol=1e-15)
    lag = np.arange(5)[:, None] - np.arange(5)[None, :]
    assert np.all(w[:, (lag < 1) | (lag > window)] == 0.0)        # only the window before t
    assert np.all(w[0, 0] == 0) and np.all(contexts[0, 0] == 0)  # step 0 has nothing before it


def test_attention_with_context_paper_matches_reference():
    layer = build(AttentionWithContext(return_attention=True), X)
    s, a = run(layer, X, mask=NO_KEYS)
    ref_s, ref_a = ref_han_paper(layer.params, X, NO_KEYS)
    np.testing.assert_allclose(a, ref_a, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(s, ref_s, rtol=1e-10, atol=1e-15)


def test_attention_with_context_article_matches_the_printed_code():
    layer = build(AttentionWithContext(context=False, return_attention=True), X)
    assert set(layer.params) == {"kernel", "bias"}                  # no context vector
    s, a = run(layer, X, mask=KEY_MASK)
    ref_s, ref_a = ref_han_article(layer.params, X, KEY_MASK)
    np.testing.assert_allclose(a, ref_a, rtol=1e-12)
    np.testing.assert_allclose(s, ref_s, rtol=1e-12)


def test_article_variant_weights_are_per_feature_not_per_step():
    """Same W and b: the paper gives one weight per step summing to 1; the article a (time, F) table."""
    paper = build(AttentionWithContext(return_attention=True), X)
    article = AttentionWithContext(context=False, return_attention=True)
    article.params = {"kernel": paper.params["kernel"], "bias": paper.params["bias"]}
    _, a_paper = run(paper, X, mask=KEY_MASK)                      # (3, 5)
    _, a_article = run(article, X, mask=KEY_MASK)                  # (3, 5, 4)
    np.testing.assert_allclose(a_paper.sum(axis=1), 1.0, rtol=1e-12)
    # the article's weights summed over steps: ~1 for EACH feature, so F = 4 per sample, not 1 ...
    np.testing.assert_allclose(a_article.sum(axis=(1, 2)), 4.0, rtol=1e-6)
    assert not np.allclose(a_article.sum(axis=(1, 2)), 1.0)
    # ... each just below 1 because of the + 1e-7 ...
    assert np.all(a_article.sum(axis=1) < 1.0)
    # ... and the features disagree about which step matters: no single weight per step exists
    assert not np.allclose(a_article[:, :, 0], a_article[:, :, 1])
    for f in range(4):
        assert not np.allclose(a_article[:, :, f], a_paper)
    assert np.all(a_article[~KEY_MASK] == 0.0) and np.all(a_paper[~KEY_MASK] == 0.0)


@pytest.mark.parametrize("use_bias", [False, True])
def test_attention_pooling_matches_the_article_formula(use_bias):
    layer = build(AttentionPooling(use_bias=use_bias, return_attention=True), X)
    assert set(layer.params) == ({"kernel", "bias"} if use_bias else {"kernel"})
    out, a = run(layer, X, mask=NO_KEYS)
    ref_out, ref_a = ref_pooling(layer.params, X, NO_KEYS)
    np.testing.assert_allclose(a, ref_a, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-15)
    assert np.all(out[1] == 0) and np.all(a[1] == 0)                # a sample with no real step


def test_attention_pooling_bias_changes_the_result():
    with_bias = build(AttentionPooling(use_bias=True), X)
    without = AttentionPooling()
    without.params = {"kernel": with_bias.params["kernel"]}
    assert not np.allclose(run(with_bias, X), run(without, X))


# ---------------------------------------------------------------------------
# Masks across the family
# ---------------------------------------------------------------------------
def _weights_of(kind):
    """(layer, inputs, mask, weights, key axis, allowed) for every layer that returns weights."""
    x = X
    if kind == "attention":
        layer = build(Attention(score="concat", return_attention_scores=True), [x[:, :4], x])
        w = run(layer, [x[:, :4], x], mask=[None, NO_KEYS])[1]
        return w, np.broadcast_to(NO_KEYS[:, None, :], w.shape)
    if kind == "multi_head":
        layer = build(MultiHeadAttention(2, 3, return_attention_scores=True), [x, x])
        w = run(layer, [x, x], mask=[None, NO_KEYS])[1]
        return w, np.broadcast_to(NO_KEYS[:, None, None, :], w.shape)
    if kind == "structured":
        w = run(build(StructuredSelfAttention(3, r=2, return_attention=True), x), x, mask=NO_KEYS)[1]
        return w, np.broadcast_to(NO_KEYS[:, None, :], w.shape)
    if kind == "key_value":
        w = run(build(KeyValueAttention(2, return_attention=True), x), x, mask=NO_KEYS)[1]
        lag = np.arange(5)[:, None] - np.arange(5)[None, :]
        return w, NO_KEYS[:, None, :] & ((lag >= 1) & (lag <= 2))[None]
    if kind == "with_context":
        return run(build(AttentionWithContext(return_attention=True), x), x, mask=NO_KEYS)[1], NO_KEYS
    if kind == "pooling":
        return run(build(AttentionPooling(return_attention=True), x), x, mask=NO_KEYS)[1], NO_KEYS
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["attention", "multi_head", "structured", "key_value", "with_context",
                                  "pooling"])
def test_masked_steps_get_exactly_zero_and_the_rest_sum_to_one(kind):
    w, allowed = _weights_of(kind)
    assert np.all(np.isfinite(w))
    assert np.all(w[~allowed] == 0.0)
    sums, any_allowed = w.sum(axis=-1), allowed.any(axis=-1)
    np.testing.assert_allclose(sums[any_allowed], 1.0, rtol=1e-12)
    assert np.all(sums[~any_allowed] == 0.0) and (~any_allowed).any()   # fully masked rows exist: zeros


def _sequence_model(kind):
    """ids -> Embedding(mask_zero) -> attention layer(s); the model's output for comparing paddings."""
    ids = Input((None,), dtype="int32")
    e = Embedding(12, 4, mask_zero=True)(ids)
    if kind == "attention_chain":                   # sequence layers pass the query mask along
        h = Attention(score="general", causal=True)([e, e])
        h = MultiHeadAttention(2, 3)([h, e])
        h = PositionalEncoding()(h)
        out = KeyValueAttention(2)(h)
    elif kind == "structured":
        out = Flatten()(StructuredSelfAttention(3, r=2)(e))
    else:
        layer = {"attention_pooling": AttentionPooling, "with_context": AttentionWithContext,
                 "article": lambda: AttentionWithContext(context=False)}[kind]
        out = layer()(e)
    return Model(ids, out)


@pytest.mark.parametrize("kind", ["attention_chain", "attention_pooling", "with_context", "article",
                                  "structured"])
def test_trailing_padding_does_not_change_the_real_steps(kind, float64):
    model = _sequence_model(kind)
    ids = np.random.default_rng(3).integers(1, 12, size=(4, 6))           # no padding
    padded = np.concatenate([ids, np.zeros((4, 3), int)], axis=1)         # 3 padded steps
    short, long = model.predict(ids), model.predict(padded)
    if kind == "attention_chain":
        np.testing.assert_allclose(long[:, :6], short, rtol=1e-10, atol=1e-12)
        assert np.all(long[:, 6:] == 0.0)                                 # masked query steps are 0
    else:
        np.testing.assert_allclose(long, short, rtol=1e-10, atol=1e-12)


def test_without_the_mask_padding_would_change_the_result(float64):
    layer = build(AttentionPooling(), X)
    padded = np.concatenate([X, rand(3, 2, 4, seed=9)], axis=1)
    mask = np.concatenate([np.ones((3, 5), bool), np.zeros((3, 2), bool)], axis=1)
    np.testing.assert_allclose(run(layer, padded, mask=mask), run(layer, X), rtol=1e-12)
    assert not np.allclose(run(layer, padded), run(layer, X))


def test_every_layer_keeps_float32():
    """A float64 constant (np.sqrt(d), np.eye) would silently turn float32 training into float64."""
    ids = Input((None,), dtype="int32")
    e = Embedding(12, 6, mask_zero=True)(ids)
    outs = [Attention(score=name, causal=True)([e, e]) for name in SCORES]
    outs += [MultiHeadAttention(2, 3)([e, e]), PositionalEncoding()(e), KeyValueAttention(2)(e),
             AttentionPooling()(e), AttentionWithContext(context=False)(e), AttentionWithContext()(e)]
    outs += StructuredSelfAttention(2, r=2, return_attention=True)(e)
    results = Model(ids, outs).predict(np.array([[1, 2, 3, 0], [4, 5, 0, 0]]))
    assert [r.dtype for r in results] == [np.float32] * len(outs)
    assert attention_penalty(results[-1]).dtype == np.float32


def test_compute_mask_query_mask_for_sequences_none_for_pooled():
    x = [X[:, :4], X]
    assert Attention().compute_mask(x, [QUERY_MASK, KEY_MASK]) is QUERY_MASK
    with_weights = Attention(return_attention_scores=True)
    assert with_weights.compute_mask(x, [QUERY_MASK, KEY_MASK]) == [QUERY_MASK, None]
    assert MultiHeadAttention(1, 2).compute_mask(x, [QUERY_MASK, KEY_MASK]) is QUERY_MASK
    assert Attention().compute_mask(x, None) is None
    assert KeyValueAttention(2).compute_mask(X, KEY_MASK) is KEY_MASK
    for layer in (AttentionPooling(), AttentionWithContext(), StructuredSelfAttention(2)):
        assert layer.compute_mask(X, KEY_MASK) is None


# ---------------------------------------------------------------------------
# Lin et al.'s penalty, and training with it
# ---------------------------------------------------------------------------
def test_penalty_is_zero_for_orthogonal_one_hot_rows_and_positive_otherwise():
    one_hot = np.array([[[1.0, 0, 0, 0], [0, 0, 1, 0]]])                  # (1, r=2, T=4)
    same = np.array([[[1.0, 0, 0, 0], [1, 0, 0, 0]]])                     # both hops on step 0
    uniform = np.full((1, 2, 2), 0.5)
    assert attention_penalty(one_hot) == 0.0
    assert attention_penalty(same) == pytest.approx(2.0)                 # A A^T - I = [[0, 1], [1, 0]]
    assert attention_penalty(uniform) == pytest.approx(1.0)              # [[-.5, .5], [.5, -.5]]
    assert attention_penalty(np.concatenate([one_hot, same])) == pytest.approx(1.0)   # batch mean
    gradcheck.check_grads(attention_penalty, np.abs(rand(2, 3, 4, seed=5)))


# ---------------------------------------------------------------------------
# Shape errors name the layer and the shapes
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("layer,inputs,message", [
    (lambda: Attention(), [rand(1, 3, 4)],
     "Attention 'attention_1': expected a list [query, value] or [query, value, key] of shapes "
     "(None, time, dim), got [(None, 3, 4)]"),
    (lambda: Attention(score="general"), [rand(1, 3, 4), rand(1, 5, 2), rand(1, 6, 2)],
     "Attention 'attention_1': value and key must have the same number of steps, got "
     "[(None, 3, 4), (None, 5, 2), (None, 6, 2)]"),
    (lambda: MultiHeadAttention(2, 3), rand(1, 3, 4),
     "MultiHeadAttention 'multi_head_attention_1': expected a list [query, value] or [query, value, key] "
     "of shapes (None, time, dim), got (None, 3, 4)"),
    (lambda: KeyValueAttention(2), rand(1, 3, 5),
     "KeyValueAttention 'key_value_attention_1': features must be even to split into key and value "
     "halves, got input of shape (None, 3, 5)"),
    (lambda: StructuredSelfAttention(3), rand(1, 4),
     "StructuredSelfAttention 'structured_self_attention_1': expected input of shape "
     "(None, time, features), got (None, 4)"),
    (lambda: AttentionWithContext(), rand(1, 2, 3, 4),
     "AttentionWithContext 'attention_with_context_1': expected input of shape (None, time, features), "
     "got (None, 2, 3, 4)"),
    (lambda: PositionalEncoding(), rand(1, 4),
     "PositionalEncoding 'positional_encoding_1': expected input of shape (None, time, features), "
     "got (None, 4)"),
])
def test_shape_errors_name_the_layer_and_the_shapes(layer, inputs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layer()(inputs)


def test_pooling_bias_needs_a_known_number_of_steps():
    with pytest.raises(ValueError, match=re.escape("AttentionPooling 'attention_pooling_1': use_bias=True "
                                                   "needs a known number of steps (one bias per step), got "
                                                   "input of shape (None, None, 8)")):
        AttentionPooling(use_bias=True)(Input((None, 8)))


# ---------------------------------------------------------------------------
# End to end: the article's model learns "does token 7 appear?"
# ---------------------------------------------------------------------------
def _token_task(n, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 9, size=n)
    ids = rng.integers(1, 10, size=(n, 8)) * (np.arange(8)[None, :] < lengths[:, None])   # 0 = padding
    return ids, np.any(ids == 7, axis=1, keepdims=True).astype(float)


def test_embedding_lstm_attention_pooling_learns_whether_token_7_appears():
    x, y = _token_task(800, seed=0)
    x_test, y_test = _token_task(300, seed=1)
    assert 0.3 < y.mean() < 0.7                                         # not a majority-class task
    ids = Input((8,), dtype="int32")
    h = LSTM(8, return_sequences=True)(Embedding(10, 8, mask_zero=True)(ids))
    out = Dense(1, activation="sigmoid")(AttentionPooling()(h))
    model = Model(ids, out)
    model.compile(Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    loss, accuracy = model.evaluate(x_test, y_test)
    assert accuracy > 0.9, (loss, accuracy)


# ---------------------------------------------------------------------------
# docs/attention.md: its code runs and its printed numbers are the ones shown
# ---------------------------------------------------------------------------
def test_docs_attention_code_blocks_run():
    with open(os.path.join(ROOT, "docs", "attention.md")) as handle:
        blocks = re.findall(r"```python\n(.*?)```", handle.read(), flags=re.S)
    assert blocks
    namespace = {}
    for block in blocks:
        exec(compile(block, "docs/attention.md", "exec"), namespace)     # each block asserts its numbers
