"""compile / fit / evaluate / predict, optimizers, losses and metrics, checked independently.

Reference values are recomputed in the test: the optimizers' update rules in
plain NumPy, losses from ``model.apply``, the samples a batch saw recorded by
a custom loss.
"""
import re

import autograd
import autograd.numpy as anp
import numpy as np
import pytest
from autograd.tracer import Box, getval

import minattn
from minattn import History, Input, Model, losses, metrics
from minattn.callbacks import TrainingDiverged
from minattn.layers import Dense, Dropout
from minattn.optimizers import SGD, Adam






def planted_column(n, dim=4, column=1, seed=0):
    """E4's data: standard normal x, binary y copied into one column."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rng.integers(0, 2, (n, 1)).astype(float)
    x[:, column] = y[:, 0]
    return x, y


def small_classifier(dim=4, hidden=8, dropout=None):
    inputs = Input((dim,))
    h = Dense(hidden, activation="tanh")(inputs)
    if dropout:
        h = Dropout(dropout)(h)
    return Model(inputs, Dense(1, activation="sigmoid")(h))


def linear_model(dim=3, units=2):
    inputs = Input((dim,))
    return Model(inputs, Dense(units)(inputs))


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


# --- History and the epoch loss ---------------------------------------------------

def test_fit_returns_history_per_epoch():
    x, y = planted_column(100)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, validation_split=0.2, verbose=0)
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for values in history.history.values():
        assert len(values) == 3 and all(isinstance(v, float) and np.isfinite(v) for v in values)
    assert all(0.0 <= a <= 1.0 for a in history.history["accuracy"] + history.history["val_accuracy"])
    # val_ values are those of the final weights of the epoch
    val_loss, val_acc = model.evaluate(x[80:], y[80:])
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-5)
    assert history.history["val_accuracy"][-1] == pytest.approx(val_acc, rel=1e-6)


def test_epoch_loss_is_batch_size_weighted_mean():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((50, 3))
    y = rng.standard_normal((50, 2))
    y[48:] += 20.0                                  # the short last batch has a much larger loss
    seen = []

    def recording_mse(y_true, y_pred):
        out = anp.mean((y_pred - y_true) ** 2, axis=-1)
        seen.append((len(y_true), float(np.mean(getval(out)))))
        return out

    model = linear_model()
    model.compile(SGD(1e-4), loss=recording_mse)
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    assert [size for size, _ in seen] == [16, 16, 16, 2] * 2
    for epoch in range(2):
        sizes, values = zip(*seen[4 * epoch:4 * epoch + 4])
        weighted = np.average(values, weights=sizes)
        assert history.history["loss"][epoch] == pytest.approx(weighted, rel=1e-6)
        assert abs(np.mean(values) - weighted) > 10 * abs(weighted) * 1e-3   # the weighting mattered


def test_fit_matches_manual_loop_with_reference_adam(float64):
    """fit with shuffle=False is exactly: per batch, grad of the mean loss, then Keras's Adam."""
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((24, 3)), rng.standard_normal((24, 2))
    model = linear_model()
    start = {name: {k: v.copy() for k, v in w.items()} for name, w in model.params.items()}
    model.compile(Adam(learning_rate=0.05), loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)

    def batch_loss(params, xb, yb):
        return anp.mean(anp.mean((model.apply(params, xb) - yb) ** 2, axis=-1))

    params = start
    m = {n: {k: np.zeros_like(v) for k, v in w.items()} for n, w in params.items()}
    v = {n: {k: np.zeros_like(v_) for k, v_ in w.items()} for n, w in params.items()}
    t, epoch_losses = 0, []
    for _ in range(2):
        batch_losses = []
        for s in range(0, 24, 8):
            loss, grads = autograd.value_and_grad(batch_loss)(params, x[s:s + 8], y[s:s + 8])
            batch_losses.append(loss)
            t += 1
            alpha = 0.05 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            for n in params:
                for k in params[n]:
                    g = grads[n][k]
                    m[n][k] = 0.9 * m[n][k] + 0.1 * g
                    v[n][k] = 0.999 * v[n][k] + 0.001 * g * g
                    params[n][k] = params[n][k] - alpha * m[n][k] / (np.sqrt(v[n][k]) + 1e-7)
        epoch_losses.append(np.mean(batch_losses))
    for n in params:
        for k in params[n]:
            np.testing.assert_allclose(model.params[n][k], params[n][k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(history.history["loss"], epoch_losses, rtol=1e-10)


# --- validation ----------------------------------------------------------------------

def _recording_model():
    """A linear regression whose loss records which targets it saw, in training or not."""
    log = {"train": [], "eval": []}

    def recording_mse(y_true, y_pred):
        key = "train" if isinstance(y_pred, Box) else "eval"
        log[key].append(np.array(y_true[:, 0]))
        return anp.mean((y_pred - y_true) ** 2, axis=-1)

    model = linear_model(dim=2, units=1)
    model.compile(Adam(0.01), loss=recording_mse)
    return model, log


def test_validation_split_takes_last_fraction_before_shuffling():
    n = 40
    x = np.random.default_rng(3).standard_normal((n, 2))
    y = np.arange(n, dtype=float)[:, None]          # y identifies the sample
    model, log = _recording_model()
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, shuffle=True, verbose=0)
    train_order = np.concatenate(log["train"])
    assert len(train_order) == 3 * 30
    for epoch in range(3):
        seen = train_order[30 * epoch:30 * (epoch + 1)]
        assert sorted(seen) == list(range(30))       # every training sample once, none of the last 10
    assert any(not np.array_equal(train_order[30 * e:30 * (e + 1)], np.arange(30)) for e in range(3))
    val_seen = np.concatenate(log["eval"])
    np.testing.assert_array_equal(val_seen, np.tile(np.arange(30, 40), 3))   # once per epoch, in order
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x[30:], y[30:]), rel=1e-5)
    assert history.history["val_loss"][-1] != pytest.approx(model.evaluate(x[:10], y[:10]), rel=1e-3)


