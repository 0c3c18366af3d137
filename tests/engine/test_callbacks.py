"""fit(callbacks=[...]): Keras's hooks, order and flags; the provided callbacks; divergence keeps the run."""
import csv
import math
import os
import warnings

import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.callbacks import (CSVLogger, Callback, EarlyStopping, LearningRateScheduler,
                               ModelCheckpoint, TerminateOnNaN, TrainingDiverged)
from minattn.layers import Dense
from minattn.optimizers import SGD, Adam

PATHS = {"fast": True, "readable": False}


@pytest.fixture(params=sorted(PATHS))
def path(request):
    """Run the test on the fast and on the readable training path."""
    minattn.set_fused(PATHS[request.param])
    return request.param


def regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)


def linear(optimizer=None):
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(inputs))
    model.compile(optimizer or SGD(0.05), loss="mse")
    return model


class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append(("train_begin",))

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("batch_end", batch, sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.calls.append(("train_end",))


def test_hooks_run_in_keras_order_with_logs(path):
    x, y = regression(20)
    model = linear()
    recorder = Recorder()
    model.fit(x, y, epochs=2, batch_size=8, validation_split=0.2, verbose=0, callbacks=[recorder])
    batches = [("batch_end", b, ["loss"]) for b in range(2)]             # 16 training samples / 8
    epoch_logs = ["loss", "val_loss"]
    assert recorder.calls == ([("train_begin",), ("epoch_begin", 0)] + batches + [("epoch_end", 0, epoch_logs),
                              ("epoch_begin", 1)] + batches + [("epoch_end", 1, epoch_logs), ("train_end",)])
    assert recorder.model is model and recorder.params == {"epochs": 2, "verbose": 0, "steps": 2}


def test_on_batch_end_is_the_old_name_and_stop_training_ends_the_epoch(path):
    class StopAtThirdBatch(Callback):
        def __init__(self):
            super().__init__()
            self.seen = []

        def on_batch_end(self, batch, logs=None):
            self.seen.append(batch)
            if len(self.seen) == 3:
                self.model.stop_training = True
    x, y = regression(32)
    stopper = StopAtThirdBatch()
    history = linear().fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[stopper])
    assert stopper.seen == [0, 1, 2]
    assert history.epoch == [0] and history.stopped and "StopAtThirdBatch" in history.stop_reason


def test_callbacks_must_be_callbacks():
    x, y = regression(8)
    with pytest.raises(TypeError, match=r"callbacks\[1\].*function"):
        linear().fit(x, y, verbose=0, callbacks=[Recorder(), lambda: None])


def test_early_stopping_patience_min_delta_and_restore(path):
    class Scripted(Callback):                  # feeds EarlyStopping a known val_loss sequence
        values = [1.0, 0.5, 0.45, 0.6, 0.7, 0.2]

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = self.values[epoch]
            self.model.layers[1].params["bias"][...] = epoch        # the weights say which epoch they are
    x, y = regression(16)
    model = linear()
    stop = EarlyStopping(monitor="val_loss", patience=2, min_delta=0.1, restore_best_weights=True)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0, callbacks=[Scripted(), stop])
    # 0.45 is not better than 0.5 by more than 0.1; 0.6, 0.7 neither: patience 2 runs out after epoch 3
    assert history.epoch == [0, 1, 2, 3] and stop.stopped_epoch == 3
    assert stop.best == 0.5 and stop.best_epoch == 1
    assert "EarlyStopping" in history.stop_reason
    np.testing.assert_array_equal(model.layers[1].params["bias"], [1.0])     # epoch 1's weights


def test_early_stopping_max_mode_from_accuracy_name():
    assert EarlyStopping(monitor="val_accuracy").better(0.9, 0.8)
    assert EarlyStopping(monitor="loss").better(0.1, 0.2)
    with pytest.raises(ValueError, match="mode='min' or mode='max'"):
        EarlyStopping(monitor="val_something")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=1.5)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="minimum")


def test_early_stopping_on_real_training_stops_when_loss_stalls(path):
    x, y = regression(32)
    model = linear(SGD(1e-9))                  # learns nothing: the loss never improves by min_delta
    history = model.fit(x, y, epochs=10, verbose=0,
                        callbacks=[EarlyStopping(monitor="loss", patience=2, min_delta=1e-3)])
    assert history.epoch == [0, 1, 2]


def test_model_checkpoint_formats_the_name_and_saves_the_best_only(path, tmp_path):
    class Scripted(Callback):
        values = [0.9, 0.5, 0.7, 0.3]

        def on_epoch_end(self, epoch, logs=None):
            logs["val_loss"] = self.values[epoch]
    x, y = regression(16)
    model = linear()
    template = str(tmp_path / "ckpt" / "w-{epoch:02d}-{val_loss:.4f}.npz")     # the folder is created
    model.fit(x, y, epochs=4, batch_size=16, verbose=0,
              callbacks=[Scripted(), ModelCheckpoint(template, save_best_only=True)])
    assert sorted(os.listdir(tmp_path / "ckpt")) == ["w-01-0.9000.npz", "w-02-0.5000.npz", "w-04-0.3000.npz"]
    every = str(tmp_path / "e{epoch}.npz")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[ModelCheckpoint(every, monitor="loss")])
    assert {"e1.npz", "e2.npz"} <= set(os.listdir(tmp_path))
    fresh = linear()
    fresh.load_weights(str(tmp_path / "e2.npz"))
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_model_checkpoint_refuses_other_suffixes_and_unknown_names(tmp_path):
    with pytest.raises(ValueError, match=r"\.npz"):
        ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    x, y = regression(8)
    with pytest.raises(ValueError, match="val_acc"):
        linear().fit(x, y, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.npz"))])


def test_csv_logger_writes_one_row_per_epoch_and_appends(path, tmp_path):
    x, y = regression(16)
    model = linear()
    log = tmp_path / "log.csv"
    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[CSVLogger(str(log))])
    with open(log, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]                 # from 0, as Keras writes it
    np.testing.assert_allclose([float(row[1]) for row in rows[1:]], history.history["loss"], rtol=1e-6)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(str(log), separator=";", append=True)])
    with open(log) as handle:
        lines = handle.read().splitlines()
    assert len(lines) == 6 and lines.count("epoch,loss,val_loss") == 1 and lines[4].startswith("0;")


