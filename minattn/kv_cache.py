"""Generating from a GPT one id at a time, with each block's keys and values kept: a key/value cache.

    predictor = CachedGPT(model)              # a model from build_gpt
    p = predictor.restart(prompt_ids)         # runs the prompt once: next-id probabilities (vocab,)
    p = predictor.extend(next_id)             # runs only the new id

A causal decoder's output at step t depends on steps 0..t only, and so do the
keys and values its self-attention computes there. Rerunning the whole prefix
for every new id (``FullRecompute``, what ``model.apply`` does) recomputes all
of them; the cache keeps each block's keys and values (batch, heads, t, size)
and, for a new id, computes its query, key and value only:

    x      = token_embedding[id] + position_embedding[t]
    per block (pre-norm, GPT-2):
        h      = LayerNorm(x)
        q, k, v = h W^Q + b, h W^K + b, h W^V + b          (batch, heads, 1, size) each
        K, V   = [cached K ; k], [cached V ; v]             (batch, heads, t + 1, size)
        x      = x + concat_heads(softmax(q K^T / sqrt(size)) V) W^O + b^O
        x      = x + FeedForward(LayerNorm(x))
    probabilities = softmax(LayerNorm(x) W + b)

Every sub-layer runs as the model's own layer (``forward`` with its trained
weights); only the attention is spelled out, because its keys and values are
what is kept. Its projection and merge are the einsum forms of
``MultiHeadAttention``'s (``minattn/layers/multihead.py``); a test holds the
cached probabilities equal to the full pass's. The position table has
``sequence_length`` rows, so the cache holds at most that many steps:
generation (``minattn.transformers.sample_text``) restarts it on a shorter
context when the window is full.
"""
import numpy as np

from .layers.attention import masked_softmax
from .layers.position import TokenAndPositionEmbedding
from .layers.scores import scaled_dot_score
from .layers.transformer import TransformerDecoder


def project_heads(x, kernel, bias):
    """(batch, T, d) through kernel (d, heads, size) and bias (heads, size) -> (batch, heads, T, size)."""
    return np.einsum("btd,dhs->bhts", x, kernel) + bias[:, None, :]


def merge_heads(x, kernel, bias):
    """(batch, heads, T, size) through kernel (heads, size, d) and bias (d,) -> (batch, T, d)."""
    return np.einsum("bhts,hsd->btd", x, kernel) + bias


class FullRecompute:
    """Next-id probabilities by rerunning the model on the whole context every time (no cache)."""

    def __init__(self, model):
        self.model, self.window = model, model.inputs[0].shape[0]
        self.context = []

    def restart(self, ids):
        """Forget the context, take ``ids`` (at most the window) as it: p(next id) (vocab,)."""
        self.context = [int(i) for i in ids]
        return self._last()

    def extend(self, next_id):
        """Append one id to the context: p(the id after it) (vocab,)."""
        self.context.append(int(next_id))
        return self._last()

    def _last(self):
        if not 1 <= len(self.context) <= self.window:
            raise ValueError(f"FullRecompute: the context must hold 1 to {self.window} ids, "
                             f"got {len(self.context)}")
        x = np.zeros((1, self.window), dtype=np.int64)             # zeros after the context: unseen (causal)
        x[0, :len(self.context)] = self.context
        return self.model.apply(self.model.params, x)[0, len(self.context) - 1]