def test_shuffle_false_keeps_order():
    x = np.random.default_rng(3).standard_normal((20, 2))
    y = np.arange(20, dtype=float)[:, None]
    model, log = _recording_model()
    model.fit(x, y, epochs=2, batch_size=6, shuffle=False, verbose=0)
    np.testing.assert_array_equal(np.concatenate(log["train"]), np.tile(np.arange(20), 2))


def test_validation_split_rounds_like_keras():
    x = np.random.default_rng(3).standard_normal((10, 2))
    y = np.arange(10, dtype=float)[:, None]
    model, log = _recording_model()
    model.fit(x, y, epochs=1, batch_size=32, validation_split=0.25, verbose=0)
    assert sorted(np.concatenate(log["train"])) == list(range(7))      # int(10 * 0.75) = 7
    assert sorted(np.concatenate(log["eval"])) == [7, 8, 9]


def test_validation_data():
    x, y = planted_column(60, seed=1)
    xv, yv = planted_column(30, seed=2)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=2, validation_data=(xv, yv), verbose=0)
    loss, acc = model.evaluate(xv, yv)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
    assert history.history["val_accuracy"][-1] == pytest.approx(acc)
    assert history.history["val_loss"][-1] != pytest.approx(model.evaluate(x, y)[0], rel=1e-3)


# --- evaluate / predict -------------------------------------------------------------------

def test_evaluate_and_batched_predict_equal_apply():
    x, y = planted_column(53, seed=4)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    full = model.apply(model.params, x.astype(np.float32))
    for batch_size in (1, 7, 32, 100):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size), full, rtol=1e-5, atol=1e-7)
    p = np.clip(full.astype(np.float64), 1e-7, 1 - 1e-7)
    expected_loss = np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))
    expected_acc = np.mean((full > 0.5) == y)
    loss, acc = model.evaluate(x, y, batch_size=7)
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert acc == pytest.approx(expected_acc)


def test_evaluate_without_metrics_returns_float():
    x, y = planted_column(20)
    model = small_classifier()
    model.compile("adam", loss="mse")
    value = model.evaluate(x, y)
    assert isinstance(value, float)
    assert value == pytest.approx(float(np.mean((model.predict(x) - y) ** 2)), rel=1e-5)


# --- optimizers -----------------------------------------------------------------------------

