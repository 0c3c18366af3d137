"""Sampling from a GPT with a key/value cache: each new character costs one position, not the window.

A causal decoder's output at step t depends only on steps 0..t, and so do
the keys and values its attention computes there. ``sample_text``
(``transformers.py``) reruns the whole window for every new id; ``generate``
keeps each block's keys and values instead (the cache) and runs only the new
position through the model:

    x_t  = token_embedding[id_t] + position_embedding[t]
    per block:  q_t, k_t, v_t = projections of (LN) x_t;  K, V = cache + [k_t], cache + [v_t]
                a_t = softmax(q_t K^T / sqrt(d_k));   x_t = x_t + a_t V W^O + b^O  (and LN, FF as the block does)
    p_t = softmax(LN(x_t) W + b)

That is exactly what the full pass computes at step t, so while the text fits
in the window the probabilities (and, from the same seed, the sampled ids)
are ``sample_text``'s (``tests/test_generation.py``). Once the window is full,
the full pass slides it and every position moves; ``generate`` then restarts
its cache from the last ``window // 2`` ids (one pass over them) and goes on
one position at a time, so each id is drawn with between window / 2 and
window ids of context (``sample_text`` always has a full window there).
"""
import numpy as np

from .layers import Dense, LayerNormalization, TokenAndPositionEmbedding, TransformerDecoder
from .layers.attention import masked_softmax
from .transformers import draw_next


def gpt_layers(model):
    """``(embedding, blocks, final_norm, output)`` of a model laid out as ``build_gpt``'s, else ValueError."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    kinds = [type(layer) for layer in layers]
    if (len(layers) < 3 or kinds[0] is not TokenAndPositionEmbedding or kinds[-2] is not LayerNormalization
            or kinds[-1] is not Dense or any(k is not TransformerDecoder for k in kinds[1:-2])
            or any("cross_attention" in block.sublayers for block in layers[1:-2])):
        raise ValueError("generate: expected a model laid out as build_gpt's (TokenAndPositionEmbedding, "
                         f"TransformerDecoder blocks, LayerNormalization, Dense), got {[k.__name__ for k in kinds]}")
    return layers[0], layers[1:-2], layers[-2], layers[-1]


class Cache:
    """Each block's keys and values so far, ``(batch, heads, t, size)``; ``length`` = t."""

    def __init__(self, blocks):
        self.keys = [None] * len(blocks)
        self.values = [None] * len(blocks)
        self.length = 0


def heads_of(x, kernel, bias):
    """(batch, n, d) through kernel (d, H, size) and bias (H, size): (batch, H, n, size)."""
    y = np.einsum("bnd,dhs->bhns", x, kernel)
    return y if bias is None else y + bias[None, :, None, :]


def cached_attention(layer, params, h, cache, i):
    """Causal self-attention of the new positions ``h`` (batch, n, d) over the cache plus themselves."""
    q = heads_of(h, params["query_kernel"], params.get("query_bias"))
    k = heads_of(h, params["key_kernel"], params.get("key_bias"))
    v = heads_of(h, params["value_kernel"], params.get("value_bias"))
    if cache.keys[i] is not None:
        k, v = np.concatenate([cache.keys[i], k], axis=2), np.concatenate([cache.values[i], v], axis=2)
    cache.keys[i], cache.values[i] = k, v
    start, n, total = cache.length, h.shape[1], k.shape[2]
    allowed = np.arange(total)[None, :] <= start + np.arange(n)[:, None]       # (n, total): key j <= query t
    scores = np.einsum("bhqs,bhks->bhqk", q, k) / float(np.sqrt(layer.key_dim))
    weights = masked_softmax(scores, allowed[None, None])                      # (batch, H, n, total)
    heads = np.einsum("bhqk,bhks->bqhs", weights, v)                           # (batch, n, H, size)
    out = np.einsum("bqhs,hsd->bqd", heads, params["output_kernel"])
    return out if "output_bias" not in params else out + params["output_bias"]


def block_step(block, params, x, cache, i):
    """The new positions ``x`` through one decoder block (inference: no dropout)."""
    def residual(x, norm_name, sublayer):
        norm = block.sublayers[norm_name]
        inner = norm.apply(params[norm_name], x) if block.normalize_first else x
        y = x + sublayer(inner)
        return y if block.normalize_first else norm.apply(params[norm_name], y)

    attention = block.sublayers["self_attention"]
    x = residual(x, "self_attention_layer_norm",
                 lambda h: cached_attention(attention, params["self_attention"], h, cache, i))
    first, second = (block.sublayers[name] for name in ("feedforward_intermediate_dense",
                                                          "feedforward_output_dense"))
    return residual(x, "feedforward_layer_norm", lambda h: second.apply(
        params["feedforward_output_dense"], block.activation(first.apply(params["feedforward_intermediate_dense"], h))))


def advance(layers, params, cache, ids):
    """Run ``ids`` (batch, n), the next n positions, through the model; returns their probabilities
    (batch, n, vocabulary) and extends the cache."""
    embedding, blocks, final_norm, output = layers
    start, n = cache.length, ids.shape[1]
    table = params[embedding.name]
    x = table["token_embedding"]["embeddings"][ids] + table["position_embedding"]["embeddings"][start:start + n]
    for i, block in enumerate(blocks):
        x = block_step(block, params[block.name], x, cache, i)
    cache.length += n
    return output.apply(params[output.name], final_norm.apply(params[final_norm.name], x))


def generate(model, prompt_ids, length, temperature=1.0, top_k=None, seed=0):
    """Continue ``prompt_ids`` by ``length`` ids, as ``sample_text`` draws them, with a key/value cache.

    Args:
        model: a model laid out as ``build_gpt``'s.
        prompt_ids: at least one id.
        length: how many ids to sample.
        temperature, top_k, seed: as ``sample_text`` (the same draws from the same seed).

    Returns:
        The sampled ids (length,).
    """
    if temperature <= 0:
        raise ValueError(f"generate: temperature must be > 0, got {temperature}")
    if len(prompt_ids) < 1:
        raise ValueError("generate: the prompt needs at least one id")
    layers, params = gpt_layers(model), model.params
    window = model.inputs[0].shape[0]
    rng = np.random.default_rng(seed)
    ids = [int(i) for i in prompt_ids]
    cache, pending = None, None
    for _ in range(length):
        if cache is None or cache.length == window:           # (re)start from the last ids that fit
            context = ids[-(window if cache is None else window // 2):]
            cache = Cache(layers[1])
            p = advance(layers, params, cache, np.array([context]))[0, -1]
        else:
            p = advance(layers, params, cache, np.array([[pending]]))[0, -1]
        pending = draw_next(p, temperature, top_k, rng)
        ids.append(pending)
    return np.array(ids[len(prompt_ids):])
