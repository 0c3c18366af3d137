"""The two training paths: the readable step is the documented two lines, the fast step equals it.

* ``ReadableSteps.train_on_batch`` gives exactly the weights of
  ``value_and_grad(batch_loss)`` followed by ``optimizer.step`` on trees;
* the fast step gives the same weights to float rounding, and the layers
  hold the latest weights after every step on both paths;
* the fast path trains with one OpenBLAS thread and gives the count back.
"""
import numpy as np
import pytest
from autograd import value_and_grad

import minattn
from minattn import Input, Model
from minattn.fast import threads
from minattn.fast.step import FastStep
from minattn.layers import LSTM, Dense, Lambda, Multiply
from minattn.optimizers import Adam
from minattn.training import ReadableSteps


def attention_model():
    inputs = Input((5, 3))
    probs = Dense(3, activation="softmax")(inputs)
    out = Dense(1, activation="sigmoid")(LSTM(4)(Multiply()([inputs, probs])))
    model = Model(inputs, out)
    model.compile(Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def data(n=16, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5, 3))
    return x, (x[:, 0, :1] > 0).astype(float)


def test_the_readable_step_is_value_and_grad_then_optimizer_step(float64):
    minattn.set_fast(False)
    model = attention_model()
    x, y = data()
    compiled = model.compiled
    steps = ReadableSteps(model, compiled)         # the weights' owner: the layers hold its views
    params0 = steps.params
    loss, grads = value_and_grad(compiled.batch_loss)(params0, [x], [y], None)
    expected, _ = compiled.optimizer.step(params0, grads, compiled.optimizer.init(params0))
    params0 = {name: {key: value.copy() for key, value in weights.items()} for name, weights in params0.items()}
    step_loss, preds = steps.train_on_batch([x], [y], None)
    assert step_loss == loss
    for name, weights in expected.items():
        for key, value in weights.items():
            assert np.array_equal(steps.params[name][key], value)
            assert model.get_layer(name).params[key] is steps.params[name][key]   # the layers hold them
    np.testing.assert_array_equal(preds[0], model.apply(params0, x, training=True))


def test_the_fast_step_gives_the_readable_steps_weights(float64):
    model = attention_model()
    x, y = data()
    start = model.get_weights()
    with minattn.readable():
        readable = ReadableSteps(model, model.compiled)
        for _ in range(3):
            readable.train_on_batch([x], [y], None)
    after_readable = model.get_weights()
    model.set_weights(start)
    with FastStep(model, model.compiled) as fast:
        for _ in range(3):
            fast.train_on_batch([x], [y], None)
    for a, b in zip(after_readable, model.get_weights()):     # the layers show the buffer's weights
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-12)
    assert not all(np.array_equal(a, b) for a, b in zip(start, after_readable))


@pytest.mark.filterwarnings("ignore:overflow|invalid value:RuntimeWarning")
def test_a_non_finite_step_is_not_applied_on_either_path():
    for fast in (False, True):
        minattn.set_fast(fast)
        inputs = Input((2,))
        model = Model(inputs, Dense(1)(Lambda(lambda t: t * 1e30)(inputs)))
        model.compile(Adam(), loss="mse")
        before = model.get_weights()
        steps = (FastStep if fast else ReadableSteps)(model, model.compiled)
        with pytest.raises(FloatingPointError, match="loss became (inf|nan)|non-finite"):
            steps.train_on_batch([np.full((4, 2), 1e10, np.float32)], [np.zeros((4, 1), np.float32)], None)
        for a, b in zip(before, model.get_weights()):
            assert np.array_equal(a, b)


@pytest.mark.skipif(threads.blas_threads() is None, reason="NumPy's BLAS here is not an OpenBLAS we can find")
def test_fast_fit_trains_with_one_blas_thread_and_gives_the_count_back(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    seen = []

    def record(t):
        seen.append(threads.blas_threads())
        return t
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(Lambda(record)(inputs)))
    model.compile(Adam(), loss="mse")
    x, y = np.ones((8, 3)), np.zeros((8, 1))
    before = threads.blas_threads()
    seen.clear()                                         # (building the Lambda ran it once)
    model.fit(x, y, batch_size=4, verbose=0)
    assert seen and set(seen) == {1}
    assert threads.blas_threads() == before
    with minattn.readable():                               # the readable path leaves BLAS alone
        seen.clear()
        model.fit(x, y, batch_size=4, verbose=0)
    assert set(seen) == {before}
