"""Masks are checked against their tensors where they enter a layer (``Layer.forward``).

A mask of the wrong shape, rank, count or values is a ValueError naming the
layer, the mask's shape and the expected (batch, time) -- never a raw
broadcast or IndexError, never silently broadcast or ignored -- on the fast
path and under ``minattn.traced()`` alike.
"""
import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.model import run_layer
from minattn.layers import (GRU, LSTM, Add, Attention, AttentionDecoder, AttentionPooling, AttentionWithContext,
                            Bidirectional, Embedding, GlobalAveragePooling1D, KeyValueAttention, MultiHeadAttention,
                            StructuredSelfAttention)

BATCH, TQ, TK = 3, 4, 5
RNG = np.random.default_rng(7)
SEQ = RNG.normal(size=(BATCH, TK, 4))                   # one sequence input
QUERY = RNG.normal(size=(BATCH, TQ, 4))
KEYS_OK = np.arange(TK) < np.array([[5], [3], [1]])     # (batch, TK), True at the real steps

# name -> (layer, input, a mask that fits, where in the input list the sequence mask goes or None)
LAYERS = {
    "Attention": (lambda: Attention(), [QUERY, SEQ], [None, KEYS_OK]),
    "MultiHeadAttention": (lambda: MultiHeadAttention(2, 3), [QUERY, SEQ], [None, KEYS_OK]),
    "StructuredSelfAttention": (lambda: StructuredSelfAttention(3, r=2), SEQ, KEYS_OK),
    "KeyValueAttention": (lambda: KeyValueAttention(2), SEQ, KEYS_OK),
    "AttentionWithContext": (lambda: AttentionWithContext(), SEQ, KEYS_OK),
    "AttentionPooling": (lambda: AttentionPooling(), SEQ, KEYS_OK),
    "GlobalAveragePooling1D": (lambda: GlobalAveragePooling1D(), SEQ, KEYS_OK),
    "LSTM": (lambda: LSTM(3, return_sequences=True), SEQ, KEYS_OK),
    "GRU": (lambda: GRU(3), SEQ, KEYS_OK),
    "Bidirectional": (lambda: Bidirectional(LSTM(2, return_sequences=True)), SEQ, KEYS_OK),
    "AttentionDecoder": (lambda: AttentionDecoder(3, 6), [QUERY, SEQ], [None, KEYS_OK]),
}


def built(name):
    make, x, good = LAYERS[name]
    layer = make()
    layer(x)
    return layer, x, good


def with_sequence_mask(good, bad):
    """``good`` with the sequence's mask replaced by ``bad`` (in its list if the layer takes a list)."""
    return [good[0], bad] if isinstance(good, list) else bad


BAD_MASKS = {
    "too few steps": np.ones((BATCH, TK - 1), bool),
    "wrong batch": np.ones((BATCH + 1, TK), bool),
    "rank 1": np.ones((TK,), bool),
    "rank 3": np.ones((BATCH, TK, 1), bool),
    "the input's shape": np.ones((BATCH, TK, 4), bool),
}


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "traced"])
@pytest.mark.parametrize("bad", list(BAD_MASKS), ids=list(BAD_MASKS))
@pytest.mark.parametrize("name", list(LAYERS))
def test_a_mask_of_the_wrong_shape_is_a_clear_error(name, bad, fast):
    layer, x, good = built(name)
    mask = BAD_MASKS[bad]
    minattn.set_fused(fast)
    try:
        with pytest.raises(ValueError) as info:
            run_layer(layer, layer.params, x, mask=with_sequence_mask(good, mask))    # as the graph runs it
    finally:
        minattn.set_fused(True)
    message = str(info.value)
    assert message.startswith(f"{type(layer).__name__} '{layer.name}'")
    assert f"has shape {mask.shape}" in message and f"expected (batch, time) = {(BATCH, TK)}" in message


