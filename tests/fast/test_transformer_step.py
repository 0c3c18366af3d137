"""The Transformers through the one fast step: every layer by its record, the readable step's numbers.

The char GPT (pre-norm decoder blocks, causal), the translator (a padded
source: post-norm encoder, a decoder with cross-attention over it) and the
text classifier (padded words, dropout while training): the fast step runs
every layer through its record -- no autograd at all -- and its loss and
flat gradient equal the readable step's (float64), dropout included (the same
generator draws the same masks on both paths).
"""
import numpy as np
import pytest
from autograd import value_and_grad

import minattn
from minattn.fast.step import FastStep
from minattn.losses import masked_sparse_categorical_crossentropy
from minattn.optimizers import Adam
from minattn.pytree import flatten
from minattn.transformers import build_classifier, build_gpt, build_translator


def padded(rng, n, length, vocabulary):
    ids = rng.integers(1, vocabulary, size=(n, length))
    ids[np.arange(length) >= rng.integers(2, length + 1, size=(n, 1))] = 0      # zeros after a random length
    return ids


def gpt(rng):
    model, _ = build_gpt(11, 8, embedding_dim=8, num_heads=2, num_layers=2, activation="gelu", dropout=0.2)
    ids = rng.integers(1, 11, size=(5, 9))
    return model, masked_sparse_categorical_crossentropy, [ids[:, :-1]], [ids[:, 1:]]


def translator(rng):
    model, _ = build_translator(9, 7, 6, 5, embedding_dim=8, num_heads=2, intermediate_dim=12, dropout=0.1)
    target = rng.integers(1, 7, size=(5, 5))
    target[0, 3:] = 0                                                              # padded targets too
    decoder_in = np.concatenate([np.ones((5, 1), int), target[:, :-1]], axis=1)
    return model, masked_sparse_categorical_crossentropy, [padded(rng, 5, 6, 9), decoder_in], [target]


def classifier(rng):
    model, _ = build_classifier(13, 7, embedding_dim=8, num_heads=2, intermediate_dim=8, dropout=0.3)
    return model, "binary_crossentropy", [padded(rng, 6, 7, 13)], [rng.integers(0, 2, size=(6, 1)) * 1.0]


MODELS = {"gpt": gpt, "translator": translator, "classifier": classifier}


@pytest.fixture(autouse=True)
def float64_fast():
    minattn.set_floatx("float64")
    minattn.set_fast(True)


def compiled(name):
    minattn.set_random_seed(0)
    model, loss, xs, ys = MODELS[name](np.random.default_rng(1))
    model.compile(optimizer=Adam(), loss=loss)
    rng = np.random.default_rng(2)                  # weights away from their initial zeros and ones
    model.set_weights([w + 0.1 * rng.standard_normal(w.shape) for w in model.get_weights()])
    return model, xs, ys


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_layer_runs_by_its_record(name):
    model, _, _ = compiled(name)
    without = [node.layer.name for node, record, *_ in FastStep(model, model.compiled).plan if record is None]
    assert not without


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_step_equals_the_readable_step(name):
    model, xs, ys = compiled(name)
    step = FastStep(model, model.compiled)
    loss, _ = step.loss_and_gradient(xs, ys, np.random.default_rng(5))
    with minattn.readable():
        expected_loss, expected = value_and_grad(model.compiled.batch_loss)(
            model.params, xs, ys, np.random.default_rng(5))
    assert loss == pytest.approx(float(expected_loss), rel=1e-12)
    np.testing.assert_allclose(step.gradient, flatten(expected), rtol=1e-9, atol=1e-12)
    assert np.any(step.gradient != 0)
