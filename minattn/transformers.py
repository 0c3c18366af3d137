"""Models made of Transformer blocks: a character GPT, a translator, a text classifier; decoding and sampling.

    gpt = build_gpt(vocab_size, sequence_length=64, embedding_dim=64, num_heads=4, num_layers=2)
    translator = build_translator(source_vocab, target_vocab, source_length, target_length)
    classifier = build_classifier(vocab_size, sequence_length)

Each returns a ``Model`` (probabilities over the vocabulary or the classes)
plus, where a demo needs them, the blocks whose attention it plots. The
layers are minattn's keras_hub-faithful ones (``minattn/layers/transformer.py``).
"""
import numpy as np

from .layers.input_layer import Input
from .layers import (Dense, Dropout, GlobalAveragePooling1D, LayerNormalization, TokenAndPositionEmbedding,
                     TransformerDecoder, TransformerEncoder)
from .model import Model
from .datasets.dates import START
from .kv_cache import CachedGPT, FullRecompute


def build_gpt(vocab_size, sequence_length, embedding_dim=64, num_heads=4, num_layers=2, intermediate_dim=None,
              dropout=0.0, activation="gelu"):
    """A decoder-only (GPT-2-style, pre-norm) character model: ids (T,) -> next-id probabilities (T, vocab).

        TokenAndPositionEmbedding -> num_layers x TransformerDecoder(normalize_first=True)
        -> LayerNormalization -> Dense(vocab, softmax)

    Returns:
        ``(model, blocks)``: the Model and its list of TransformerDecoder blocks.
    """
    ids = Input((sequence_length,), name="ids", dtype="int32")
    x = TokenAndPositionEmbedding(vocab_size, sequence_length, embedding_dim, name="embedding")(ids)
    blocks = []
    for i in range(num_layers):
        block = TransformerDecoder(intermediate_dim or 4 * embedding_dim, num_heads, dropout=dropout,
                                   activation=activation, normalize_first=True, name=f"block_{i + 1}")
        x = block(x)
        blocks.append(block)
    x = LayerNormalization(epsilon=1e-5, name="final_norm")(x)
    return Model(ids, Dense(vocab_size, activation="softmax", name="next_char")(x)), blocks


def build_translator(source_vocab_size, target_vocab_size, source_length, target_length, embedding_dim=32,
                     num_heads=4, intermediate_dim=64, num_layers=1, dropout=0.0):
    """An encoder-decoder Transformer (the paper's layout, post-norm) with teacher forcing.

        source ids -> TokenAndPositionEmbedding(mask_zero) -> num_layers x TransformerEncoder
        decoder_in -> TokenAndPositionEmbedding -> num_layers x TransformerDecoder([., encoded])
        -> Dense(target vocab, softmax)

    Returns:
        ``(model, blocks)``: ``model`` maps ``[source, decoder_in]`` to
        probabilities (Ty, vocab); ``blocks`` is ``{"encoder": [...], "decoder": [...]}``.
    """
    source = Input((source_length,), name="source", dtype="int32")
    x = TokenAndPositionEmbedding(source_vocab_size, source_length, embedding_dim, mask_zero=True,
                                  name="source_embedding")(source)
    encoders, decoders = [], []
    for i in range(num_layers):
        encoders.append(TransformerEncoder(intermediate_dim, num_heads, dropout=dropout, name=f"encoder_{i + 1}"))
        x = encoders[-1](x)
    encoded = x
    decoder_in = Input((target_length,), name="decoder_in", dtype="int32")
    y = TokenAndPositionEmbedding(target_vocab_size, target_length, embedding_dim, name="target_embedding")(decoder_in)
    for i in range(num_layers):
        decoders.append(TransformerDecoder(intermediate_dim, num_heads, dropout=dropout, name=f"decoder_{i + 1}"))
        y = decoders[-1]([y, encoded])
    model = Model([source, decoder_in], Dense(target_vocab_size, activation="softmax", name="output")(y))
    return model, {"encoder": encoders, "decoder": decoders}


def build_classifier(vocab_size, sequence_length, embedding_dim=32, num_heads=2, intermediate_dim=32,
                     dropout=0.1):
    """Keras's text-classification-with-Transformer layout: one encoder block, mean-pooled, a sigmoid.

        ids -> TokenAndPositionEmbedding(mask_zero) -> TransformerEncoder -> GlobalAveragePooling1D
        (padding left out) -> Dropout -> Dense(1, sigmoid)

    Returns:
        ``(model, encoder_block)``.
    """
    ids = Input((sequence_length,), name="words", dtype="int32")
    x = TokenAndPositionEmbedding(vocab_size, sequence_length, embedding_dim, mask_zero=True,
                                  name="embedding")(ids)
    block = TransformerEncoder(intermediate_dim, num_heads, dropout=dropout, name="encoder")
    x = Dropout(dropout)(GlobalAveragePooling1D()(block(x)))
    return Model(ids, Dense(1, activation="sigmoid", name="prediction")(x)), block