@pytest.mark.parametrize("values", [np.full((BATCH, TK), 2), np.full((BATCH, TK), 0.5), np.full((BATCH, TK), "y"),
                                    np.full((BATCH, TK), 1 + 0j)], ids=["int 2", "float 0.5", "strings", "complex"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_a_mask_must_hold_booleans_or_zeros_and_ones(name, values):
    layer, x, good = built(name)
    with pytest.raises(ValueError, match="must hold booleans") as info:
        layer.forward(layer.params, x, mask=with_sequence_mask(good, values))
    assert layer.name in str(info.value)


@pytest.mark.parametrize("name", list(LAYERS))
def test_a_zero_one_mask_gives_what_the_boolean_mask_gives(name):
    layer, x, good = built(name)
    as_ints = with_sequence_mask(good, KEYS_OK.astype(np.int8))
    expected = layer.forward(layer.params, x, mask=good)
    np.testing.assert_array_equal(layer.forward(layer.params, x, mask=as_ints), expected)


@pytest.mark.parametrize("name", ["Attention", "MultiHeadAttention", "AttentionDecoder"])
def test_a_list_input_needs_one_mask_per_input(name):
    layer, x, good = built(name)
    with pytest.raises(ValueError, match="expected a list with one mask"):
        layer.forward(layer.params, x, mask=KEYS_OK)          # was silently ignored
    with pytest.raises(ValueError, match="got 3 masks for 2 inputs"):
        layer.forward(layer.params, x, mask=[None, KEYS_OK, None])


def test_a_recurrent_layer_with_states_takes_the_sequence_mask_alone():
    layer = LSTM(2)
    h0 = c0 = np.zeros((BATCH, 2))
    layer([SEQ, h0, c0])
    one = layer.forward(layer.params, [SEQ, h0, c0], mask=KEYS_OK)
    np.testing.assert_array_equal(one, layer.forward(layer.params, [SEQ, h0, c0], mask=[KEYS_OK, None, None]))
    with pytest.raises(ValueError, match="has shape"):
        layer.forward(layer.params, [SEQ, h0, c0], mask=KEYS_OK[:, :2])


def test_merging_layers_check_each_input_mask():
    add = Add()
    with pytest.raises(ValueError, match=r"Add '.*': the mask of input 1 has shape \(3, 4\)"):
        add.compute_mask([SEQ, SEQ], [KEYS_OK, KEYS_OK[:, :4]])
    np.testing.assert_array_equal(add.compute_mask([SEQ, SEQ], [KEYS_OK, None]), KEYS_OK)


def test_masks_from_embedding_still_flow_through_a_model():
    tokens = Input((None,), dtype="int32")
    embedded = Embedding(10, 4, mask_zero=True)(tokens)
    model = Model(tokens, AttentionPooling()(LSTM(3, return_sequences=True)(embedded)))
    padded = model.predict(np.array([[1, 2, 3, 0, 0], [4, 0, 0, 0, 0], [5, 6, 7, 8, 9]]))
    np.testing.assert_allclose(padded[0], model.predict(np.array([[1, 2, 3]]))[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(padded[1], model.predict(np.array([[4]]))[0], rtol=1e-5, atol=1e-6)


def test_hard_attention_over_a_fully_masked_source_gives_zero_weights_as_soft_attention_does():
    layer = AttentionDecoder(3, 6, attention="hard", return_attention=True)
    layer([QUERY, SEQ])
    source_mask = KEYS_OK.copy()
    source_mask[1] = False                                  # sample 1: every source step is padding
    _, weights = layer.forward(layer.params, [QUERY, SEQ], mask=[None, source_mask])   # (batch, Ty, Tx)
    assert np.all(weights[1] == 0.0)                        # was one-hot on padded step 0
    assert np.all(weights[~np.broadcast_to(source_mask[:, None, :], weights.shape)] == 0.0)
    np.testing.assert_array_equal(weights[[0, 2]].sum(axis=-1), 1.0)
