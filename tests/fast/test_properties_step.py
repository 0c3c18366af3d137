"""The one fast step on random model graphs equals the readable step (Hypothesis).

Each example builds a small model from the layers that have records -- Dense
(every activation the records run), Activation, Permute, Reshape, Flatten,
RepeatVector, Multiply, Add, LSTM, GRU -- wired the ways the attention
articles wire them (a softmax over time between two Permutes, a tensor used
by several layers, a Dense shared by two calls, a mean through a Lambda that
only autograd can differentiate, Dropout, a mask made by a layer of one's own
and read by an LSTM or GRU, forwards or backwards, shared by two calls),
with random sizes, and checks in
float64 that ``FastStep`` gives the readable step's loss, flat gradient and
predictions.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import value_and_grad
from autograd.tracer import getval
from hypothesis import given
from hypothesis import strategies as st

import minattn
from minattn import Input, Model
from minattn.pytree import flatten
from minattn.fast.step import FastStep
from minattn.layers import (GRU, LSTM, Activation, Add, Dense, Dropout, Flatten, Lambda, Layer, Multiply,
                            Permute, RepeatVector, Reshape)
from minattn.optimizers import Adam

ACTIVATIONS = ["linear", "sigmoid", "tanh", "relu", "softmax", "hard_sigmoid"]


@pytest.fixture(autouse=True)
def float64_fast():
    minattn.set_floatx("float64")
    minattn.set_fast(True)
    yield


def attention_over_time(draw, seq, steps):
    """E3's block: softmax over time between two Permutes, multiplied into the sequence."""
    probs = Permute((2, 1))(Dense(steps, activation="softmax")(Permute((2, 1))(seq)))
    return Multiply()([seq, probs])


def mean_then_repeat(draw, seq, steps):
    """E2's block: a mean over the features (a Lambda: autograd alone), repeated over them."""
    features = seq.shape[-1]
    mean = Lambda(lambda x: anp.mean(x, axis=2))(seq)                     # (time,)
    weights = Permute((2, 1))(RepeatVector(features)(mean))               # (time, features)
    return Multiply()([seq, weights])


def shared_dense(draw, seq, steps):
    """One Dense called twice, its two outputs added to the input (a tensor used three times)."""
    layer = Dense(seq.shape[-1], activation=draw(st.sampled_from(["tanh", "sigmoid", "linear"])))
    return Add()([seq, layer(seq), layer(layer(seq))])


def reshaped(draw, seq, steps):
    return Reshape((steps, seq.shape[-1]))(Flatten()(seq))


class MarkSteps(Layer):
    """A weightless layer of one's own that makes a mask from the data: a step is kept where its
    first feature is above -0.3 (the first step always)."""

    def apply(self, params, x):
        return x * 1.0

    def compute_mask(self, x, mask):
        keep = np.asarray(getval(x))[:, :, 0] > -0.3
        keep[:, 0] = True
        return keep


def masked_recurrent(draw, seq, steps):
    """A mask from a layer of one's own, read by an LSTM or GRU (forwards or backwards) that
    passes it on; the recurrent layer is sometimes shared by two calls."""
    masked = MarkSteps()(seq)
    recurrent = draw(st.sampled_from([LSTM, GRU]))(seq.shape[-1], return_sequences=True,
                                                    go_backwards=draw(st.booleans()))
    first = recurrent(masked)
    return Add()([first, recurrent(masked)]) if draw(st.booleans()) else first


BLOCKS = [attention_over_time, mean_then_repeat, shared_dense, reshaped, masked_recurrent]


@st.composite
def models(draw):
    steps, features = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    inputs = Input((steps, features))
    if draw(st.booleans()):
        seq = LSTM(draw(st.integers(1, 4)), return_sequences=True,
                   recurrent_activation=draw(st.sampled_from(["sigmoid", "hard_sigmoid"])))(inputs)
    else:
        seq = Dense(draw(st.integers(1, 4)), activation=draw(st.sampled_from(ACTIVATIONS)))(inputs)
    for block in draw(st.lists(st.sampled_from(BLOCKS), min_size=1, max_size=3)):
        seq = block(draw, seq, steps)
    if draw(st.booleans()):
        seq = Dropout(0.25)(seq)
    if draw(st.booleans()):
        head = LSTM(draw(st.integers(1, 3)))(seq)
    else:
        head = Activation(draw(st.sampled_from(["tanh", "relu", "softmax"])))(Flatten()(seq))
    classify = draw(st.booleans())
    outputs = Dense(1, activation="sigmoid" if classify else draw(st.sampled_from(ACTIVATIONS[:4])))(head)
    model = Model(inputs, outputs)
    model.compile(optimizer=Adam(), loss="binary_crossentropy" if classify else "mse")
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    x = rng.uniform(-1, 1, (draw(st.integers(1, 5)),) + (steps, features))
    y = rng.integers(0, 2, (len(x), 1)).astype(float) if classify else rng.normal(size=(len(x), 1))
    return model, x, y


@given(models())
def test_the_tape_free_step_equals_the_readable_step_on_random_graphs(example):
    model, x, y = example
    step = FastStep(model, model.compiled)
    loss, preds = step.loss_and_gradient([x], [y], np.random.default_rng(3))
    flat_grad = step.gradient
    with minattn.readable():
        expected_loss, expected = value_and_grad(model.compiled.batch_loss)(
            model.params, [x], [y], np.random.default_rng(3))
        predictions = model.apply_with_losses(model.params, x, training=True,
                                              rng=np.random.default_rng(3))[0]
    assert loss == pytest.approx(float(expected_loss), rel=1e-10, abs=1e-14)
    np.testing.assert_allclose(flat_grad, flatten(expected), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(preds[0], predictions, rtol=1e-10, atol=1e-14)