def _quadratic():
    """f(p) = 0.5 * sum(a * (p - c)^2) over two weights; grad = a * (p - c)."""
    rng = np.random.default_rng(5)
    a = {"l1": {"kernel": rng.uniform(0.5, 3, (3, 2))}, "l2": {"bias": rng.uniform(0.5, 3, (2,))}}
    c = {"l1": {"kernel": rng.standard_normal((3, 2))}, "l2": {"bias": rng.standard_normal(2)}}
    p0 = {"l1": {"kernel": rng.standard_normal((3, 2))}, "l2": {"bias": rng.standard_normal(2)}}

    def grad(p):
        return {n: {k: a[n][k] * (p[n][k] - c[n][k]) for k in p[n]} for n in p}
    return p0, grad


def test_adam_defaults_are_keras():
    opt = Adam()
    assert (opt.learning_rate, opt.beta_1, opt.beta_2, opt.epsilon) == (1e-3, 0.9, 0.999, 1e-7)
    assert SGD().learning_rate == 0.01 and SGD().momentum == 0.0


def test_adam_matches_numpy_reference():
    p0, grad = _quadratic()
    lr, b1, b2, eps = 0.1, 0.8, 0.99, 1e-7
    opt = Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    params, state = p0, opt.init(p0)
    ref = {n: {k: v.copy() for k, v in w.items()} for n, w in p0.items()}
    m = {n: {k: 0.0 for k in w} for n, w in p0.items()}
    v = {n: {k: 0.0 for k in w} for n, w in p0.items()}
    for t in range(1, 6):
        params, state = opt.step(params, grad(params), state)
        g = grad(ref)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for n in ref:
            for k in ref[n]:
                m[n][k] = b1 * m[n][k] + (1 - b1) * g[n][k]
                v[n][k] = b2 * v[n][k] + (1 - b2) * g[n][k] ** 2
                ref[n][k] = ref[n][k] - alpha * m[n][k] / (np.sqrt(v[n][k]) + eps)
        for n in ref:
            for k in ref[n]:
                np.testing.assert_allclose(params[n][k], ref[n][k], rtol=1e-12, atol=1e-14)
    assert state["t"] == 5
    assert not np.allclose(params["l1"]["kernel"], p0["l1"]["kernel"])


def test_sgd_momentum_matches_numpy_reference():
    p0, grad = _quadratic()
    opt = SGD(learning_rate=0.05, momentum=0.9)
    params, state = p0, opt.init(p0)
    ref = {n: {k: v.copy() for k, v in w.items()} for n, w in p0.items()}
    vel = {n: {k: 0.0 for k in w} for n, w in p0.items()}
    for _ in range(6):
        params, state = opt.step(params, grad(params), state)
        g = grad(ref)
        for n in ref:
            for k in ref[n]:
                vel[n][k] = 0.9 * vel[n][k] - 0.05 * g[n][k]
                ref[n][k] = ref[n][k] + vel[n][k]
        for n in ref:
            for k in ref[n]:
                np.testing.assert_allclose(params[n][k], ref[n][k], rtol=1e-12, atol=1e-14)


def test_plain_sgd_step():
    p0, grad = _quadratic()
    params, _ = SGD(learning_rate=0.3).step(p0, grad(p0), SGD(0.3).init(p0))
    g = grad(p0)
    for n in p0:
        for k in p0[n]:
            np.testing.assert_allclose(params[n][k], p0[n][k] - 0.3 * g[n][k], rtol=1e-12)


def test_clipnorm_clips_each_weight_separately():
    params = {"a": {"kernel": np.zeros(2)}, "b": {"bias": np.zeros(2)}}
    grads = {"a": {"kernel": np.array([3.0, 4.0])},       # norm 5: clipped to 1
             "b": {"bias": np.array([0.3, 0.4])}}        # norm 0.5: untouched
    opt = SGD(learning_rate=1.0, clipnorm=1.0)
    new, _ = opt.step(params, grads, opt.init(params))
    np.testing.assert_allclose(new["a"]["kernel"], [-0.6, -0.8], rtol=1e-12)
    np.testing.assert_allclose(new["b"]["bias"], [-0.3, -0.4], rtol=1e-12)


@pytest.mark.parametrize("make", [lambda: Adam(learning_rate=0), lambda: Adam(beta_1=1.0),
                                  lambda: SGD(momentum=1.5), lambda: SGD(clipnorm=-1),
                                  lambda: SGD(learning_rate="fast")])
def test_bad_optimizer_settings(make):
    with pytest.raises(ValueError):
        make()


# --- learning, seeding, float type ---------------------------------------------------------------

