"""Encoder-decoder translation with attention: the model, its loss, greedy decoding.

    model, encoder, parts = build_translation_model(src_vocab, tgt_vocab, source_length, target_length)
    model.compile("adam", loss=masked_sparse_categorical_crossentropy)
    model.fit([x, decoder_in], y)                                   # teacher forcing
    tokens, weights = greedy_decode(encoder, parts, x, target_length)   # inference

Training feeds the decoder the true previous token at every step (teacher
forcing, ``AttentionDecoder.apply``). Decoding feeds it its own previous
output, one step at a time, with the very same ``AttentionDecoder.step``.
"""
import numpy as np

from .layers import LSTM, Bidirectional, Concatenate, Embedding
from .layers.decoder import AttentionDecoder
from .layers.input_layer import Input
from .losses import masked_sparse_categorical_crossentropy  # noqa: F401  (the loss of these models; defined with the others)
from .model import Model
from .datasets.dates import START


def build_translation_model(source_vocab_size, target_vocab_size, source_length, target_length,
                            embedding_dim=16, encoder_units=32, score="additive", attention="global",
                            window=3):
    """BiLSTM encoder + ``AttentionDecoder``.

    Returns:
        ``(model, encoder, parts)``: ``model`` maps ``[x, decoder_in]`` to
        the probabilities (Ty, vocab) (teacher forcing); ``parts["attention"]``
        is a Model over the same layers giving the weights (Ty, Tx);
        ``encoder`` maps ``x`` to ``[encoder_outputs, h0, c0]``; ``parts`` has
        the layers greedy decoding needs (``embedding``, ``decoder``).
        The decoder has ``2 * encoder_units`` units: it starts from the
        concatenated final states of the two directions.
    """
    source = Input((source_length,), name="source", dtype="int32")
    embedded = Embedding(source_vocab_size, embedding_dim, mask_zero=True, name="source_embedding")(source)
    encoded, h_f, c_f, h_b, c_b = Bidirectional(
        LSTM(encoder_units, return_sequences=True, return_state=True), name="encoder")(embedded)
    h0 = Concatenate(name="encoder_h")([h_f, h_b])                          # (2 units,)
    c0 = Concatenate(name="encoder_c")([c_f, c_b])
    decoder_in = Input((target_length,), name="decoder_in", dtype="int32")
    target_embedding = Embedding(target_vocab_size, embedding_dim, name="target_embedding")
    decoder = AttentionDecoder(2 * encoder_units, target_vocab_size, score=score, attention=attention,
                               window=window, return_attention=True, name="decoder")
    probs, weights = decoder([target_embedding(decoder_in), encoded, h0, c0])
    model = Model([source, decoder_in], probs)
    encoder = Model(source, [encoded, h0, c0])
    attention = Model([source, decoder_in], weights)
    return model, encoder, {"embedding": target_embedding, "decoder": decoder, "attention": attention}


def _last_allowed(allowed):
    """Index of the last True per row of (batch, Tx)."""
    return allowed.shape[1] - 1 - np.argmax(allowed[:, ::-1], axis=1)


def greedy_decode(encoder, parts, x, max_len, monotonic=False, batch_size=256):
    """Decode ``x`` (n, Tx) token by token, feeding back the most likely token.

    Args:
        encoder: a Model ``x -> [encoder_outputs, h0, c0]``.
        parts: ``{"embedding": target Embedding, "decoder": AttentionDecoder}``.
        max_len: steps to decode (the end token stops nothing; ``decode`` cuts there).
        monotonic: forced-forward attention: step t may not attend to source
            positions before the argmax of step t-1's weights.

    Returns:
        ``(tokens (n, max_len) ints, weights (n, max_len, Tx))``.
    """
    tokens, weights = [], []
    for start in range(0, len(x), batch_size):
        t, w = _greedy_batch(encoder, parts, np.asarray(x[start:start + batch_size]), max_len, monotonic)
        tokens.append(t)
        weights.append(w)
    return np.concatenate(tokens), np.concatenate(weights)


def _greedy_batch(encoder, parts, x, max_len, monotonic):
    decoder, table = parts["decoder"], parts["embedding"].params["embeddings"]
    encoded, h0, c0 = encoder.apply(encoder.params, x)
    source_mask = x != 0                                                      # (batch, Tx)
    states = decoder.initial_states(encoded, h0, c0)
    previous = np.full(len(x), START)
    floor = np.zeros(len(x), dtype=int)                                       # earliest allowed position
    tokens, weights = [], []
    positions = np.arange(x.shape[1])[None, :]
    for _ in range(max_len):
        allowed = source_mask & (positions >= floor[:, None]) if monotonic else source_mask
        probs, states, a = decoder.step(decoder.params, table[previous], states, encoded, allowed)
        previous = np.argmax(probs, axis=-1)
        if monotonic:
            floor = np.minimum(np.argmax(a, axis=-1), _last_allowed(source_mask))
        tokens.append(previous)
        weights.append(a)
    return np.stack(tokens, axis=1), np.stack(weights, axis=1)


def exact_match(tokens, targets, vocab):
    """Share of rows of ``tokens`` that decode to exactly the target string."""
    return float(np.mean([vocab.decode(row) == target for row, target in zip(tokens, targets)]))
