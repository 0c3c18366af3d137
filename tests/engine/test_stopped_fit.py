"""A stopped fit keeps its record: ``model.history`` holds the epochs completed, whatever ends
the fit (an exception in a callback, Ctrl-C, ``stop_training``, divergence), and Ctrl-C keeps
the weights and optimizer state of the last completed step and re-raises ``KeyboardInterrupt``.
"""
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.callbacks import Callback, TrainingDiverged
from minattn.layers import Dense
from minattn.optimizers import SGD, Adam

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
N = 32


def data(scale=1.0):
    rng = np.random.default_rng(0)
    return rng.standard_normal((N, 3)).astype(np.float32), scale * rng.standard_normal((N, 1))


def build(optimizer=None):
    minattn.clear_session()
    minattn.set_random_seed(2)
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(Dense(6, activation="tanh")(inputs)))
    model.compile(optimizer or Adam(0.01), loss="mse")
    return model


def path(readable):
    return minattn.traced() if readable else contextlib.nullcontext()


class RaiseAt(Callback):
    """Raises ``error`` at the start of batch ``batch`` of epoch ``epoch``; records the weights after every step."""

    def __init__(self, epoch, batch, error):
        super().__init__()
        self.at, self.error, self.epoch, self.after_step = (epoch, batch), error, None, None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise self.error

    def on_train_batch_end(self, batch, logs=None):
        self.after_step = [w.copy() for w in self.model.get_weights()]


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
@pytest.mark.parametrize("error", [KeyboardInterrupt, ValueError("a bug in a callback")], ids=["ctrl-c", "error"])
def test_an_exception_in_a_callback_keeps_the_epochs_done_and_the_last_steps_weights(error, readable):
    x, y = data()
    model = build()
    previous = model.fit(x, y, 8, 1, verbose=0)
    callback = RaiseAt(2, 1, error)
    with path(readable), pytest.raises(type(error) if isinstance(error, Exception) else error):
        model.fit(x, y, 8, 5, verbose=0, callbacks=[callback])
    assert model.history is not previous and model.history.epoch == [0, 1]
    assert len(model.history.history["loss"]) == 2
    for kept, recorded in zip(model.get_weights(), callback.after_step):
        np.testing.assert_array_equal(kept, recorded)


def test_a_fit_stopped_before_its_first_epoch_end_leaves_the_previous_history():
    x, y = data()
    model = build()
    previous = model.fit(x, y, 8, 1, verbose=0)
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, 8, 3, verbose=0, callbacks=[RaiseAt(0, 2, KeyboardInterrupt)])
    assert model.history is previous                           # as Keras: set at an epoch's end


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
def test_after_ctrl_c_training_resumes_exactly(readable):
    """Interrupted at the start of epoch 2, then resumed with initial_epoch=1: the weights are
    bit for bit those of an uninterrupted run -- Adam's state was kept with the weights."""
    x, y = data()
    with path(readable):
        straight = build()
        straight.fit(x, y, 8, 3, verbose=0, shuffle=False)
        resumed = build()
        with pytest.raises(KeyboardInterrupt):
            resumed.fit(x, y, 8, 3, verbose=0, shuffle=False, callbacks=[RaiseAt(1, 0, KeyboardInterrupt)])
        resumed.fit(x, y, 8, 3, verbose=0, shuffle=False, initial_epoch=1)
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_stop_training_and_divergence_set_model_history():
    x, y = data()
    model = build()

    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.model.stop_training = epoch == 1

    history = model.fit(x, y, 8, 9, verbose=0, callbacks=[StopAfterTwo()])
    assert model.history is history and history.epoch == [0, 1]
    model = build(SGD(1e6))
    with pytest.warns(TrainingDiverged):
        history = model.fit(x, y, 8, 9, verbose=0)
    assert model.history is history and history.diverged


def diverge(x, y, optimizer):
    model = build(optimizer)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, 8, 50, verbose=0, shuffle=False)
    messages = [str(w.message) for w in caught if issubclass(w.category, TrainingDiverged)]
    assert len(messages) == 1
    return messages[0]


def test_the_divergence_warning_names_large_targets():
    x, y = data(scale=1e19)                  # finite in float32; its squares are not
    message = diverge(x, y, SGD(1e-9))
    assert "targets are large (max |y| = " in message and "scale them" in message


def test_the_divergence_warning_names_a_growing_loss():
    x, y = data()
    message = diverge(x, y, SGD(3.0))
    assert "the loss grew for the last" in message and "learning rate 3" in message


CHILD = textwrap.dedent("""
    import json, numpy as np, minattn
    from minattn import Input, Model
    from minattn.callbacks import Callback
    from minattn.layers import Dense
    from minattn.optimizers import SGD

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 3)).astype(np.float32), rng.standard_normal((64, 1))

    def build():
        minattn.clear_session()
        minattn.set_random_seed(0)
        inputs = Input((3,))
        model = Model(inputs, Dense(1)(Dense(32, activation="tanh")(inputs)))
        model.compile(SGD(1e-3), loss="mse")
        return model

    class Watch(Callback):
        before, epochs_done = None, 0
        def on_train_batch_begin(self, batch, logs=None):
            self.before = (batch, [w.copy() for w in self.model.get_weights()])
        def on_epoch_end(self, epoch, logs=None):
            self.epochs_done = epoch + 1
            if epoch == 1:
                print("ready", flush=True)

    model, watch = build(), Watch()
    try:
        model.fit(x, y, 16, 10**6, verbose=0, shuffle=False, callbacks=[watch])
        outcome = "finished"
    except KeyboardInterrupt:
        outcome = "interrupted"
    kept = model.get_weights()
    batch, before = watch.before
    same = lambda a, b: all(np.array_equal(u, v) for u, v in zip(a, b))
    if same(kept, before):
        consistent = True              # stopped before the step's update: nothing of it applied
    else:                              # stopped after it: the whole step, nothing else
        replay = build()
        replay.set_weights(before)
        replay.fit(x[16 * batch:16 * batch + 16], y[16 * batch:16 * batch + 16], 16, 1, verbose=0, shuffle=False)
        consistent = same(kept, replay.get_weights())
    print(json.dumps({"outcome": outcome, "consistent": consistent, "epochs": model.history.epoch,
                      "watched": watch.epochs_done}))
""")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_sigint_during_fit_keeps_the_last_steps_weights_and_the_history(delay):
    env = dict(os.environ, PYTHONPATH=ROOT)
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "ready"
        time.sleep(delay)
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report["outcome"] == "interrupted" and report["consistent"]
    epochs = report["epochs"]
    assert epochs == list(range(len(epochs))) and report["watched"] >= 2
    assert report["watched"] - len(epochs) in (0, 1)   # 1: stopped between Watch's and History's epoch end


def test_a_sigint_inside_a_deferred_block_waits_for_its_end():
    from minattn.interrupts import deferrable, deferred_interrupt
    reached = []
    with pytest.raises(KeyboardInterrupt):
        with deferrable():
            with deferred_interrupt():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.01)                     # the handler runs here and only notes the signal
                reached.append("end of block")
            reached.append("after the block")
    assert reached == ["end of block"]
    with pytest.raises(KeyboardInterrupt), deferrable():
        os.kill(os.getpid(), signal.SIGINT)           # outside a deferred block: at once
        time.sleep(0.01)
        reached.append("not reached")
    assert reached == ["end of block"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
