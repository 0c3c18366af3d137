"""minattn's three Transformers (``minattn.transformers``) in PyTorch, for benchmarks/bench_train.py.

PyTorch is optional: only the benchmark imports this module (through
``torch_models``), and only when ``import torch`` works.

* ``GPT``: ``build_gpt`` at demos/char_gpt.py's sizes (``char_gpt_sizes``) -- token +
  learned position embedding, pre-norm decoder blocks (``nn.TransformerEncoderLayer(norm_first=True)``
  with a causal mask: self-attention only), a final LayerNorm, softmax;
* ``Translator``: ``build_translator`` -- a post-norm encoder over the
  padded source (``nn.TransformerEncoderLayer`` with a key padding mask) and a
  post-norm decoder with causal self-attention and cross-attention over it
  (``nn.TransformerDecoderLayer``);
* ``Classifier``: ``build_classifier`` -- one post-norm encoder block over the
  padded words, the mean over the real words, dropout, a sigmoid unit.

Every block is keras_hub's: ``x = LN(x + Dropout(sublayer(x)))`` (post-norm)
or ``x = x + Dropout(sublayer(LN(x)))`` (pre-norm), the feed-forward network
``W2 relu(W1 x + b1) + b2`` with no dropout inside it (PyTorch's layers have
one there: it is replaced by the identity). ``minattn_view()`` lists every
weight in minattn's (keras_hub's) order and layout, so the benchmark copies
minattn's initial weights in (``set_view_weights``) and compares gradients
leaf by leaf (``view_leaves``).
"""
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from char_gpt_sizes import char_gpt_sizes, char_gpt_vocabulary

# the dates translator (demos/translate_dates_transformer.py): source/target vocabularies and lengths
DATES_SOURCE_VOCAB, DATES_TARGET_VOCAB, DATES_SOURCE_LENGTH, DATES_TARGET_LENGTH = 62, 14, 30, 11
DATES_DIM, DATES_HEADS, DATES_FF = 32, 4, 64
# the text classifier (demos/text_attention.py's "transformer" head) on 60-word reviews
TEXT_VOCAB, TEXT_LENGTH, TEXT_DIM, TEXT_HEADS, TEXT_FF, TEXT_DROPOUT = 1000, 60, 32, 2, 32, 0.1
EPSILON = 1e-7          # minattn's probability clip


def causal_mask(length):
    """True above the diagonal: the future steps a query may not see (PyTorch's convention)."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)


def encoder_block(dim, heads, ff, dropout, norm_first, activation="relu"):
    block = nn.TransformerEncoderLayer(dim, heads, ff, dropout=dropout, activation=activation, layer_norm_eps=1e-5,
                                       batch_first=True, norm_first=norm_first)
    block.dropout = nn.Identity()                      # keras_hub: no dropout inside the feed-forward
    return block


def decoder_block(dim, heads, ff, dropout):
    block = nn.TransformerDecoderLayer(dim, heads, ff, dropout=dropout, activation="relu", layer_norm_eps=1e-5,
                                       batch_first=True, norm_first=False)
    block.dropout = nn.Identity()
    return block


def masked_sequence_loss(probabilities, labels):
    """minattn's ``masked_sparse_categorical_crossentropy``, batch-averaged: per sample, the mean of
    ``-log clip(p[label])`` over the real steps (label != 0)."""
    labels = labels.long()
    picked = probabilities.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    real = (labels != 0).to(probabilities.dtype)
    nll = -torch.log(picked.clamp(EPSILON, 1.0)) * real
    return (nll.sum(-1) / real.sum(-1).clamp(min=1.0)).mean()


# -- each weight as (tensor, rows, to_minattn, to_torch), in minattn's order ------------------------
SAME = (lambda t: t, lambda a: a)
LINEAR = (lambda t: t.T, lambda a: a.T)                                    # (out, in) <-> (in, out)


def attention_views(attention, dim, heads):
    """``nn.MultiheadAttention`` as minattn's query/key/value/output kernels and biases."""
    k = dim // heads
    views = []
    for part in range(3):                                                  # query, key, value
        rows = slice(part * dim, (part + 1) * dim)
        views.append((attention.in_proj_weight, rows, lambda t: t.T.reshape(dim, heads, k),
                      lambda a: a.reshape(dim, heads * k).T))              # kernel (d, H, k)
        views.append((attention.in_proj_bias, rows, lambda t: t.reshape(heads, k), lambda a: a.reshape(-1)))
    return views + [(attention.out_proj.weight, slice(None), lambda t: t.T.reshape(heads, k, dim),
                     lambda a: a.reshape(heads * k, dim).T),                # output kernel (H, k, d)
                    (attention.out_proj.bias, slice(None), *SAME)]


def norm_views(norm):
    return [(norm.weight, slice(None), *SAME), (norm.bias, slice(None), *SAME)]


def linear_views(linear):
    return [(linear.weight, slice(None), *LINEAR), (linear.bias, slice(None), *SAME)]


def encoder_views(block, dim, heads):
    """keras_hub's TransformerEncoder order: attention, its norm, the feed-forward norm, the two Dense."""
    return (attention_views(block.self_attn, dim, heads) + norm_views(block.norm1) + norm_views(block.norm2)
            + linear_views(block.linear1) + linear_views(block.linear2))


def embedding_views(token, position):
    return [(token.weight, slice(None), *SAME), (position, slice(None), *SAME)]


