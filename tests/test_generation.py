"""generate(): sampling from a GPT with a key/value cache equals full recomputation.

* while the text fits in the window, each step's probabilities are the full
  pass's (float64, to 1e-10) and the ids drawn from a seed are ``sample_text``'s,
  for pre- and post-norm blocks, relu and gelu;
* past the window, the cache restarts from the last window // 2 ids: the ids
  equal those of a full recomputation over the same contexts;
* a model not laid out as ``build_gpt``'s is refused by name.
"""
import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.generation import Cache, advance, generate, gpt_layers
from minattn.layers import Dense
from minattn.transformers import build_gpt, draw_next, sample_text

VOCAB, WINDOW = 11, 12


@pytest.fixture(autouse=True)
def float64():
    minattn.set_floatx("float64")


def small_gpt(activation="relu", normalize_first=True):
    model, blocks = build_gpt(VOCAB, WINDOW, embedding_dim=8, num_heads=2, num_layers=2, activation=activation)
    for block in blocks:
        block.normalize_first = normalize_first
    rng = np.random.default_rng(1)               # weights away from the initial zeros (biases, LN shifts)
    model.set_weights([w + 0.2 * rng.standard_normal(w.shape) for w in model.get_weights()])
    return model


@pytest.mark.parametrize("activation, normalize_first", [("relu", True), ("gelu", True), ("relu", False)])
def test_each_step_gives_the_full_pass_probabilities(activation, normalize_first):
    model = small_gpt(activation, normalize_first)
    ids = np.random.default_rng(2).integers(1, VOCAB, size=WINDOW)
    cache = Cache(gpt_layers(model)[1])
    first = advance(gpt_layers(model), model.params, cache, ids[None, :4])           # a prompt of 4
    steps = [first[0, -1]] + [advance(gpt_layers(model), model.params, cache, ids[None, t:t + 1])[0, 0]
                              for t in range(4, WINDOW)]
    full = model.apply(model.params, ids[None])[0]                                   # (window, vocab)
    np.testing.assert_allclose(first[0], full[:4], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(np.array(steps), full[3:], rtol=1e-10, atol=1e-13)
    assert cache.length == WINDOW


@pytest.mark.parametrize("temperature, top_k", [(1.0, None), (0.7, 4)])
def test_ids_equal_sample_text_within_the_window(temperature, top_k):
    model = small_gpt("gelu")
    prompt = [3, 5, 1]
    cached = generate(model, prompt, WINDOW - len(prompt), temperature, top_k, seed=4)
    np.testing.assert_array_equal(cached, sample_text(model, prompt, WINDOW - len(prompt), temperature, top_k,
                                                      seed=4))


def full_recomputation(model, prompt, length, seed):
    """The ids ``generate`` promises past the window, each drawn from a full pass over its context."""
    rng = np.random.default_rng(seed)
    ids, start = list(prompt), max(0, len(prompt) - WINDOW)
    for _ in range(length):
        if len(ids) - start > WINDOW:
            start = len(ids) - WINDOW // 2
        context = ids[start:]
        x = np.zeros((1, WINDOW), dtype=np.int64)
        x[0, :len(context)] = context
        ids.append(draw_next(model.apply(model.params, x)[0, len(context) - 1], 1.0, None, rng))
    return ids[len(prompt):]


@pytest.mark.parametrize("prompt_length", [2, WINDOW + 3])
def test_past_the_window_the_cache_restarts_from_half_a_window(prompt_length):
    model = small_gpt()
    prompt = list(np.random.default_rng(5).integers(1, VOCAB, size=prompt_length))
    np.testing.assert_array_equal(generate(model, prompt, 3 * WINDOW, seed=6),
                                  full_recomputation(model, prompt, 3 * WINDOW, seed=6))


def test_a_model_of_another_layout_is_refused():
    x = Input((WINDOW,))
    with pytest.raises(ValueError, match="build_gpt"):
        generate(Model(x, Dense(VOCAB, activation="softmax")(x)), [1], 3)
    with pytest.raises(ValueError, match="temperature"):
        generate(small_gpt(), [1], 3, temperature=0.0)
