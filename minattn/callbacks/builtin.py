"""The callbacks a user adds to ``fit(callbacks=[...])``, with Keras's names and meanings:
``EarlyStopping``, ``ModelCheckpoint``, ``CSVLogger``, ``LearningRateScheduler``,
``TerminateOnNaN`` (and ``improves``, how a monitored value is judged better).
``ReduceLROnPlateau`` is in ``reduce_lr_on_plateau.py``.

Each overrides the hooks of ``base.Callback`` it needs.
"""
import csv
import math
import os
import warnings

from ..arguments import check_finite, check_int
from ..optimizers.schedules import LearningRateSchedule
from .base import Callback


# -- watching a logged value ------------------------------------------------------------
def improves(mode, monitor):
    """``(current, best) -> bool`` for mode "min" / "max" / "auto" (from the name, as Keras does).

    Stricter than Keras: an unknown ``mode`` is an error (Keras warns and uses
    "auto"), and so is a name "auto" cannot read, at once rather than at the
    first epoch's end.
    """
    if not isinstance(monitor, str):
        raise TypeError(f"monitor must be the name of a logged value, e.g. 'val_loss', got {monitor!r}")
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        name = monitor[4:] if monitor.startswith("val_") else monitor
        if name.endswith("loss") or name in ("mse", "mae", "mean_squared_error", "mean_absolute_error"):
            mode = "min"
        elif name.endswith("accuracy") or name == "acc":
            mode = "max"
        else:
            raise ValueError(f"cannot tell whether {monitor!r} should go up or down: pass "
                             "mode='min' or mode='max'")
    return (lambda current, best: current < best) if mode == "min" else (lambda current, best: current > best)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras's rule).

    An epoch improves when its value beats the best so far by more than
    ``min_delta`` (lower in "min" mode, higher in "max"; "auto" reads the
    name: losses go down, accuracies up). After ``patience`` epochs without
    improvement (and never at the first epoch) it sets
    ``model.stop_training``. With ``restore_best_weights`` the model gets the
    weights of the best epoch back at the end of training, whether or not it
    stopped early.

    Args:
        monitor: the logged value to watch, default "val_loss".
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        patience: epochs without improvement before stopping (default 0).
        verbose: 1 prints when it stops or restores.
        mode: "auto", "min" or "max".
        baseline: a value to beat; epochs that do not beat it count as no improvement.
        restore_best_weights: restore the best epoch's weights at the end.
        start_from_epoch: epochs to wait before watching (warm-up).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.verbose, self.restore_best_weights = monitor, verbose, restore_best_weights
        self.min_delta = abs(check_finite(min_delta, "EarlyStopping: min_delta"))
        self.patience = check_int(patience, "EarlyStopping: patience")
        self.start_from_epoch = check_int(start_from_epoch, "EarlyStopping: start_from_epoch")
        self.baseline = None if baseline is None else check_finite(baseline, "EarlyStopping: baseline")
        self.better = improves(mode, monitor)
        self.sign = 1.0 if self.better(0.0, 1.0) else -1.0       # +1 when lower is better

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best = math.inf * self.sign
        self.best_weights = None

    def is_improvement(self, value, reference):
        return self.better(value + self.sign * self.min_delta, reference)   # beats it by more than min_delta

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"EarlyStopping: '{self.monitor}' is not in the logs {sorted(logs or {})}",
                          RuntimeWarning, stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the weights at the end of every epoch (or only the best), atomically.

    ``filepath`` may hold ``{epoch}`` (counted from 1, as Keras names files),
    ``{epoch:02d}`` and any logged value, e.g. ``"ckpt/{epoch:02d}-{val_loss:.4f}.npz"``;
    it must end in ``.npz``. Missing folders are created. Each file is
    written by ``model.save_weights``: to a temporary file first, then moved
    into place, so an interrupted save never leaves a broken checkpoint.

    Args:
        filepath: the file name (template) to write.
        monitor: the logged value ``save_best_only`` compares (default "val_loss").
        verbose: 1 prints each save.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: accepted for Keras code; minattn saves the weights
            either way (there is no whole-model format).
        mode: "auto", "min" or "max" (see ``EarlyStopping``).
        initial_value_threshold: a value the first saved epoch must beat.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", initial_value_threshold=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        if not self.filepath.endswith(".npz"):
            raise ValueError(f"ModelCheckpoint: filepath must end in '.npz' (minattn writes .npz "
                             f"weights files), got {self.filepath!r}")
        self.monitor, self.verbose = monitor, verbose
        self.save_best_only, self.save_weights_only = bool(save_best_only), bool(save_weights_only)
        self.better = improves(mode, monitor)
        self.best = None if initial_value_threshold is None else \
            check_finite(initial_value_threshold, "ModelCheckpoint: initial_value_threshold")

    def path_for(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"ModelCheckpoint: cannot fill in {self.filepath!r} ({err!r}); the "
                             f"names available are epoch and {sorted(logs)}") from None

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        path = self.path_for(epoch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(f"ModelCheckpoint: can save the best model only with '{self.monitor}' "
                              f"in the logs {sorted(logs)}; saving every epoch", RuntimeWarning, stacklevel=2)
            elif self.best is not None and not self.better(current, self.best):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            else:
                self.best = current
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.model.save_weights(path)
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: saved the weights to {path}")


class CSVLogger(Callback):
    """Write one row per epoch to a CSV file: ``epoch`` (from 0, as Keras) then the logs, sorted.

    Args:
        filename: the CSV file.
        separator: the column separator (default ",").
        append: add to an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, bool(append)
        self.file, self.writer, self.keys = None, None, None

    def on_train_begin(self, logs=None):
        write_header = not (self.append and os.path.exists(self.filename) and os.path.getsize(self.filename))
        self.file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self.writer, self.keys, self.write_header = None, None, write_header

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.writer is None:
            self.keys = sorted(logs)
            self.writer = csv.writer(self.file, delimiter=self.separator)
            if self.write_header:
                self.writer.writerow(["epoch"] + self.keys)
        self.writer.writerow([epoch] + [logs.get(key, "NA") for key in self.keys])
        self.file.flush()

    def on_train_end(self, logs=None):
        if self.file is not None and not self.file.closed:
            self.file.close()


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch to ``schedule(epoch, lr)``.

    ``epoch`` counts from 0; ``lr`` is the current rate. A schedule taking
    only ``epoch`` also works (Keras's old form). The rate in use is logged
    as ``learning_rate`` at the end of each epoch. The readable and the fast
    training steps both read ``optimizer.learning_rate`` at every step.

    Args:
        schedule: ``(epoch, lr) -> new lr``, a positive finite number.
        verbose: 1 prints each new rate.
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function (epoch, lr) -> lr, "
                            f"got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.compiled.optimizer
        try:
            rate = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:
            rate = self.schedule(epoch)
        optimizer.learning_rate = rate                   # the optimizer checks it: finite and > 0
        if self.verbose > 0:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.compiled.optimizer.learning_rate)

    def on_train_begin(self, logs=None):
        settable_optimizer(self)


def settable_optimizer(callback):
    """The model's optimizer, checked to have a number as its rate: the rate of an optimizer built
    with a schedule (``minattn.optimizers.schedules``) cannot be set, as in Keras, so the callbacks
    that set it refuse it when training starts (Keras fails at the first change)."""
    optimizer = callback.model.compiled.optimizer
    if isinstance(optimizer.learning_rate, LearningRateSchedule):
        raise TypeError(f"{type(callback).__name__}: the optimizer's learning rate is the schedule "
                        f"{optimizer.learning_rate!r}, which sets the rate at every step and cannot be "
                        "changed by a callback (Keras refuses it too); give the optimizer a number as "
                        "learning_rate, or leave this callback out")
    return optimizer


class TerminateOnNaN(Callback):
    """Stop training at a batch whose logged loss is NaN or infinite (Keras's callback).

    ``fit`` already stops at a non-finite loss or update on its own, before
    applying the step (see ``TrainingDiverged``); this callback sees that
    batch's loss too, prints Keras's message and sets ``model.stop_training``.
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
