"""The callback machinery ``fit`` runs: ``Callback`` (every hook, doing nothing),
``CallbackList`` (one ``fit``'s callbacks, in order), ``History`` (what ``fit``
returns), and what a diverged step raises and warns (``StepDiverged``,
``TrainingDiverged``, ``check_step``).

The callbacks a user adds are in ``builtin.py``; all of them are imported
from ``minattn.callbacks``.
"""
import math
import time


class TrainingDiverged(RuntimeWarning):
    """Warned by ``fit`` when a step's loss or weight update is not finite and training stops."""


class StepDiverged(FloatingPointError):
    """Raised by a training step that found a non-finite loss or update and applied nothing.

    Attributes:
        loss: the step's loss (non-finite, or finite when the update was not).
    """

    def __init__(self, message, loss):
        super().__init__(message)
        self.loss = loss


def check_step(loss, weights_finite, undo_last_step):
    """Raise ``StepDiverged`` unless the loss and the new weights are finite.

    A non-finite loss was computed at the weights the previous step produced,
    so ``undo_last_step()`` is called first: the weights go back to those
    whose loss was last seen finite.
    """
    if not math.isfinite(loss):
        undo_last_step()
        raise StepDiverged(f"loss became {loss}", loss)
    if not weights_finite:
        raise StepDiverged(f"a weight update became non-finite (loss {loss})", loss)


class Callback:
    """Base class: every hook does nothing. ``self.model`` is the model being trained.

    ``self.params`` holds ``fit``'s settings: ``epochs``, ``steps`` (batches
    per epoch), ``verbose``. ``on_batch_begin`` / ``on_batch_end`` are the
    older names of ``on_train_batch_begin`` / ``on_train_batch_end``, which
    call them (as in Keras), so overriding either works.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """The callbacks of one ``fit``, called in order; remembers which one stopped training."""

    def __init__(self, callbacks, model, params):
        callbacks = list(callbacks)
        for i, callback in enumerate(callbacks):
            if not isinstance(callback, Callback):
                raise TypeError(f"fit: callbacks[{i}] must be a minattn.callbacks.Callback, got "
                                f"{type(callback).__name__}")
            callback.set_model(model)
            callback.set_params(params)
        self.callbacks, self.model = callbacks, model
        self.stopped_by = None                        # the class name of the callback that stopped training
        # Only these run any code per batch; with none, fit builds no batch logs and calls nothing.
        self.per_batch = [callback for callback in callbacks if _has_batch_hooks(callback)]
        self.runs_user_code = any(type(callback) is not History for callback in callbacks)

    def call(self, hook, *args):
        for callback in self.callbacks:
            getattr(callback, hook)(*args)
            if self.model.stop_training and self.stopped_by is None:
                self.stopped_by = type(callback).__name__

    def call_batch(self, hook, batch, logs):
        """A batch hook, on the callbacks that have batch hooks; ``logs()`` makes their logs."""
        if self.per_batch:
            logs = logs()
            for callback in self.per_batch:
                getattr(callback, hook)(batch, logs)
                if self.model.stop_training and self.stopped_by is None:
                    self.stopped_by = type(callback).__name__


BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def _has_batch_hooks(callback):
    """True when the callback's class overrides any batch hook of ``Callback``."""
    return any(getattr(type(callback), hook) is not getattr(Callback, hook) for hook in BATCH_HOOKS)


class History(Callback):
    """What ``fit`` returns (also ``model.history``): ``history.history["loss"]`` per epoch, etc.

    Attributes:
        history: ``{name: [value per epoch]}`` -- loss, metrics, val_ values.
        epoch: the epoch numbers recorded (from 0; from ``initial_epoch`` when given).
        seconds: wall-clock seconds of each epoch (training + validation).
        stopped: True when training ended before the requested epochs.
        stop_reason: None, or why it stopped (a callback, or divergence with
            the epoch and batch).
        diverged: True when a non-finite loss or update stopped training; the
            last entry is then the partial epoch (its completed batches).
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        self.seconds = []
        self.stop_reason = None
        self.diverged = False
        self._started = None

    @property
    def stopped(self):
        return self.stop_reason is not None

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._started if self._started is not None else 0.0
        self.append(epoch, dict(logs or {}), seconds)
        if self.model is not None:
            self.model.history = self         # as Keras: a fit stopped later keeps the epochs done

    def append(self, epoch, logs, seconds):
        self.epoch.append(epoch)
        self.seconds.append(seconds)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        stopped = f", stopped: {self.stop_reason}" if self.stopped else ""
        return f"<History {len(self.epoch)} epochs: {sorted(self.history)}{stopped}>"


def as_callbacks(callbacks):
    """``fit``'s ``callbacks`` argument as a list (None -> [])."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        return [callbacks]
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"fit: callbacks must be a list of Callback, got {type(callbacks).__name__}")
    return list(callbacks)