class WordAttention:
    """The attention each word receives in a classifier's encoder block, as one weight per word.

    ``predict(x)`` gives (n, T): the self-attention weights averaged over the
    heads and over the real (unpadded) query words, so each row sums to 1
    over the real words, like a pooling layer's weights. A summary for
    plots: a block's attention is (heads, T, T), and this average hides
    which word attends where.
    """

    def __init__(self, model, block):
        self.model, self.block = model, block

    def predict(self, x, batch_size=256):
        rows = []
        for start in range(0, len(x), batch_size):
            batch = np.asarray(x[start:start + batch_size])
            real = batch != 0                                                    # (n, T)
            scores = attention_maps(self.model, self.block, [batch], mask=real)
            weights = next(iter(scores.values())).mean(axis=1)                  # (n, Tq, Tk)
            rows.append(np.sum(weights * real[:, :, None], axis=1) / np.maximum(real.sum(1), 1)[:, None])
        return np.concatenate(rows)


def attention_maps(model, block, inputs, mask=None):
    """The attention weights of ``block`` (a Transformer block inside ``model``) on ``inputs``.

    Runs the part of ``model`` below the block to get the block's input(s),
    then ``block.attention_scores`` (inference, no dropout).

    Args:
        model: the trained Model containing ``block`` (called once).
        inputs: the list of arrays ``model`` takes.
        mask: the block's input mask(s), as the model would pass them
            (e.g. ``source != 0`` for an encoder over ``mask_zero`` ids).

    Returns:
        ``{"self_attention...": (n, heads, T, T)[, "cross_attention": (n, heads, T, Tx)]}``.
    """
    node = block.inbound_nodes[0]
    below = Model(model.inputs, node.inputs if node.takes_list else node.inputs[0])
    xs = below.apply(below.params, *inputs)
    return block.attention_scores(block.params, xs, mask=mask)


def greedy_translate(model, x, target_length, batch_size=256):
    """Decode ``x`` (n, Tx) one token at a time, feeding back the most likely token.

    The decoder is causal, so the output at step t depends only on decoder
    inputs 0..t: each step reruns the model on the prefix decoded so far
    (zeros after it) and reads step t. No cache: Ty full passes.

    Returns:
        ``(tokens (n, Ty), decoder_in (n, Ty))``: the decoded ids, and the
        decoder input that produced them (start token + tokens[:, :-1]).
    """
    tokens, inputs = [], []
    for start in range(0, len(x), batch_size):
        batch = np.asarray(x[start:start + batch_size])
        decoder_in = np.zeros((len(batch), target_length), dtype=np.int64)
        decoder_in[:, 0] = START
        out = np.zeros_like(decoder_in)
        for t in range(target_length):
            probs = model.apply(model.params, batch, decoder_in)               # (n, Ty, vocab)
            out[:, t] = np.argmax(probs[:, t], axis=-1)
            if t + 1 < target_length:
                decoder_in[:, t + 1] = out[:, t]
        tokens.append(out)
        inputs.append(decoder_in)
    return np.concatenate(tokens), np.concatenate(inputs)


def sample_text(model, prompt_ids, length, temperature=1.0, top_k=None, seed=0, cache=True, slide=None):
    """Continue ``prompt_ids`` by ``length`` ids sampled from a ``build_gpt`` model (temperature, top-k).

    The context is the last ``sequence_length`` ids at most. Each step's
    next-id distribution is sharpened by ``p ** (1 / temperature)``, cut to
    the ``top_k`` most likely ids (``top_k=1``: greedy decoding), and one id
    is drawn. When the context is full, it drops its oldest ``slide`` ids
    before taking the new one, and the model starts again on what is left
    (learned positions: the kept ids move to new positions).

    Args:
        cache: run only each new id, keeping every block's keys and values
            (``minattn.kv_cache.CachedGPT``); False reruns the model on the
            whole context at every step (``FullRecompute``). The same ids,
            to float rounding, either way.
        slide: ids dropped when the window is full, 1 to ``sequence_length``
            (default a quarter of it). ``slide=1`` keeps the last
            ``sequence_length`` ids at every step, but then the cache is
            refilled at every step too.

    Returns:
        The sampled ids (length,).
    """
    if temperature <= 0:
        raise ValueError(f"sample_text: temperature must be > 0, got {temperature}")
    predictor = CachedGPT(model) if cache else FullRecompute(model)
    window = predictor.window
    slide = max(1, window // 4) if slide is None else slide
    if not 1 <= slide <= window:
        raise ValueError(f"sample_text: slide must be in [1, {window}], got {slide}")
    rng = np.random.default_rng(seed)
    context = [int(i) for i in prompt_ids][-window:]
    p = predictor.restart(context)
    sampled = []
    for _ in range(length):
        sampled.append(draw(p, temperature, top_k, rng))
        if len(context) == window:
            context = context[slide:] + sampled[-1:]
            p = predictor.restart(context)
        else:
            context.append(sampled[-1])
            p = predictor.extend(sampled[-1])
    return np.array(sampled)


def draw(probabilities, temperature, top_k, rng):
    """One id from ``probabilities`` (vocab,) sharpened by ``1 / temperature`` and cut to ``top_k``; never padding (0)."""
    p = np.asarray(probabilities, dtype=np.float64).copy()
    p[0] = 0.0
    logp = np.log(np.maximum(p, 1e-300)) / temperature
    if top_k is not None:
        logp[np.argsort(logp)[:-top_k]] = -np.inf
    p = np.exp(logp - logp.max())
    return int(rng.choice(len(p), p=p / p.sum()))
