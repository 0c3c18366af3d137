"""The AttentionDecoder's record (``minattn.fast.attention_decoder``) beyond the layer cases.

The layer cases (``tests/gradcheck_cases.py``, run by ``test_records.py``) check every score
and the global and local-p alignments against the readable layer and finite differences.
Here: the hard alignment (its straight-through gradient is not the derivative of its forward
pass, so it has no finite-difference case) against the readable layer's autograd gradients,
with every score and a source row that is all padding; a Score of one's own falling back to
``apply``; and the dates model's ``fit`` on the fast path ending at the readable fit's weights.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import gradcheck_cases as cases
import minattn
from minattn import seq2seq
from minattn.fast.attention_decoder import RECORDS
from minattn.fast.step import FastStep
from minattn.fast.table import record_for
from minattn.layers import AttentionDecoder
from minattn.layers.scores import DotScore
from minattn.optimizers import Adam
from minattn.pytree import named_leaves

SCORES = ["additive", "dot", "scaled_dot", "general", "concat"]
ALL_PADDED = np.array([[True, True, True, True, True],
                       [True, True, False, False, False],
                       [False, False, False, False, False]])      # nothing to attend to: weights 0


@pytest.fixture(autouse=True)
def fast_in_float64(float64):
    """float64 (``tests/conftest.py``, which restores both settings afterwards) on the fast path."""
    minattn.set_fast(True)


def _built(layer, inputs):
    layer.build([tuple(x.shape[1:]) for x in inputs])
    return layer


@pytest.mark.parametrize("score", SCORES)
@pytest.mark.parametrize("with_states", [True, False])
def test_hard_attention_record_equals_the_readable_layer(score, with_states):
    """Values, and the straight-through gradients of every weight and input."""
    inputs = cases.rand(3, 4, 2, seed=1), cases.rand(3, 5, 4, seed=2), cases.rand(3, 4, seed=3), \
        cases.rand(3, 4, seed=4)
    inputs = list(inputs if with_states else inputs[:2])
    layer = _built(AttentionDecoder(4, 6, score=score, attention="hard", return_attention=True), inputs)
    mask = [None, ALL_PADDED] + [None] * (len(inputs) - 2)
    record = record_for(layer, True)
    assert record is RECORDS[AttentionDecoder]
    (probs, weights), saved = record.forward(layer, layer.params, inputs, mask=mask)
    with minattn.readable():
        want_probs, want_weights = layer.apply(layer.params, inputs, mask=mask)
    assert np.allclose(probs, want_probs, rtol=1e-12, atol=1e-14)
    assert np.allclose(weights, want_weights, rtol=1e-12, atol=1e-14)
    assert np.all(weights[2] == 0) and np.allclose(weights[:2].max(axis=-1), 1.0)
    g = [np.cos(np.arange(probs.size)).reshape(probs.shape), np.sin(np.arange(weights.size)).reshape(weights.shape)]
    dx, dparams = record.backward(layer, layer.params, saved, g, [True] * len(inputs))

    def total(tree):
        with minattn.readable():
            p, w = layer.apply(tree["params"], tree["x"], mask=mask)
        return anp.sum(p * g[0]) + anp.sum(w * g[1])
    expected = grad(total)({"params": layer.params, "x": inputs})
    for (name, got), (_, want) in zip(named_leaves(dparams), named_leaves(expected["params"]), strict=True):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12), name
    for got, want in zip(dx, expected["x"], strict=True):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_a_score_of_ones_own_runs_the_readable_apply():
    class Doubled(DotScore):
        def scores(self, params, query, keys):
            return 2.0 * super().scores(params, query, keys)
    inputs = [cases.rand(3, 2, 2, seed=1), cases.rand(3, 5, 4, seed=2)]
    layer = _built(AttentionDecoder(4, 6, score=Doubled()), inputs)
    assert record_for(layer, True) is None
    assert record_for(_built(AttentionDecoder(4, 6, score="dot"), inputs), True) is not None


def _dates_model(score, attention):
    minattn.set_random_seed(0)
    model, _, _ = seq2seq.build_translation_model(9, 7, 6, 4, embedding_dim=3, encoder_units=3, score=score,
                                                  attention=attention, window=2)
    model.compile(Adam(0.01), loss=seq2seq.masked_sparse_categorical_crossentropy)
    return model


@pytest.mark.parametrize("score,attention", [("additive", "global"), ("general", "local_p"), ("dot", "hard")])
def test_the_dates_model_fit_on_the_fast_path_ends_at_the_readable_weights(score, attention, monkeypatch):
    """Three steps of ``fit`` on each path (float64, small sizes, padded sources): the same
    weights and losses; on the fast path the decoder runs its record, once a step."""
    record, calls = RECORDS[AttentionDecoder], []
    monkeypatch.setattr(record, "forward", lambda *args, _run=record.forward, **call: calls.append(1) or
                        _run(*args, **call))
    rng = np.random.default_rng(0)
    source = rng.integers(1, 9, (6, 6))
    source[:, 4:] = 0                                               # padding: the encoder's mask
    source[0, 2:] = 0
    decoder_in, targets = rng.integers(1, 7, (6, 4)), rng.integers(0, 7, (6, 4))
    results = []
    for fast in (True, False):
        model = _dates_model(score, attention)
        minattn.set_fast(fast)
        if fast:
            routes = {type(node.layer): record for node, record, *_ in FastStep(model, model.compiled).plan}
            assert routes[AttentionDecoder] is RECORDS[AttentionDecoder]
        history = model.fit([source, decoder_in], targets, epochs=3, batch_size=6, verbose=0, shuffle=False)
        results.append((history.history["loss"], model.get_weights()))
    minattn.set_fast(True)
    (fast_losses, fast_weights), (readable_losses, readable_weights) = results
    assert np.allclose(fast_losses, readable_losses, rtol=1e-10)
    for got, want in zip(fast_weights, readable_weights, strict=True):
        assert np.allclose(got, want, rtol=1e-8, atol=1e-10)
    assert fast_losses[-1] < fast_losses[0]
    assert len(calls) == 3                                          # the fast fit's three steps