def test_training_reduces_loss_on_learnable_task():
    x, y = planted_column(512, seed=6)
    model = small_classifier()
    model.compile(Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=8, verbose=0)
    losses_ = history.history["loss"]
    assert losses_[-1] < 0.3 * losses_[0]
    assert history.history["accuracy"][-1] > 0.95
    x_test, y_test = planted_column(200, seed=7)
    assert model.evaluate(x_test, y_test)[1] > 0.95


def _seeded_run(seed):
    minattn.clear_session()
    minattn.set_random_seed(seed)
    x, y = planted_column(120, seed=8)
    model = small_classifier(dropout=0.3)
    model.compile("adam", loss="binary_crossentropy")
    history = model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    return model.get_weights(), history.history


def test_same_seed_same_run_different_seed_different_run():
    w1, h1 = _seeded_run(11)
    w2, h2 = _seeded_run(11)
    w3, h3 = _seeded_run(12)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert h1 == h2
    assert any(not np.array_equal(a, b) for a, b in zip(w1, w3))
    assert h1["loss"] != h3["loss"]


def test_float32_by_default():
    assert minattn.floatx() == "float32"
    x, y = planted_column(40)                       # float64 data
    model = small_classifier()
    assert all(w.dtype == np.float32 for w in model.get_weights())
    model.compile("adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert model.predict(x).dtype == np.float32


def test_set_floatx_float64_switches(float64):
    x, y = planted_column(40)
    model = small_classifier()
    assert all(w.dtype == np.float64 for w in model.get_weights())
    model.compile("adam", loss="binary_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x.astype(np.float32)).dtype == np.float64


def test_set_floatx_rejects_unknown():
    with pytest.raises(ValueError, match="float16"):
        minattn.set_floatx("float16")
    assert minattn.floatx() == "float32"


# --- non-finite losses ---------------------------------------------------------------------------

def test_nan_loss_stops_with_epoch_and_batch_and_keeps_previous_weights():
    rng = np.random.default_rng(9)
    x, y = rng.standard_normal((64, 3)), rng.standard_normal((64, 2))
    calls = {"n": 0}

    def sometimes_nan_mse(y_true, y_pred):
        calls["n"] += 1
        out = anp.mean((y_pred - y_true) ** 2, axis=-1)
        return out * np.nan if calls["n"] == 6 else out          # 6th batch = epoch 2, batch 2

    minattn.clear_session()
    minattn.set_random_seed(21)
    model = linear_model()
    model.compile(Adam(0.05), loss=sometimes_nan_mse)
    with pytest.warns(TrainingDiverged) as warned:             # issue 13: fit warns and returns
        history = model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    assert re.search(r"epoch 2\b.*batch 2\b", str(warned[0].message)), str(warned[0].message)
    assert history.diverged and history.epoch == [0, 1] and model.history is history

    minattn.clear_session()
    minattn.set_random_seed(21)
    reference = linear_model()
    reference.compile(Adam(0.05), loss="mse")
    reference.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)       # 4 steps
    fifth = reference.evaluate(x[:16], y[:16])       # the 5th step's loss, at the weights kept
    for got, want in zip(model.get_weights(), reference.get_weights()):
        assert np.all(np.isfinite(got))                  # the 5th step led to the NaN loss: undone
        np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(history.history["loss"][1], fifth, rtol=1e-5)   # the partial epoch


def test_exploding_learning_rate_raises_and_weights_stay_finite():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((256, 3)) * 10
    y = x.sum(axis=1, keepdims=True)
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(Dense(8, activation="relu")(inputs)))
    model.compile(SGD(1e3), loss="mse")
    with np.errstate(all="ignore"), pytest.warns(TrainingDiverged, match=r"epoch \d+, batch \d+"):
        history = model.fit(x, y, epochs=5, verbose=0)
    assert history.diverged and "batch" in history.stop_reason
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())


def test_non_finite_gradient_with_finite_loss_keeps_weights():
    """sqrt of an exactly-zero error: finite loss, NaN gradient; the step must not be taken."""
    x = np.random.default_rng(11).standard_normal((32, 3))
    y = x.sum(axis=1, keepdims=True)
    y[0] = 0.0                                     # the zero-initialised model predicts it exactly

    def rmse(y_true, y_pred):
        return anp.sqrt(anp.mean((y_pred - y_true) ** 2, axis=-1))

    inputs = Input((3,))
    model = Model(inputs, Dense(1, kernel_initializer="zeros")(inputs))
    model.compile(SGD(0.1), loss=rmse)
    before = weights_of(model)
    with np.errstate(all="ignore"), pytest.warns(TrainingDiverged, match=r"epoch 1, batch 1\b"):
        history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert history.diverged and history.epoch == []
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


