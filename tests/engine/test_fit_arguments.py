"""fit / evaluate / predict / compile / summary / save_weights / load_weights take Keras 3's
arguments in Keras's order with Keras's meaning; what minattn does not offer is refused by name.

The numbers of sample_weight and class_weight against Keras itself are in
``test_sample_weights_keras.py``; here they are checked against minattn's own
unweighted training (bit for bit) and against each other.
"""
import contextlib
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minattn
from minattn import Input, Model
from minattn.callbacks import Callback
from minattn.layers import Dense, Embedding, GlobalAveragePooling1D
from minattn.optimizers import SGD, Adam

N = 40


def data(loss="mse", seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, 3)).astype(np.float32)
    y = {"mse": lambda: rng.standard_normal((N, 2)),
         "sparse_categorical_crossentropy": lambda: rng.integers(0, 3, N),
         "categorical_crossentropy": lambda: np.eye(3)[rng.integers(0, 3, N)],
         "binary_crossentropy": lambda: rng.integers(0, 2, (N, 1)).astype(float)}[loss]()
    return x, y


def model_for(loss="mse", optimizer=None):
    minattn.clear_session()
    minattn.set_random_seed(1)
    units, activation = {"mse": (2, None), "binary_crossentropy": (1, "sigmoid")}.get(loss, (3, "softmax"))
    inputs = Input((3,))
    model = Model(inputs, Dense(units, activation=activation)(Dense(5, activation="tanh")(inputs)))
    model.compile(optimizer or Adam(0.01), loss=loss)
    return model


def path(readable):
    return minattn.traced() if readable else contextlib.nullcontext()


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.epochs, self.batches = [], 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_signatures_are_keras_3s():
    keras_order = {
        "fit": ["x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split", "validation_data",
                "shuffle", "class_weight", "sample_weight", "initial_epoch", "steps_per_epoch",
                "validation_steps", "validation_batch_size", "validation_freq"],
        "evaluate": ["x", "y", "batch_size", "verbose", "sample_weight", "steps", "callbacks", "return_dict",
                     "kwargs"],
        "predict": ["x", "batch_size", "verbose", "steps", "callbacks"],
        "compile": ["optimizer", "loss", "loss_weights", "metrics", "weighted_metrics", "run_eagerly",
                    "steps_per_execution", "jit_compile", "auto_scale_loss"],
        "save_weights": ["filepath", "overwrite", "max_shard_size"],
        "summary": ["line_length", "positions", "print_fn", "expand_nested", "show_trainable", "layer_range"]}
    for name, order in keras_order.items():
        assert list(inspect.signature(getattr(Model, name)).parameters)[1:] == order, name
    assert list(inspect.signature(Model.load_weights).parameters)[1:3] == ["filepath", "skip_mismatch"]


def test_positional_fit_is_batch_size_then_epochs():
    x, y = data()
    model, recorder = model_for(), Recorder()
    history = model.fit(x, y, 8, 3, 0, [recorder])                  # batch 8, 3 epochs, silent
    assert history.epoch == [0, 1, 2] and recorder.batches == 3 * N // 8
    assert recorder.params["steps"] == N // 8


def test_batch_size_none_is_32_and_verbose_auto_prints(capsys):
    x, y = data()
    model, recorder = model_for(), Recorder()
    model.fit(x, y, callbacks=[recorder])
    assert recorder.params["steps"] == 2 and recorder.batches == 2           # 40 samples: 32 + 8
    assert "Epoch 1/1" in capsys.readouterr().out


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
@pytest.mark.parametrize("loss", ["mse", "sparse_categorical_crossentropy", "binary_crossentropy"])
def test_sample_weights_of_one_train_bit_for_bit_as_none(loss, readable):
    x, y = data(loss)
    results = []
    for weights in (None, np.ones(N)):
        model = model_for(loss)
        minattn.set_random_seed(5)                                          # the same shuffles
        with path(readable):
            history = model.fit(x, y, 8, 2, verbose=0, sample_weight=weights)
        results.append((model.get_weights(), history.history["loss"]))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_array_equal(a, b)
    assert results[0][1] == results[1][1]


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
def test_sample_weights_with_add_loss(readable):
    """With an add_loss term (its gradient added by the one fast step, ``fast.step.FastStep``):
    weights of one are still no weights, bit for bit."""
    from minattn.layers import Lambda
    x, y = data()
    results = []
    for weights in (None, np.ones(N)):
        model = model_for()
        hidden = model.layers[1].output
        model.add_loss(Lambda(lambda h: h * h)(hidden), weight=0.01)
        minattn.set_random_seed(5)
        with path(readable):
            results.append(model.fit(x, y, 8, 2, verbose=0, sample_weight=weights).history["loss"])
    assert results[0] == results[1]


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
def test_sample_weights_change_training_as_the_weighted_loss_says(readable):
    """Weight 2 on every sample is the loss doubled: with SGD the steps are twice as long."""
    x, y = data()
    first = []
    for weights, rate in ((np.full(N, 2.0), 0.05), (None, 0.1)):
        model = model_for(optimizer=SGD(rate))
        with path(readable):
            model.fit(x, y, N, 1, verbose=0, sample_weight=weights)
        first.append(model.get_weights())
    for a, b in zip(*first):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                  "binary_crossentropy"])
