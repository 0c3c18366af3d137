"""The key/value cache gives the full recomputation's probabilities and samples, to float rounding."""
import numpy as np
import pytest

import minattn
from minattn import Input
from minattn.kv_cache import CachedGPT, FullRecompute, merge_heads, project_heads
from minattn.layers import Dense, LayerNormalization, TokenAndPositionEmbedding, TransformerDecoder
from minattn.model import Model
from minattn.transformers import build_gpt, sample_text

VOCAB, WINDOW = 13, 12


def sharpened(model, seed, scale=0.6):
    """Random weights large enough that the next-id distributions are far from uniform."""
    rng = np.random.default_rng(seed)
    model.set_weights([(scale * rng.standard_normal(w.shape)).astype(w.dtype) for w in model.get_weights()])
    return model


def gpt(activation="relu", seed=0):
    minattn.clear_session()
    minattn.set_random_seed(seed)
    model, _ = build_gpt(VOCAB, WINDOW, embedding_dim=8, num_heads=2, num_layers=2, activation=activation)
    return sharpened(model, seed)


def post_norm_gpt():
    """build_gpt's layout with post-norm blocks (the paper's order), named as CachedGPT expects."""
    minattn.clear_session()
    minattn.set_random_seed(1)
    ids = Input((WINDOW,), dtype="int32")
    x = TokenAndPositionEmbedding(VOCAB, WINDOW, 8, name="embedding")(ids)
    x = TransformerDecoder(16, 2, name="block_1")(x)
    x = LayerNormalization(name="final_norm")(x)
    return sharpened(Model(ids, Dense(VOCAB, activation="softmax", name="next_char")(x)), 1)


@pytest.mark.parametrize("make", [gpt, lambda: gpt("gelu", seed=2), post_norm_gpt])
def test_each_cached_step_gives_the_full_passes_probabilities(make):
    model = make()
    ids = np.random.default_rng(3).integers(1, VOCAB, size=WINDOW)
    cached, full = CachedGPT(model), FullRecompute(model)
    prompt = 4
    pairs = [(cached.restart(ids[:prompt]), full.restart(ids[:prompt]))]
    for i in ids[prompt:]:
        pairs.append((cached.extend(i), full.extend(i)))
    assert cached.cached_steps() == WINDOW and cached.keys[0].shape == (1, 2, WINDOW, 4)   # (1, H, T, size)
    for step, (a, b) in enumerate(pairs):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=f"step {step}")
        assert np.max(b) > 2.0 / VOCAB                                   # not a uniform guess
    # the full pass's probabilities on the whole window, row by row
    every = model.apply(model.params, ids[None])[0]
    np.testing.assert_allclose(cached.restart(ids)[None], every[-1:], rtol=1e-4, atol=1e-6)


def test_projection_and_merge_are_the_attention_layers():
    """project_heads / merge_heads rebuild MultiHeadAttention's output from its weights."""
    model = gpt()
    block = model.get_layer("block_1")
    attention = block.sublayers["self_attention"]
    weights = model.params["block_1"]["self_attention"]
    h = np.random.default_rng(0).standard_normal((2, 5, 8)).astype(np.float32)
    q, k, v = (project_heads(h, weights[f"{p}_kernel"], weights[f"{p}_bias"]) for p in ("query", "key", "value"))
    scores = np.einsum("bhqs,bhks->bhqk", q, k) / np.sqrt(4)
    scores = np.where(np.tril(np.ones((5, 5), bool)), scores, -np.inf)
    a = np.exp(scores - scores.max(-1, keepdims=True))
    out = merge_heads((a / a.sum(-1, keepdims=True)) @ v, weights["output_kernel"], weights["output_bias"])
    layer_out = attention.apply(weights, [h, h])[0]
    np.testing.assert_allclose(out, layer_out, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("temperature, top_k", [(1.0, 1), (1.0, None), (0.7, 5)])
def test_sampling_with_the_cache_gives_the_full_recomputations_ids(temperature, top_k):
    model = gpt()
    prompt = [3, 1, 4, 1, 5]
    length = 3 * WINDOW                     # the window fills and slides several times
    cached = sample_text(model, prompt, length, temperature, top_k, seed=7)
    full = sample_text(model, prompt, length, temperature, top_k, seed=7, cache=False)
    np.testing.assert_array_equal(cached, full)
    assert len(cached) == length and np.all((cached > 0) & (cached < VOCAB))
    if top_k is None:
        assert len(set(cached.tolist())) > 3                          # sampled, not one id repeated


def test_slide_one_is_a_window_of_the_last_ids_at_every_step():
    """slide=1: each id is drawn from the model's output on the last WINDOW ids (the old sample_text)."""
    model = gpt()
    prompt = list(range(1, WINDOW + 1))
    ids = sample_text(model, prompt, 6, top_k=1, slide=1)
    text = prompt + ids.tolist()
    for t in range(6):
        window = np.array(text[t:t + WINDOW])[None]                  # the ids before ids[t]
        assert ids[t] == np.argmax(model.apply(model.params, window)[0, -1][1:]) + 1


def test_bad_models_and_settings_are_refused():
    model = gpt()
    with pytest.raises(ValueError, match="exceed sequence_length=12"):
        CachedGPT(model).restart(np.ones(WINDOW + 1, int))
    with pytest.raises(ValueError, match="slide must be in"):
        sample_text(model, [1], 3, slide=0)
    with pytest.raises(ValueError, match="temperature"):
        sample_text(model, [1], 3, temperature=0)
    inputs = Input((WINDOW,), dtype="int32")
    with pytest.raises(ValueError, match="not a decoder-only GPT"):
        CachedGPT(Model(inputs, TokenAndPositionEmbedding(VOCAB, WINDOW, 8, name="embedding")(inputs)))
    x = TokenAndPositionEmbedding(VOCAB, WINDOW, 8, mask_zero=True, name="embedding")(inputs)
    x = LayerNormalization(name="final_norm")(TransformerDecoder(16, 2, name="block_1")(x))
    with pytest.raises(ValueError, match="masks id 0"):
        CachedGPT(Model(inputs, Dense(VOCAB, activation="softmax", name="next_char")(x)))
