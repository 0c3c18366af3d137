"""keras_hub's call arguments of the Transformer blocks, and Keras's ``initial_state`` of the recurrent
layers: honoured on arrays and in a graph with the same numbers, or refused by name (issue 24)."""
import numpy as np
import pytest

from minattn import Input, Model
from minattn.layers import GRU, LSTM, Bidirectional, TransformerDecoder, TransformerEncoder

from call_helpers import NO_MASK, in_model

PADDING = np.array([[True, True, True, True, False, False], [True, True, True, True, True, True]])


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def twin(layer, fresh, inputs):
    """``fresh`` built for ``inputs`` with ``layer``'s weights (a layer called on arrays keeps their shape)."""
    fresh(inputs)
    fresh.set_weights(layer.get_weights())
    return fresh


X, ENCODED = rand(2, 6, 8), rand(2, 5, 8, seed=1)
ENCODER_PADDING = np.array([[True, True, True, False, False], [True] * 5])


# -- TransformerEncoder ----------------------------------------------------------------------------
def test_encoder_padding_mask_and_attention_mask(float64):
    layer = TransformerEncoder(16, 2)
    out, weights = layer(X, padding_mask=PADDING, return_attention_scores=True)      # (batch, H, T, T)
    assert weights.shape == (2, 2, 6, 6)
    assert np.all(weights[np.broadcast_to(~PADDING[:, None, None, :], weights.shape)] == 0.0)
    allowed = np.random.default_rng(2).random((2, 6, 6)) > 0.5
    allowed[:, :, 0] = True
    masked = layer(X, attention_mask=allowed)
    assert np.abs(masked - layer(X)).max() > 1e-3
    _, masked_weights = layer(X, attention_mask=allowed, return_attention_scores=True)
    assert np.all(masked_weights[np.broadcast_to(~allowed[:, None], masked_weights.shape)] == 0.0)
    graph = in_model(layer, X, padding_mask=PADDING, attention_mask=allowed, return_attention_scores=True)
    expected = layer(X, padding_mask=PADDING, attention_mask=allowed, return_attention_scores=True)
    for got, want in zip(graph, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_encoder_takes_keras_hub_names_only(float64):
    layer = TransformerEncoder(16, 2)
    with pytest.raises(TypeError, match=r"TransformerEncoder 'transformer_encoder_1': unexpected call "
                                        r"argument 'mask'"):
        layer(X, mask=PADDING)
    with pytest.raises(TypeError, match="unexpected call argument 'use_causal_mask'"):
        layer(X, use_causal_mask=True)


def test_encoder_dropout_follows_training():
    layer = TransformerEncoder(16, 2, dropout=0.3)
    x = X.astype("float32")
    assert np.abs(layer(x, training=True) - layer(x)).max() > 1e-3
    np.testing.assert_array_equal(layer(x, training=False), layer(x))
    np.testing.assert_allclose(in_model(layer, x, run_training=True, training=False), layer(x), rtol=1e-5, atol=1e-6)   # float32: the record vs apply
    assert np.abs(in_model(layer, x, training=True) - layer(x)).max() > 1e-3      # in predict's mode


# -- TransformerDecoder -----------------------------------------------------------------------------
def test_decoder_takes_the_encoder_sequence_as_its_second_argument(float64):
    layer = TransformerDecoder(16, 2)
    listed = layer([X, ENCODED])
    np.testing.assert_array_equal(layer(X, ENCODED), listed)
    np.testing.assert_array_equal(layer(X, encoder_sequence=ENCODED), listed)
    np.testing.assert_array_equal(layer(decoder_sequence=X, encoder_sequence=ENCODED), listed)
    np.testing.assert_allclose(in_model(layer, X, encoder_sequence=ENCODED), listed, rtol=1e-12)
    alone = TransformerDecoder(16, 2)
    np.testing.assert_array_equal(alone(X, None), alone(X))               # encoder_sequence=None: decoder only


def test_decoder_masks_and_use_causal_mask(float64):
    layer = TransformerDecoder(16, 2)
    plain = layer(X, ENCODED)
    assert np.abs(layer(X, ENCODED, use_causal_mask=False) - plain).max() > 1e-3
    short = twin(layer, TransformerDecoder(16, 2), [X[:, :3], ENCODED])
    np.testing.assert_allclose(short(X[:, :3], ENCODED), plain[:, :3], rtol=1e-12)   # causal: i ignores j > i
    assert np.abs(short(X[:, :3], ENCODED, use_causal_mask=False)
                  - layer(X, ENCODED, use_causal_mask=False)[:, :3]).max() > 1e-3
    padded = layer(X, ENCODED, encoder_padding_mask=ENCODER_PADDING)
    changed = ENCODED.copy()
    changed[0, 3:] += 5.0                                                  # only padded encoder steps change
    np.testing.assert_allclose(layer(X, changed, encoder_padding_mask=ENCODER_PADDING), padded, rtol=1e-12)
    self_allowed = np.tril(np.ones((2, 6, 6), bool)) & (np.random.default_rng(4).random((2, 6, 6)) > 0.3)
    self_allowed[:, :, 0] = True
    cross_allowed = np.random.default_rng(5).random((2, 6, 5)) > 0.5
    cross_allowed[:, :, 0] = True
    call = dict(decoder_padding_mask=PADDING, decoder_attention_mask=self_allowed,
                encoder_padding_mask=ENCODER_PADDING, encoder_attention_mask=cross_allowed, use_causal_mask=True)
    eager = layer(X, ENCODED, **call)
    assert np.abs(eager - layer(X, ENCODED, decoder_padding_mask=PADDING,
                                encoder_padding_mask=ENCODER_PADDING)).max() > 1e-3
    np.testing.assert_allclose(in_model(layer, X, encoder_sequence=ENCODED, **call), eager, rtol=1e-12)


def test_decoder_refuses_a_cache_by_name():
    with pytest.raises(ValueError, match=r"TransformerDecoder 'transformer_decoder_1': call argument "
                                         r"'self_attention_cache' is not supported: minattn has no key/value cache"):
        TransformerDecoder(16, 2)(X, self_attention_cache=np.zeros((2, 2, 6, 2, 4)))
    with pytest.raises(TypeError, match="unexpected call argument 'padding_mask'"):
        TransformerDecoder(16, 2)(X, padding_mask=PADDING)


@pytest.mark.parametrize("make, call", [(lambda: TransformerEncoder(16, 2), {"padding_mask": PADDING}),
                                        (lambda: TransformerDecoder(16, 2), {"decoder_padding_mask": PADDING})])
def test_a_padding_argument_does_not_become_the_output_mask(make, call, float64):
    _, masks = in_model(make(), X, probe_masks=True, **call)           # keras_hub: the input's mask goes on
    np.testing.assert_array_equal(masks[0], NO_MASK)


# -- recurrent layers -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, count", [(lambda: LSTM(3, return_sequences=True), 2), (lambda: GRU(3), 1),
                                         (lambda: Bidirectional(LSTM(3)), 4)])
def test_initial_state_is_the_list_form_on_arrays_and_in_a_graph(make, count, float64):
    x = rand(2, 5, 4)
    states = [rand(2, 3, seed=10 + i) for i in range(count)]
    layer = make()
    given = layer(x, initial_state=states)
    np.testing.assert_array_equal(layer([x] + states), given)
    assert np.abs(given - twin(layer, make(), x)(x)).max() > 1e-3         # the state mattered
    np.testing.assert_allclose(in_model(layer, x, initial_state=states), given, rtol=1e-12)
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    masked = layer(x, initial_state=states, mask=mask)
    np.testing.assert_allclose(in_model(layer, x, initial_state=states, mask=mask), masked, rtol=1e-12)


def test_a_graph_initial_state_makes_a_model_input():
    x, h, c = Input((5, 4)), Input((3,)), Input((3,))
    out = LSTM(3)(x, initial_state=[h, c])
    assert len(out.node.inputs) == 3
    Model([x, h, c], out)                                                    # every tensor it needs is an input
