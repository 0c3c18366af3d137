"""Keras's call arguments, layer by layer: honoured on arrays and in a graph with the same numbers,
with a real effect, or refused by name (issue 24). The Transformer blocks' and the recurrent
layers' arguments are in ``test_call_arguments_blocks.py``; the random search in
``test_properties_calls.py``."""
import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.layers.calls import accepted_keywords
from minattn.layers import (Attention, Dense, Dropout, Embedding, GlobalAveragePooling1D, Lambda,
                            MultiHeadAttention, SinePositionEncoding, TokenAndPositionEmbedding)
from minattn.optimizers import SGD

from call_helpers import NO_MASK, in_model

KEY_MASK = np.array([[True, True, True, False, False], [True, True, True, True, False]])
QUERY_MASK = np.array([[True, True, True, False], [True, False, True, True]])


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


Q, V, K = rand(2, 4, 3), rand(2, 5, 3, seed=1), rand(2, 5, 3, seed=2)


# -- refused by name ----------------------------------------------------------------------------
@pytest.mark.parametrize("make, inputs", [
    (lambda: Dense(2), Q), (lambda: Dropout(0.5), Q), (lambda: Attention(), [Q, V]),
    (lambda: MultiHeadAttention(2, 4), [Q, V]), (lambda: GlobalAveragePooling1D(), Q)])
def test_an_unknown_keyword_is_a_type_error_naming_the_layer_and_the_argument(make, inputs):
    layer = make()
    with pytest.raises(TypeError, match=rf"{type(layer).__name__} '{layer.name}': unexpected call "
                                        r"argument 'use_casual_mask'"):
        layer(inputs, use_casual_mask=True)
    tensors = [Input(a.shape[1:]) for a in inputs] if isinstance(inputs, list) else Input(inputs.shape[1:])
    with pytest.raises(TypeError, match="unexpected call argument 'use_casual_mask'"):
        layer(tensors, use_casual_mask=True)
    assert not layer.inbound_nodes                     # nothing recorded


def test_keras_refuses_mask_where_the_call_takes_none_and_so_do_we():
    with pytest.raises(TypeError, match=r"Dense 'dense_1': unexpected call argument 'mask'"):
        Dense(2)(Q, mask=QUERY_MASK)
    with pytest.raises(TypeError, match=r"unexpected call argument 'mask'.*'query_mask', 'value_mask'"):
        MultiHeadAttention(2, 4)([Q, V], mask=[None, KEY_MASK])    # Keras 3's MHA names each mask


def test_training_is_accepted_by_every_layer_and_must_be_a_bool():
    layer = Dense(2)                                  # Keras's Dense takes training and has no use for it
    np.testing.assert_array_equal(layer(Q, training=True), layer(Q))
    with pytest.raises(TypeError, match=r"Dropout 'dropout_1': call argument 'training' must be True, "
                                        r"False or None, got 'yes'"):
        Dropout(0.5)(Q, training="yes")


def test_inputs_given_both_as_a_list_and_apart_are_refused():
    with pytest.raises(TypeError, match=r"got 'query' as a list and 'value' as well"):
        MultiHeadAttention(2, 4)([Q, V], V)
    with pytest.raises(TypeError, match=r"'key' is given but 'value' is not"):
        MultiHeadAttention(2, 4)(Q, key=K)
    with pytest.raises(TypeError, match=r"takes 1 positional input\(s\) \(inputs\), got 2"):
        Dense(2)(Q, Q)


def test_a_symbolic_call_refuses_an_array_mask_and_an_eager_call_a_symbolic_one():
    with pytest.raises(TypeError, match=r"Attention 'attention_1': call argument 'mask' holds an array, "
                                        r"but the layer is called on symbolic tensors"):
        Attention()([Input((4, 3)), Input((5, 3))], mask=[None, KEY_MASK])
    with pytest.raises(TypeError, match=r"call argument 'mask' is a symbolic tensor but the inputs are arrays"):
        Attention()([Q, V], mask=[None, Input((5,))])


