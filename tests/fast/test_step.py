"""The one fast step (``minattn.fast.step``) on whole models.

On the articles' four, shared layers, a tensor used twice, layers without a
record (Lambda, Dropout, Embedding, a layer that makes a mask), a masked
LSTM, return_state, several outputs, a loss without a hand-written gradient
and ``add_loss``, the step's loss and flat gradient equal the readable
step's; each layer takes the route the table gives it, whatever its
neighbours. (Each record alone: ``tests/fast/test_records.py``.)
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, value_and_grad

import gradcheck_cases as cases
import minattn
from minattn import Input, Model, losses
from minattn.pytree import flatten
from minattn.fast.lstm import LSTM_RECORD
from minattn.fast.step import FastStep
from minattn.layers import (LSTM, Activation, Add, Dense, Dropout, Embedding, Flatten, Lambda, Layer,
                            Multiply, Permute, RepeatVector)
from minattn.optimizers import Adam

EPS = 1e-6
TOL = 1e-6


@pytest.fixture(autouse=True)
def float64_fast():
    previous = minattn.floatx()
    minattn.set_floatx("float64")
    minattn.set_fast(True)
    yield
    minattn.set_floatx(previous)


# -- whole models ---------------------------------------------------------------------------------
def _e1_like():
    inputs = Input((6,))
    probs = Dense(6, activation="softmax")(inputs)
    hidden = Dense(5, activation="sigmoid")(Multiply()([inputs, probs]))
    return Model(inputs, Dense(1, activation="sigmoid")(hidden)), "mse", (6,), (1,)


def _e2_like():
    inputs = Input((5, 4))
    a = Dense(5, activation="softmax")(Permute((2, 1))(inputs))
    a = Lambda(lambda x: anp.mean(x, axis=1))(a)                          # no rule: autograd alone
    a = Permute((2, 1))(RepeatVector(4)(a))
    out = LSTM(6)(Multiply()([inputs, a]))
    return Model(inputs, Dense(1, activation="sigmoid")(out)), "mse", (5, 4), (1,)


def _e3_like():
    inputs = Input((5, 2))
    seq = LSTM(4, return_sequences=True)(inputs)
    a = Permute((2, 1))(Dense(5, activation="softmax")(Permute((2, 1))(seq)))
    out = Dense(1, activation="sigmoid")(Flatten()(Multiply()([seq, a])))
    return Model(inputs, out), "binary_crossentropy", (5, 2), (1,)


def _e4_like():
    inputs = Input((4,))
    a = Activation("softmax")(Dense(4, use_bias=False)(inputs))
    h = Dense(8, activation="relu")(Multiply()([inputs, a]))
    a = Activation("softmax")(Dense(8, use_bias=False)(h))
    return Model(inputs, Dense(1, activation="sigmoid")(Multiply()([h, a]))), "binary_crossentropy", (4,), (1,)


def _shared_and_reused():
    """One Dense called twice (its gradient adds both calls), a tensor used by three layers."""
    inputs = Input((4,))
    shared = Dense(4, activation="tanh")
    h = shared(inputs)
    h2 = shared(h)
    out = Dense(2)(Add()([h, h2, Multiply()([h, h])]))
    return Model(inputs, out), "mse", (4,), (2,)


def _dropout_inside():
    inputs = Input((6,))
    h = Dropout(0.3)(Dense(8, activation="relu")(inputs))
    return Model(inputs, Dense(1, activation="sigmoid")(h)), "binary_crossentropy", (6,), (1,)


def _two_outputs():
    """Two outputs with two losses, one of them without a hand-written gradient."""
    inputs = Input((5,))
    h = Dense(6, activation="tanh")(inputs)
    probs = Dense(3, activation="softmax")(h)
    return (Model(inputs, [Dense(1)(h), probs]), ["mse", "categorical_crossentropy"], (5,),
            [(1,), (3,)])


class _MarkFirstSteps(Layer):
    """A weightless layer that masks the last time step (a mask no rule takes)."""

    def apply(self, params, x):
        return x * 1.0

    def compute_mask(self, x, mask):
        keep = np.ones(np.shape(x)[:2], dtype=bool)
        keep[:, -1] = False
        return keep


def _masked_lstm():
    inputs = Input((4, 3))
    out = LSTM(5)(_MarkFirstSteps()(Dense(3, activation="tanh")(inputs)))
    return Model(inputs, Dense(1)(out)), "mse", (4, 3), (1,)


def _embedding_lstm(mask_zero):
    def make():
        inputs = Input((5,), dtype="int32")
        out = LSTM(4)(Embedding(6, 3, mask_zero=mask_zero)(inputs))
        return Model(inputs, Dense(1)(out)), "mse", ("ids", (5,), 6), (1,)
    return make


def _return_state():
    inputs = Input((4, 3))
    out, h, c = LSTM(3, return_state=True)(inputs)
    return Model(inputs, Dense(1)(Add()([out, c]))), "mse", (4, 3), (1,)


def _embedding_flatten():
    inputs = Input((4,), dtype="int32")
    out = Dense(1)(Flatten()(Embedding(6, 3)(inputs)))
    return Model(inputs, out), "mse", ("ids", (4,), 6), (1,)


def _with_add_loss():
    model, loss, x_shape, y_shape = _e1_like()
    model.add_loss(model.layers[1].output, weight=0.1)
    return model, loss, x_shape, y_shape


MODELS = {"e1": _e1_like, "e2": _e2_like, "e3": _e3_like, "e4": _e4_like,
          "shared_and_reused": _shared_and_reused, "dropout": _dropout_inside,
          "two_outputs": _two_outputs, "masked_lstm": _masked_lstm,
          "embedding_lstm": _embedding_lstm(False), "embedding_mask_zero_lstm": _embedding_lstm(True),
          "return_state": _return_state, "embedding_flatten": _embedding_flatten,
          "add_loss": _with_add_loss}


def _data(shape, n, seed):
    shapes = shape if isinstance(shape, list) else [shape]
    rng = np.random.default_rng(seed)
    arrays = []
    for s in shapes:
        if s[0] == "ids":                       # ("ids", shape, vocabulary): token ids, some of them 0
            arrays.append(rng.integers(0, s[2], (n,) + s[1]))
        else:
            arrays.append(rng.random((n,) + s))
    return arrays


def _compiled(make):
    minattn.set_random_seed(0)
    model, loss, x_shape, y_shape = make()
    model.compile(optimizer=Adam(), loss=loss)
    x = _data(x_shape, 7, 1)
    y = _data(y_shape, 7, 2)
    if isinstance(loss, list):                  # categorical targets: rows that sum to one
        y[1] = y[1] / y[1].sum(axis=1, keepdims=True)
    elif loss == "binary_crossentropy":
        y = [np.round(t) for t in y]
    return model, x, y


def _step_loss_and_gradient(model, xs, ys, rng):
    step = FastStep(model, model.compiled)
    loss, preds = step.loss_and_gradient(xs, ys, rng)
    return loss, step.gradient, preds


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_step_equals_the_readable_step(name):
    model, xs, ys = _compiled(MODELS[name])
    loss, flat_grad, preds = _step_loss_and_gradient(model, xs, ys, np.random.default_rng(5))
    with minattn.readable():
        expected_loss, expected = value_and_grad(model.compiled.batch_loss)(
            model.params, xs, ys, np.random.default_rng(5))
    assert loss == pytest.approx(float(expected_loss), rel=1e-12)
    assert np.allclose(flat_grad, flatten(expected), rtol=1e-10, atol=1e-13)
    assert np.any(flat_grad != 0)
    with minattn.readable():
        outputs = model.apply(model.params, *xs)
    for kept, output in zip(preds, outputs if isinstance(outputs, list) else [outputs]):
        assert np.allclose(kept, output, rtol=1e-12) or name == "dropout"


@pytest.mark.parametrize("name", ["e2", "e3", "masked_lstm", "embedding_lstm", "embedding_mask_zero_lstm",
                                  "return_state"])
def test_every_lstm_trains_through_its_record_whatever_its_neighbours(name):
    """Input -> LSTM, Embedding -> LSTM (with or without mask_zero), a mask from a layer of
    one's own, return_state: the step runs the LSTM's record every time."""
    model, _, _ = _compiled(MODELS[name])
    routes = [record for node, record, *_ in FastStep(model, model.compiled).plan
              if isinstance(node.layer, LSTM)]
    assert routes and all(record is LSTM_RECORD for record in routes)


def test_a_layer_without_a_record_is_differentiated_by_autograd_alone():
    model, _, _ = _compiled(_e2_like)
    routes = {type(node.layer): record for node, record, *_ in FastStep(model, model.compiled).plan}
    assert routes[Lambda] is None and routes[Dense] is not None and routes[Permute] is not None


def test_the_readable_path_never_takes_a_record():
    model, xs, ys = _compiled(_e1_like)
    with minattn.readable():
        assert all(record is None for _, record, *_ in FastStep(model, model.compiled).plan)


def test_fit_with_the_step_follows_the_readable_fit():
    """Five epochs of ``fit`` on the fast step and on the readable path: the same losses."""
    histories = []
    for fast in (True, False):
        model, xs, ys = _compiled(_e2_like)
        minattn.set_fast(fast)
        history = model.fit(xs[0], ys[0], epochs=5, batch_size=3, verbose=0, shuffle=False)
        histories.append(history.history["loss"])
    minattn.set_fast(True)
    assert np.allclose(histories[0], histories[1], rtol=1e-10)
    assert histories[0][-1] < histories[0][0]


def test_relu_at_exactly_zero_has_gradient_zero_on_both_paths():
    """Zero inputs and a zero bias put Dense(relu) exactly at the kink: the gradient there is 0
    on the readable path too (as in Keras and the fast kernels), so both paths agree."""
    inputs = Input((3,))
    hidden = Dense(4, activation="relu", bias_initializer="zeros")(inputs)
    model = Model(inputs, Dense(1)(hidden))
    model.compile(optimizer=Adam(), loss="mse")
    x, y = np.zeros((5, 3)), np.ones((5, 1))
    loss, flat_grad, _ = _step_loss_and_gradient(model, [x], [y], None)
    with minattn.readable():
        _, expected = value_and_grad(model.compiled.batch_loss)(model.params, [x], [y], None)
    assert np.array_equal(expected[model.layers[1].name]["bias"], np.zeros(4))
    np.testing.assert_allclose(flat_grad, flatten(expected), rtol=1e-12, atol=0)
    relu = minattn.activations.relu
    assert np.isnan(relu(np.array([np.nan]))).all() and relu(np.array([-np.inf]))[0] == 0.0