# --- bad input, caught before training ---------------------------------------------------------------

def _fit_kwargs_cases():
    x, y = planted_column(10)
    nan_x = x.copy()
    nan_x[3, 2] = np.nan
    inf_y = y.copy()
    inf_y[4, 0] = np.inf
    return [
        ("lengths", dict(x=x, y=y[:9]), ["same number of samples", "10", "9"]),
        ("x shape", dict(x=x[:, :3], y=y), ["(None, 4)", "(10, 3)"]),
        ("x rank", dict(x=x[:, :, None], y=y), ["(None, 4)", "(10, 4, 1)"]),
        ("x vector", dict(x=x[:, 0], y=y), ["(None, 4)", "(10,)"]),
        ("y flat", dict(x=x, y=y[:, 0]), ["(None, 1)", "(10,)", "broadcast"]),
        ("y wide", dict(x=x, y=np.hstack([y, y])), ["(None, 1)", "(10, 2)"]),
        ("nan x", dict(x=nan_x, y=y), ["nan", "(3, 2)"]),
        ("inf y", dict(x=x, y=inf_y), ["inf", "(4, 0)"]),
        ("batch 0", dict(x=x, y=y, batch_size=0), ["batch_size", "0"]),
        ("batch -1", dict(x=x, y=y, batch_size=-1), ["batch_size", "-1"]),
        ("batch 2.5", dict(x=x, y=y, batch_size=2.5), ["batch_size", "2.5"]),
        ("epochs 0", dict(x=x, y=y, epochs=0), ["epochs", "0"]),
        ("epochs -1", dict(x=x, y=y, epochs=-1), ["epochs", "-1"]),
        ("epochs 2.5", dict(x=x, y=y, epochs=2.5), ["epochs", "2.5"]),
        ("split 1", dict(x=x, y=y, validation_split=1.0), ["validation_split", "1.0"]),
        ("split neg", dict(x=x, y=y, validation_split=-0.1), ["validation_split", "-0.1"]),
        ("val data", dict(x=x, y=y, validation_data=(x[:, :3], y)), ["(None, 4)", "(10, 3)"]),
    ]


@pytest.mark.parametrize("case", _fit_kwargs_cases(), ids=lambda c: c[0])
def test_bad_fit_input_raises_before_training(case, capsys):
    _, kwargs, fragments = case
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy")
    before = weights_of(model)
    with pytest.raises(ValueError) as err:
        model.fit(epochs=kwargs.pop("epochs", 2), verbose=1, **kwargs)
    for fragment in fragments:
        assert fragment in str(err.value), (fragment, str(err.value))
    assert "Epoch" not in capsys.readouterr().out              # not a single epoch started
    assert model.compiled.state is None                        # no optimizer step taken
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_bad_data_for_evaluate_and_predict():
    x, y = planted_column(10)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"\(10,\)"):
        model.evaluate(x, y[:, 0])
    with pytest.raises(ValueError, match=r"\(10, 3\)"):
        model.predict(x[:, :3])
    bad = x.copy()
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        model.predict(bad)


def test_fit_before_compile():
    x, y = planted_column(10)
    with pytest.raises(RuntimeError, match="compile"):
        small_classifier().fit(x, y, verbose=0)


@pytest.mark.parametrize("kwargs,bad", [
    (dict(optimizer="rmsprop", loss="mse"), "rmsprop"),
    (dict(optimizer="adam", loss="mean_sq_error"), "mean_sq_error"),
    (dict(optimizer="adam", loss="mse", metrics=["acuracy"]), "acuracy"),
    (dict(optimizer="adam"), "loss"),
])
def test_unknown_names_at_compile(kwargs, bad):
    with pytest.raises(ValueError, match=bad):
        small_classifier().compile(**kwargs)


def test_unknown_activation_name():
    with pytest.raises(ValueError, match="rleu"):
        Dense(3, activation="rleu")