# -- masks ------------------------------------------------------------------------------------------
def test_attention_mask_is_applied_eagerly_and_in_a_graph(float64):
    layer = Attention()
    context, weights = layer([Q, V], mask=[QUERY_MASK, KEY_MASK], return_attention_scores=True)
    assert np.all(weights[~np.broadcast_to(KEY_MASK[:, None, :], weights.shape)] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    assert np.abs(context - layer([Q, V])).max() > 1e-3               # the mask changed the output
    assert np.all(context[~QUERY_MASK] == 0.0)
    (graph_context, graph_weights), masks = in_model(layer, [Q, V], probe_masks=True,
                                                      mask=[QUERY_MASK, KEY_MASK], return_attention_scores=True)
    np.testing.assert_allclose(graph_context, context, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(graph_weights, weights, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(masks[0], QUERY_MASK)              # the given query mask goes on
    np.testing.assert_array_equal(masks[1], NO_MASK)                 # the weights carry none


def test_a_given_mask_replaces_the_propagated_one(float64):
    ids = np.array([[3, 1, 2, 0, 0], [2, 2, 0, 0, 0]])            # mask_zero would hide the zeros
    given = np.ones((2, 5), bool)
    tokens = Input((5,))
    embedded = Embedding(5, 3, mask_zero=True, name="embedding")(tokens)
    own = GlobalAveragePooling1D()(embedded)
    overridden = GlobalAveragePooling1D()(embedded, mask=Input((5,), name="given"))
    model = Model([tokens, overridden.node.inputs[1]], [own, overridden])
    own_value, overridden_value = model.apply(model.params, ids, given)
    vectors = model.get_layer("embedding").params["embeddings"][ids]
    np.testing.assert_allclose(own_value, GlobalAveragePooling1D()(vectors, mask=ids != 0), rtol=1e-12)
    np.testing.assert_allclose(overridden_value, vectors.mean(axis=1), rtol=1e-12)


def test_a_mask_tensor_computed_in_the_graph_is_run_before_the_layer(float64):
    x = Input((5, 3))
    mask = Lambda(lambda t: t[:, :, 0] > 0)(x)                      # a mask made from the data itself
    model = Model(x, GlobalAveragePooling1D()(x, mask=mask))
    expected = GlobalAveragePooling1D()(V, mask=V[:, :, 0] > 0)
    np.testing.assert_allclose(model.apply(model.params, V), expected, rtol=1e-12)


# -- causal masks, attention masks, per-input masks ------------------------------------------------
@pytest.mark.parametrize("make", [lambda: Attention(), lambda: MultiHeadAttention(2, 4)])
def test_use_causal_mask_zeroes_the_weights_above_the_diagonal(make, float64):
    layer, x = make(), rand(2, 5, 3, seed=4)
    out, weights = layer([x, x], use_causal_mask=True, return_attention_scores=True)
    above = np.triu(np.ones((5, 5), bool), k=1)
    assert np.all(weights[..., above] == 0.0) and np.all(weights[..., ~above] > 0.0)
    assert np.abs(out - layer([x, x])).max() > 1e-3
    causal = type(layer)(**({"causal": True} if isinstance(layer, Attention) else
                            {"num_heads": 2, "key_dim": 4, "causal": True}))
    causal([x, x])
    causal.set_weights(layer.get_weights())
    np.testing.assert_allclose(causal([x, x]), out, rtol=1e-12)          # the constructor's shorthand
    np.testing.assert_allclose(causal([x, x], use_causal_mask=False), layer([x, x]), rtol=1e-12)
    graph = in_model(layer, [x, x], use_causal_mask=True, return_attention_scores=True)
    np.testing.assert_allclose(graph[0], out, rtol=1e-12)
    np.testing.assert_allclose(graph[1], weights, rtol=1e-12)


def test_multi_head_attention_takes_query_value_key_apart_as_keras_does(float64):
    layer, with_key = MultiHeadAttention(2, 4), MultiHeadAttention(2, 4)
    np.testing.assert_array_equal(layer(Q, V), layer([Q, V]))
    np.testing.assert_array_equal(with_key(Q, V, K), with_key([Q, V, K]))
    np.testing.assert_array_equal(with_key(query=Q, value=V, key=K), with_key([Q, V, K]))
    np.testing.assert_allclose(in_model(with_key, Q, value=V, key=K), with_key(Q, V, K), rtol=1e-12)
    np.testing.assert_allclose(in_model(layer, Q, value=V), layer(Q, V), rtol=1e-12)


def test_multi_head_attention_key_and_query_masks(float64):
    layer = MultiHeadAttention(2, 4)
    out, weights = layer(Q, V, key_mask=KEY_MASK, return_attention_scores=True)   # (batch, H, Tq, Tk)
    assert np.all(weights[np.broadcast_to(~KEY_MASK[:, None, None, :], weights.shape)] == 0.0)
    np.testing.assert_array_equal(layer(Q, V, value_mask=KEY_MASK), out)         # key defaults to the value
    queried = layer(Q, V, query_mask=QUERY_MASK)
    assert np.all(queried[~QUERY_MASK] == 0.0) and np.abs(queried[QUERY_MASK] - layer(Q, V)[QUERY_MASK]).max() == 0
    (graph, graph_weights), masks = in_model(layer, Q, value=V, probe_masks=True, query_mask=QUERY_MASK,
                                             key_mask=KEY_MASK, return_attention_scores=True)
    np.testing.assert_allclose(graph, layer(Q, V, query_mask=QUERY_MASK, key_mask=KEY_MASK), rtol=1e-12)
    np.testing.assert_allclose(graph_weights, weights, rtol=1e-12)
    np.testing.assert_array_equal(masks[0], QUERY_MASK)


def test_multi_head_attention_mask_gives_zero_weight_where_false(float64):
    layer = MultiHeadAttention(2, 4)
    allowed = np.random.default_rng(3).random((2, 4, 5)) > 0.4
    allowed[:, :, 0] = True
    _, weights = layer(Q, V, attention_mask=allowed, return_attention_scores=True)
    assert np.all(weights[np.broadcast_to(~allowed[:, None], weights.shape)] == 0.0)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-12)
    graph = in_model(layer, Q, value=V, attention_mask=allowed)
    np.testing.assert_allclose(graph, layer(Q, V, attention_mask=allowed), rtol=1e-12)
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'multi_head_attention_1': attention_mask has "
                                         r"shape \(4, 5\); expected \(batch, Tq, Tk\) = \(2, 4, 5\)"):
        layer(Q, V, attention_mask=allowed[0])


def test_return_attention_scores_false_at_the_call_overrides_the_constructor(float64):
    layer = Attention(return_attention_scores=True)
    both = layer([Q, V])
    np.testing.assert_array_equal(layer([Q, V], return_attention_scores=False), both[0])
    single = layer([Input((4, 3)), Input((5, 3))], return_attention_scores=False)
    assert single.shape == (4, 3)


# -- training -------------------------------------------------------------------------------------
def test_dropout_training_true_drops_units_eagerly_and_in_predict():
    x = np.ones((4, 50), "float32")
    dropped = Dropout(0.5)(x, training=True)
    assert 0.3 < np.mean(dropped == 0) < 0.7 and set(np.unique(dropped)) == {0.0, 2.0}
    np.testing.assert_array_equal(Dropout(0.5)(x), x)
    inputs = Input((50,))
    model = Model(inputs, Dropout(0.5)(inputs, training=True))
    predicted = model.predict(x)
    assert 0.3 < np.mean(predicted == 0) < 0.7                       # training=True holds in predict


@pytest.mark.parametrize("fused", [True, False])
def test_dropout_training_false_keeps_every_unit_inside_fit(fused):
    minattn.set_fused(fused)
    x, y = rand(16, 6, seed=5).astype("float32"), rand(16, 1, seed=6).astype("float32")

    def trained(with_dropout):
        minattn.set_random_seed(0)
        inputs = Input((6,))
        h = Dropout(0.9)(inputs, training=False) if with_dropout else inputs
        model = Model(inputs, Dense(1, name="out")(h))
        model.compile(optimizer=SGD(0.1), loss="mse")
        model.fit(x, y, epochs=2, batch_size=4, shuffle=False, verbose=0)
        return model.get_layer("out").get_weights()

    for kept, plain in zip(trained(True), trained(False)):
        np.testing.assert_array_equal(kept, plain)                    # as if the layer were not there


def test_multi_head_attention_dropout_follows_training():
    layer = MultiHeadAttention(2, 4, dropout=0.5)
    x = rand(2, 6, 3).astype("float32")
    assert np.abs(layer(x, x, training=True) - layer(x, x)).max() > 1e-3
    np.testing.assert_array_equal(layer(x, x, training=False), layer(x, x))


# -- other layers ---------------------------------------------------------------------------------
def test_global_average_pooling_mask(float64):
    layer = GlobalAveragePooling1D()
    pooled = layer(V, mask=KEY_MASK)
    np.testing.assert_allclose(pooled[0], V[0, :3].mean(0), rtol=1e-12)
    np.testing.assert_allclose(in_model(layer, V, mask=KEY_MASK), pooled, rtol=1e-12)


def test_lambda_gets_mask_and_training_only_if_its_function_takes_them(float64):
    masked_sum = Lambda(lambda x, mask=None: (x * (1.0 if mask is None else mask[:, :, None])).sum(1))
    np.testing.assert_allclose(masked_sum(V, mask=KEY_MASK), (V * KEY_MASK[:, :, None]).sum(1), rtol=1e-12)
    np.testing.assert_allclose(in_model(masked_sum, V, mask=KEY_MASK), masked_sum(V, mask=KEY_MASK), rtol=1e-12)
    mode = Lambda(lambda x, training=False: x * (2.0 if training else 1.0))
    np.testing.assert_array_equal(mode(V, training=True), 2 * V)
    np.testing.assert_array_equal(in_model(mode, V, training=True), 2 * V)     # fit's mode in a graph
    np.testing.assert_array_equal(in_model(mode, V), V)
    with pytest.raises(TypeError, match=r"Lambda 'lambda_3': unexpected call argument 'mask'"):
        Lambda(lambda x: x)(V, mask=KEY_MASK)


def test_start_index_shifts_the_positions(float64):
    x = rand(2, 3, 4)
    table = SinePositionEncoding()(rand(2, 6, 4))
    np.testing.assert_allclose(SinePositionEncoding()(x, start_index=2), table[:, 2:5], rtol=1e-12)
    ids = np.array([[1, 2, 3], [3, 2, 1]])
    layer = TokenAndPositionEmbedding(5, 6, 4)
    shifted = layer(ids, start_index=3)
    positions = layer.params["position_embedding"]["embeddings"]
    np.testing.assert_allclose(shifted - layer(ids), np.broadcast_to(positions[3:6] - positions[:3], (2, 3, 4)),
                               rtol=1e-12)
    np.testing.assert_allclose(in_model(layer, ids, start_index=3), shifted, rtol=1e-12)
    with pytest.raises(ValueError, match=r"sequences of 3 steps from start_index=4 reach past sequence_length=6"):
        layer(ids, start_index=4)
    with pytest.raises(ValueError, match=r"start_index must be an integer >= 0, got -1"):
        layer(ids, start_index=-1)


# -- the fast path never drops a keyword -----------------------------------------------------------
def test_a_record_that_does_not_take_a_call_keyword_sends_the_layer_to_apply(float64, monkeypatch):
    """``Record.takes``: a record's forward without a keyword the call carries is not used, in
    ``Model.apply`` (``model.run_layer``) and in ``fit``'s fast step alike; ``apply`` runs."""
    from minattn.fast import table
    from minattn.fast.record import Record
    from minattn.model import run_layer
    calls = []

    def forward(layer, params, x):
        calls.append("record")
        return x, None

    record = Record(forward, lambda layer, params, saved, g, wanted: (g, {}))
    assert record.takes({}) and not record.takes({"training": True, "rng": None})
    monkeypatch.setitem(table.RECORDS, Dropout, record)
    layer = Dropout(0.5)
    x = np.ones((3, 40))
    layer.build((40,))
    np.testing.assert_array_equal(run_layer(layer, {}, x), x)
    assert calls == ["record"]
    dropped = run_layer(layer, {}, x, training=True, rng=np.random.default_rng(0))
    assert calls == ["record"] and np.any(dropped == 0)               # apply ran, with training
    inputs = Input((40,))
    model = Model(inputs, Dense(1)(Dropout(0.5)(inputs)))
    model.compile("sgd", "mse")
    model.fit(x, np.ones((3, 1)), verbose=0)                         # Dropout takes training=: apply
    assert calls == ["record"]


# -- every layer documents its call arguments ------------------------------------------------------
PUBLIC_LAYERS = [getattr(minattn.layers, name) for name in minattn.layers.__all__
                 if isinstance(getattr(minattn.layers, name), type)
                 and issubclass(getattr(minattn.layers, name), minattn.layers.Layer)]


@pytest.mark.parametrize("layer_class", PUBLIC_LAYERS, ids=lambda c: c.__name__)
def test_a_layer_with_call_arguments_lists_them_in_its_docstring(layer_class):
    keywords = [name for name in accepted_keywords(layer_class) if name != "training"]
    keywords += list(layer_class.call_inputs[1:])
    if not keywords and not layer_class.accepts_training:
        return                                                       # inputs and training only: no section
    doc = layer_class.__doc__ or ""
    assert "Call arguments" in doc, f"{layer_class.__name__}'s docstring has no 'Call arguments' section"
    missing = [name for name in keywords + ["training"] if f"{name}" not in doc.split("Call arguments")[1]]
    assert not missing, f"{layer_class.__name__}'s 'Call arguments' section does not name {missing}"