def test_learning_rate_scheduler_sets_and_logs_the_rate(path, capsys):
    x, y = regression(16)
    model = linear(SGD(0.1))
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: lr / 2 if epoch else lr, verbose=1)])
    assert history.history["learning_rate"] == [0.1, 0.05, 0.025]
    assert model.compiled.optimizer.learning_rate == 0.025
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in capsys.readouterr().out


def test_learning_rate_takes_effect_at_the_next_step(path):
    """Three SGD steps on the full batch with rates 0.1, 0.05, 0.025 equal three manual steps."""
    x, y = regression(16)
    minattn.set_random_seed(3)
    model = linear(SGD(0.1))
    start = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch: 0.1 / 2 ** epoch)])      # Keras's old form
    kernel, bias = [w.astype(np.float64) for w in start]
    for rate in (0.1, 0.05, 0.025):
        error = x @ kernel + bias - y                                     # mse gradient: 2 error / n
        kernel = kernel - rate * 2 * x.T @ error / len(x)
        bias = bias - rate * 2 * error.mean(axis=0)
    np.testing.assert_allclose(model.get_weights()[0], kernel, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], bias, rtol=1e-4, atol=1e-6)


def test_scheduler_output_is_checked():
    x, y = regression(8)
    for bad in (float("inf"), -0.1, True, "0.1"):
        model = linear()
        with pytest.raises(ValueError, match="learning_rate"):
            model.fit(x, y, verbose=0, callbacks=[LearningRateScheduler(lambda epoch, lr, bad=bad: bad)])


# -- divergence ---------------------------------------------------------------------------------

def exploding(n=8, batch_size=2):
    """mse of w * 1 against 0 with SGD(500.5): w <- w (1 - 2 * 500.5) = -1000 w at every step.

    w starts at 1 (float32): the loss w^2 = 1e(6t) at step t+1 overflows float32 (3.4e38) at
    w = 1e21, i.e. at step 8 -- epoch 2, batch 4 with 4 batches per epoch. Step 7's loss
    (1e36) was the last finite one, measured at w = 1e18 (after 6 steps).
    """
    inputs = Input((1,))
    model = Model(inputs, Dense(1, use_bias=False, kernel_initializer="ones")(inputs))
    model.compile(SGD(500.5), loss="mse")
    return model, np.ones((n, 1), np.float32), np.zeros((n, 1), np.float32)


def test_divergence_warns_returns_history_and_keeps_the_last_finite_weights(path):
    model, x, y = exploding()
    with np.errstate(all="ignore"), pytest.warns(TrainingDiverged, match=r"loss became inf at epoch 2, batch 4"):
        history = model.fit(x, y, epochs=5, batch_size=2, shuffle=False, verbose=0)
    assert model.history is history and history.diverged and history.stopped
    assert history.epoch == [0, 1]                               # epoch 1 complete, epoch 2 partial
    assert "epoch 2, batch 4" in history.stop_reason
    np.testing.assert_allclose(history.history["loss"][1], np.mean([1e24, 1e30, 1e36]), rtol=1e-4)
    np.testing.assert_allclose(model.get_weights()[0], [[1e18]], rtol=1e-4)       # w after 6 steps
    assert math.isfinite(model.evaluate(x, y))                                       # 1e36
    model.compile(SGD(0.25), loss="mse")                            # a sane rate: fit goes on from there
    with warnings.catch_warnings():
        warnings.simplefilter("error", TrainingDiverged)
        again = model.fit(x, y, epochs=1, batch_size=2, shuffle=False, verbose=0)
    assert not again.stopped and again.history["loss"][0] < 1e36


def test_terminate_on_nan_sees_the_batch_and_prints(path, capsys):
    model, x, y = exploding()
    with np.errstate(all="ignore"), pytest.warns(TrainingDiverged):
        model.fit(x, y, epochs=5, batch_size=2, shuffle=False, verbose=0, callbacks=[TerminateOnNaN()])
    assert "Batch 3: Invalid loss, terminating training" in capsys.readouterr().out


def test_divergence_still_ends_training_for_the_callbacks(path, tmp_path):
    model, x, y = exploding()
    recorder = Recorder()
    log = tmp_path / "log.csv"
    with np.errstate(all="ignore"), pytest.warns(TrainingDiverged):
        model.fit(x, y, epochs=5, batch_size=2, shuffle=False, verbose=0, callbacks=[recorder, CSVLogger(str(log))])
    assert recorder.calls[-1] == ("train_end",) and ("epoch_end", 1, ["loss"]) in recorder.calls
    assert len(log.read_text().splitlines()) == 3                      # header, epoch 0, partial epoch 1


def test_weights_set_by_a_callback_are_the_ones_trained_on(path):
    """A callback's set_weights between epochs is not overwritten by the training step's own copy."""
    class ZeroAfterFirstEpoch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:
                self.model.set_weights([np.zeros_like(w) for w in self.model.get_weights()])
    x, y = regression(16)
    model = linear(SGD(0.1))
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0, callbacks=[ZeroAfterFirstEpoch()])
    reference = linear(SGD(0.1))
    reference.set_weights([np.zeros_like(w) for w in reference.get_weights()])
    reference.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(got, want)