# --- losses and metrics -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_crossentropy_finite_at_exact_0_and_1(dtype):
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]], dtype=dtype)
    y_pred = np.array([[1.0], [0.0], [0.0], [1.0]], dtype=dtype)     # right, right, wrong, wrong
    values = losses.binary_crossentropy(y_true, y_pred)
    assert np.all(np.isfinite(values))
    assert np.all(values[:2] < 1e-5) and np.all(values[2:] > 10)
    grad = autograd.grad(lambda p: anp.sum(losses.binary_crossentropy(y_true, p)))(y_pred)
    assert np.all(np.isfinite(grad))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_categorical_crossentropies_finite_at_exact_0_and_1(dtype):
    y_pred = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    one_hot = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=dtype)
    labels = np.array([0, 1])
    for values, fn, target in [
            (losses.categorical_crossentropy(one_hot, y_pred), losses.categorical_crossentropy, one_hot),
            (losses.sparse_categorical_crossentropy(labels, y_pred),
             losses.sparse_categorical_crossentropy, labels)]:
        assert np.all(np.isfinite(values))
        assert values[0] < 1e-5 and values[1] > 10
        grad = autograd.grad(lambda p, fn=fn, target=target: anp.sum(fn(target, p)))(y_pred)
        assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels[:, None], y_pred),
                               losses.categorical_crossentropy(one_hot, y_pred))


def _softmax_model(classes=3):
    inputs = Input((4,))
    return Model(inputs, Dense(classes, activation="softmax")(inputs))


def test_accuracy_resolves_to_binary():
    x, y = planted_column(50)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    assert model.compiled.metrics[0] is metrics.binary_accuracy
    _, acc = model.evaluate(x, y)
    assert acc == pytest.approx(np.mean((model.predict(x) > 0.5) == y))


def test_accuracy_resolves_to_categorical():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((60, 4))
    labels = rng.integers(0, 3, 60)
    one_hot = np.eye(3)[labels]
    model = _softmax_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert model.compiled.metrics[0] is metrics.categorical_accuracy
    _, acc = model.evaluate(x, one_hot)
    assert acc == pytest.approx(np.mean(np.argmax(model.predict(x), axis=1) == labels))


@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_accuracy_resolves_to_sparse(label_shape):
    rng = np.random.default_rng(13)
    x = rng.standard_normal((60, 4))
    labels = rng.integers(0, 3, 60)
    y = labels if label_shape == "flat" else labels[:, None]
    model = _softmax_model()
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert model.compiled.metrics[0] is metrics.sparse_categorical_accuracy
    loss, acc = model.evaluate(x, y)
    probs = model.predict(x).astype(np.float64)
    assert acc == pytest.approx(np.mean(np.argmax(probs, axis=1) == labels))
    assert loss == pytest.approx(np.mean(-np.log(probs[np.arange(60), labels])), rel=1e-4)
    history = model.fit(x, y, epochs=2, verbose=0)
    assert len(history.history["accuracy"]) == 2


# --- progress output ---------------------------------------------------------------------------------------

def test_progress_output_format(capsys):
    x, y = planted_column(50)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "Train on 40 samples, validate on 10 samples" in lines
    assert "Epoch 1/2" in lines and "Epoch 2/2" in lines
    epoch_lines = [line for line in lines if "loss:" in line]
    assert len(epoch_lines) == 2
    number = r"\d+\.\d{4}(e-\d+)?"
    pattern = (rf"^40/40 \[=+\] - \d+s \d+[mu]s/sample - loss: {number} - accuracy: {number}"
               rf" - val_loss: {number} - val_accuracy: {number}$")
    for line in epoch_lines:
        assert re.match(pattern, line.split("\r")[-1]), line
    assert lines.index("Epoch 1/2") < lines.index(epoch_lines[0]) < lines.index("Epoch 2/2")


def test_progress_verbose_2_one_line_per_epoch(capsys):
    x, y = planted_column(30)
    model = small_classifier()
    model.compile("adam", loss="mse")
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    loss_lines = [line for line in lines if "loss:" in line]
    assert len(loss_lines) == 2
    assert all("[" not in line and "val_loss" not in line for line in loss_lines)


def test_verbose_0_prints_nothing(capsys):
    x, y = planted_column(30)
    model = small_classifier()
    model.compile("adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.evaluate(x, y)
    model.predict(x)
    assert capsys.readouterr().out == ""