class CachedGPT:
    """Next-id probabilities of a ``build_gpt`` model, running only the new ids through a key/value cache.

    Args:
        model: a Model from ``minattn.transformers.build_gpt`` (layers named
            ``embedding``, ``block_1``.., ``final_norm``, ``next_char``).

    Attributes:
        keys, values: per block, (1, heads, t, size): what the cache holds after t steps.
    """

    def __init__(self, model):
        self.model = model
        layers = {layer.name: layer for layer in model.layers}
        self.embedding, self.final_norm, self.head = (layers.get(name) for name in ("embedding", "final_norm",
                                                                                     "next_char"))
        self.blocks = [layer for layer in model.layers if isinstance(layer, TransformerDecoder)]
        if (not isinstance(self.embedding, TokenAndPositionEmbedding) or None in (self.final_norm, self.head)
                or not self.blocks or any("cross_attention" in block.sublayers for block in self.blocks)):
            raise ValueError(f"CachedGPT: model '{model.name}' is not a decoder-only GPT from build_gpt "
                             "(layers embedding: TokenAndPositionEmbedding, TransformerDecoder blocks without "
                             "an encoder, final_norm, next_char)")
        if self.embedding.mask_zero:
            raise ValueError(f"CachedGPT: model '{model.name}' masks id 0 (mask_zero=True); the cache keeps "
                             "no padding mask, so it takes a GPT without one (build_gpt's)")
        self.window = self.embedding.sequence_length
        self.keys, self.values = [], []

    def restart(self, ids):
        """Empty the cache and run ``ids`` (1 to ``sequence_length``) through it: p(next id) (vocab,)."""
        self.keys, self.values = [None] * len(self.blocks), [None] * len(self.blocks)
        return self.run(np.asarray(ids, dtype=np.int64)[None])[0, -1]

    def extend(self, next_id):
        """Run one more id: p(the id after it) (vocab,)."""
        return self.run(np.array([[int(next_id)]]))[0, -1]

    def cached_steps(self):
        return 0 if self.keys[0] is None else self.keys[0].shape[2]

    def run(self, ids):
        """The model on ``ids`` (1, n), the steps after the cached ones: probabilities (1, n, vocab)."""
        past, n = self.cached_steps(), ids.shape[1]
        if past + n > self.window:
            raise ValueError(f"CachedGPT: {past} cached + {n} new steps exceed sequence_length={self.window}")
        params = self.model.params
        embedding = params[self.embedding.name]
        x = (self.embedding.token_embedding.forward(embedding["token_embedding"], ids)
             + embedding["position_embedding"]["embeddings"][past:past + n])             # (1, n, d)
        for i, block in enumerate(self.blocks):
            x = self.block_step(i, block, params[block.name], x, past)
        x = self.final_norm.forward(params[self.final_norm.name], x)
        return self.head.forward(params[self.head.name], x)

    def block_step(self, i, block, params, x, past):
        """One TransformerDecoder on the new steps x (1, n, d), its keys and values appended to cache ``i``."""
        def attend(h):
            weights = params["self_attention"]
            q = project_heads(h, weights["query_kernel"], weights["query_bias"])       # (1, H, n, size)
            k = project_heads(h, weights["key_kernel"], weights["key_bias"])
            v = project_heads(h, weights["value_kernel"], weights["value_bias"])
            if past:
                k = np.concatenate([self.keys[i], k], axis=2)                         # (1, H, past + n, size)
                v = np.concatenate([self.values[i], v], axis=2)
            self.keys[i], self.values[i] = k, v
            n = h.shape[1]
            allowed = np.tril(np.ones((n, past + n), dtype=bool), k=past)            # new step j sees keys <= past + j
            attention = masked_softmax(scaled_dot_score(q, k), allowed)               # (1, H, n, past + n)
            return merge_heads(np.matmul(attention, v), weights["output_kernel"], weights["output_bias"])

        def feedforward(h):
            inner, outer = "feedforward_intermediate_dense", "feedforward_output_dense"
            hidden = block.activation(block.sublayers[inner].forward(params[inner], h))     # (1, n, intermediate)
            return block.sublayers[outer].forward(params[outer], hidden)

        x = residual(block, params, "self_attention_layer_norm", attend, x)
        return residual(block, params, "feedforward_layer_norm", feedforward, x)


def residual(block, params, norm_name, sublayer, x):
    """``x`` plus ``sublayer``, its LayerNorm before (``normalize_first``, GPT-2) or after (post-norm)."""
    norm = block.sublayers[norm_name]
    if block.normalize_first:
        return x + sublayer(norm.forward(params[norm_name], x))
    return norm.forward(params[norm_name], x + sublayer(x))