def test_class_weight_equals_its_sample_weights(loss):
    x, y = data(loss)
    labels = y.argmax(-1) if y.ndim == 2 and y.shape[1] > 1 else np.round(y).reshape(-1)
    class_weight = {0: 3.0, 1: 0.25}
    equivalent = np.array([class_weight.get(int(c), 1.0) for c in labels])
    runs = []
    for kwargs in ({"class_weight": class_weight}, {"sample_weight": equivalent}):
        model = model_for(loss)
        minattn.set_random_seed(5)
        runs.append((model.fit(x, y, 8, 2, verbose=0, **kwargs).history["loss"], model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)


@settings(max_examples=8, deadline=None)
@given(epochs=st.integers(1, 5), initial=st.integers(0, 5))
def test_initial_epoch_runs_the_remaining_epochs_with_their_indices(epochs, initial):
    x, y = data()
    model, recorder = model_for(), Recorder()
    history = model.fit(x, y, 20, epochs, verbose=0, callbacks=[recorder], initial_epoch=initial)
    assert history.epoch == recorder.epochs == list(range(initial, epochs))
    assert recorder.batches == 2 * max(epochs - initial, 0)
    assert len(history.history.get("loss", [])) == max(epochs - initial, 0)


def test_initial_epoch_prints_the_real_epoch(capsys):
    x, y = data()
    model_for().fit(x, y, epochs=3, initial_epoch=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 3/3" in out and "Epoch 1/3" not in out


def test_validation_freq_and_validation_batch_size():
    x, y = data()
    history = model_for().fit(x, y, 8, 4, verbose=0, validation_split=0.25, validation_freq=2,
                              validation_batch_size=3)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_validation_data_with_sample_weights():
    x, y = data()
    model = model_for()
    zero_first = np.r_[np.zeros(10), np.ones(10)]
    history = model.fit(x[:20], y[:20], 8, 1, verbose=0, validation_data=(x[20:], y[20:], zero_first))
    assert np.isclose(history.history["val_loss"][0],
                      model.evaluate(x[20:], y[20:], verbose=0, sample_weight=zero_first), rtol=1e-6)
    half = model.evaluate(x[30:], y[30:], verbose=0) / 2           # zero weights count in the divisor (Keras)
    assert np.isclose(history.history["val_loss"][0], half, rtol=1e-5)


def test_evaluate_return_dict_and_weights():
    x, y = data("sparse_categorical_crossentropy")
    model = model_for("sparse_categorical_crossentropy")
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] and logs["loss"] == model.evaluate(x, y, verbose=0)[0]
    per_sample = minattn.losses.sparse_categorical_crossentropy(y, model.predict(x, verbose=0))
    w = np.linspace(0, 2, N)
    assert np.isclose(model.evaluate(x, y, 7, 0, w)[0], np.sum(w * per_sample) / N, rtol=1e-5)


def test_predict_returns_the_models_float_type():
    minattn.clear_session()
    inputs = Input((3,))
    model = Model(inputs, Dense(2)(inputs))
    out = model.predict(np.arange(6).reshape(2, 3), verbose=0)           # integer input
    assert out.dtype == np.float32
    tokens = Input((4,))
    pooled = GlobalAveragePooling1D()(Embedding(10, 3)(tokens))
    assert Model(tokens, pooled).predict(np.array([[1, 2, 3, 0]]), verbose=0).dtype == np.float32


@pytest.mark.parametrize("call, name", [
    (lambda m, x, y: m.fit(x, y, steps_per_epoch=2, verbose=0), "steps_per_epoch"),
    (lambda m, x, y: m.fit(x, y, validation_steps=2, verbose=0), "validation_steps"),
    (lambda m, x, y: m.evaluate(x, y, steps=1, verbose=0), "steps"),
    (lambda m, x, y: m.evaluate(x, y, callbacks=[Callback()], verbose=0), "callbacks"),
    (lambda m, x, y: m.predict(x, steps=1), "steps"),
    (lambda m, x, y: m.compile("adam", "mse", jit_compile=True), "jit_compile"),
    (lambda m, x, y: m.compile("adam", "mse", loss_weights=[1.0]), "loss_weights"),
    (lambda m, x, y: m.compile("adam", "mse", weighted_metrics=["mae"]), "weighted_metrics"),
    (lambda m, x, y: m.compile("adam", "mse", steps_per_execution=4), "steps_per_execution"),
    (lambda m, x, y: m.summary(expand_nested=True), "expand_nested"),
    (lambda m, x, y: m.summary(show_trainable=True), "show_trainable"),
    (lambda m, x, y: m.load_weights("w.npz", skip_mismatch=True), "skip_mismatch"),
    (lambda m, x, y: m.save_weights("w.npz", max_shard_size=10), "max_shard_size"),
    (lambda m, x, y: m.fit(x, y, verbose="loud"), "verbose"),
    (lambda m, x, y: m.fit(x, y, shuffle="batch", verbose=0), "shuffle"),
    (lambda m, x, y: m.fit(x, y, initial_epoch=-1, verbose=0), "initial_epoch"),
    (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(N - 1), verbose=0), "sample_weight"),
    (lambda m, x, y: m.fit(x, y, sample_weight=-np.ones(N), verbose=0), "sample_weight"),
    (lambda m, x, y: m.fit(x, y, sample_weight=np.ones(N), class_weight={0: 1.0}, verbose=0), "class_weight"),
])
def test_what_minattn_does_not_offer_is_refused_by_name(call, name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    x, y = data()
    model = model_for()
    before = model.get_weights()
    with pytest.raises(ValueError, match=name):
        call(model, x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_unknown_keyword_of_evaluate_is_a_type_error():
    x, y = data()
    with pytest.raises(TypeError, match="'step'"):
        model_for().evaluate(x, y, step=1)


def test_execution_options_minattn_honours_are_accepted():
    model = model_for()
    model.compile("adam", "mse", run_eagerly=True, jit_compile=False, auto_scale_loss=False)
    x, y = data()
    assert np.isfinite(model.fit(x, y, verbose=0).history["loss"][0])


def test_summary_line_length_and_positions():
    lines = []
    model_for().summary(line_length=60, positions=[20, 35, 45, 60], print_fn=lines.append)
    table = lines[0].splitlines()
    assert table[0] == "_" * 60 and table[1].startswith("Layer (type)" + " " * 8 + "Output Shape")


@pytest.mark.parametrize("weights_shape", [(5,), (5, 3)], ids=["per-sample", "per-step"])
@pytest.mark.parametrize("name", ["mean_squared_error", "binary_crossentropy"])
def test_weighted_hand_written_losses_are_the_readable_weighted_mean(name, weights_shape):
    """The fast step's hand-written losses with sample weights (``fast.losses.loss_with_grad``):
    value and gradient equal the readable ``losses.batch_mean`` and autograd's gradient of it
    (float64), and that readable weighted mean passes a central-difference check."""
    import autograd
    from minattn import gradcheck, losses
    from minattn.fast import losses as fast_losses
    rng = np.random.default_rng(4)
    y_true = rng.uniform(0, 1, (5, 3, 2)).round()
    y_pred = rng.uniform(0.05, 0.95, (5, 3, 2))
    weights = rng.uniform(0, 2, weights_shape)
    readable = getattr(losses, name)
    assert readable in fast_losses.WEIGHTED
    value, gradient = fast_losses.loss_with_grad(readable)(y_true, y_pred, weights)
    np.testing.assert_allclose(value, losses.batch_mean(readable, y_true, y_pred, weights), rtol=1e-12)
    np.testing.assert_allclose(gradient,
                               autograd.grad(lambda p: losses.batch_mean(readable, y_true, p, weights))(y_pred),
                               rtol=1e-10, atol=1e-14)
    report = gradcheck.check_grads(lambda p: losses.batch_mean(readable, y_true, p["y_pred"], weights),
                                   {"y_pred": y_pred})
    assert max(report.values()) <= 1e-5


@settings(max_examples=15, deadline=None)
@given(counts=st.lists(st.integers(0, 3), min_size=N, max_size=N).filter(any),
       loss=st.sampled_from(["mse", "sparse_categorical_crossentropy", "binary_crossentropy"]))
def test_integer_sample_weights_are_repeated_samples(counts, loss):
    """Keras's weighted loss sum(w * loss) / n: whole-number weights k_i are sample i repeated
    k_i times, rescaled by (number of repeated samples) / n."""
    x, y = data(loss)
    model = model_for(loss)
    counts = np.array(counts)
    weighted = model.evaluate(x, y, N, 0, counts)
    repeated = model.evaluate(np.repeat(x, counts, axis=0), np.repeat(y, counts, axis=0), N, 0)
    np.testing.assert_allclose(weighted * N, repeated * counts.sum(), rtol=1e-5)