# -- the models -------------------------------------------------------------------------------
class GPT(nn.Module):
    """The char GPT demo's ``build_gpt``: pre-norm causal blocks (feed-forward 4 x wide), softmax over its ids."""
    loss = staticmethod(masked_sequence_loss)

    def __init__(self):
        super().__init__()
        sizes, vocabulary = char_gpt_sizes(), char_gpt_vocabulary()
        self.dim, self.heads = dim, heads = sizes["dim"], sizes["heads"]
        self.token = nn.Embedding(vocabulary, dim)
        self.position = nn.Parameter(torch.zeros(sizes["length"], dim))
        self.blocks = nn.ModuleList(encoder_block(dim, heads, 4 * dim, 0.0, True, sizes["activation"])
                                    for _ in range(sizes["layers"]))
        self.final_norm = nn.LayerNorm(dim, eps=1e-5)
        self.output = nn.Linear(dim, vocabulary)
        self.register_buffer("causal", causal_mask(sizes["length"]))

    def forward(self, ids):                                     # (B, T) integer ids
        x = self.token(ids.long()) + self.position[:ids.shape[1]]
        for block in self.blocks:
            x = block(x, src_mask=self.causal, is_causal=True)
        return F.softmax(self.output(self.final_norm(x)), dim=-1)          # (B, T, vocab)

    def minattn_view(self):
        views = embedding_views(self.token, self.position)
        for block in self.blocks:       # keras_hub's decoder order: attention, norm, the two Dense, norm
            views += (attention_views(block.self_attn, self.dim, self.heads) + norm_views(block.norm1)
                      + linear_views(block.linear1) + linear_views(block.linear2) + norm_views(block.norm2))
        return views + norm_views(self.final_norm) + linear_views(self.output)


class Translator(nn.Module):
    """``build_translator`` with the dates demo's sizes: one post-norm encoder and decoder block."""
    loss = staticmethod(masked_sequence_loss)

    def __init__(self):
        super().__init__()
        d = DATES_DIM
        self.source_token = nn.Embedding(DATES_SOURCE_VOCAB, d)
        self.source_position = nn.Parameter(torch.zeros(DATES_SOURCE_LENGTH, d))
        self.encoder = encoder_block(d, DATES_HEADS, DATES_FF, 0.0, False)
        self.target_token = nn.Embedding(DATES_TARGET_VOCAB, d)
        self.target_position = nn.Parameter(torch.zeros(DATES_TARGET_LENGTH, d))
        self.decoder = decoder_block(d, DATES_HEADS, DATES_FF, 0.0)
        self.output = nn.Linear(d, DATES_TARGET_VOCAB)
        self.register_buffer("causal", causal_mask(DATES_TARGET_LENGTH))

    def forward(self, source, decoder_in):
        padded = source == 0                                                # True: ignore this key
        x = self.source_token(source.long()) + self.source_position[:source.shape[1]]
        encoded = self.encoder(x, src_key_padding_mask=padded)
        y = self.target_token(decoder_in.long()) + self.target_position[:decoder_in.shape[1]]
        y = self.decoder(y, encoded, tgt_mask=self.causal, tgt_is_causal=True, memory_key_padding_mask=padded)
        return F.softmax(self.output(y), dim=-1)                            # (B, Ty, vocab)

    def minattn_view(self):
        d, h, decoder = DATES_DIM, DATES_HEADS, self.decoder
        return (embedding_views(self.source_token, self.source_position) + encoder_views(self.encoder, d, h)
                + embedding_views(self.target_token, self.target_position)
                + attention_views(decoder.self_attn, d, h) + norm_views(decoder.norm1)
                + attention_views(decoder.multihead_attn, d, h) + norm_views(decoder.norm2)
                + linear_views(decoder.linear1) + linear_views(decoder.linear2) + norm_views(decoder.norm3)
                + linear_views(self.output))


class Classifier(nn.Module):
    """``build_classifier`` with the text demo's sizes: encoder, mean over real words, dropout, sigmoid."""
    loss = staticmethod(F.binary_cross_entropy)

    def __init__(self):
        super().__init__()
        self.token = nn.Embedding(TEXT_VOCAB, TEXT_DIM)
        self.position = nn.Parameter(torch.zeros(TEXT_LENGTH, TEXT_DIM))
        self.encoder = encoder_block(TEXT_DIM, TEXT_HEADS, TEXT_FF, TEXT_DROPOUT, False)
        self.dropout = nn.Dropout(TEXT_DROPOUT)
        self.output = nn.Linear(TEXT_DIM, 1)

    def forward(self, ids):
        padded = ids == 0
        x = self.token(ids.long()) + self.position[:ids.shape[1]]
        x = self.encoder(x, src_key_padding_mask=padded)
        real = (~padded).to(x.dtype).unsqueeze(-1)                          # (B, T, 1)
        mean = (x * real).sum(1) / real.sum(1).clamp(min=1.0)              # GlobalAveragePooling1D, masked
        return torch.sigmoid(self.output(self.dropout(mean)))

    def minattn_view(self):
        return (embedding_views(self.token, self.position) + encoder_views(self.encoder, TEXT_DIM, TEXT_HEADS)
                + linear_views(self.output))


def set_view_weights(model, leaves):
    """Copy minattn's weights (``tree_leaves(model.params)`` order) into a model with ``minattn_view``."""
    views = model.minattn_view()
    if len(views) != len(leaves):
        raise ValueError(f"{type(model).__name__}: {len(views)} weights in torch, got {len(leaves)} from minattn")
    with torch.no_grad():
        for (param, rows, _, to_torch), value in zip(views, leaves):
            param[rows] = to_torch(torch.from_numpy(np.ascontiguousarray(value)))


def view_leaves(model, grads=False):
    """The weights (or gradients) of a model with ``minattn_view`` as minattn-shaped arrays, in order."""
    return [to_minattn((param.grad if grads else param)[rows]).detach().numpy().copy()
            for param, rows, to_minattn, _ in model.minattn_view()]
