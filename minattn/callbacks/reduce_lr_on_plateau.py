"""``ReduceLROnPlateau``: lower the learning rate when a logged value stops improving (Keras's callback)."""
import warnings

from ..arguments import check_finite, check_int
from .base import Callback
from .builtin import improves, settable_optimizer


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for ``patience``
    epochs (Keras's callback and rule).

    At each epoch's end: the rate in use is logged as ``learning_rate``; a
    value that beats the best so far by more than ``min_delta`` (lower in
    "min" mode, higher in "max"; "auto" reads the name) becomes the best and
    resets the count of epochs without improvement. When the count reaches
    ``patience`` and the rate is above ``min_lr``, the rate becomes
    ``max(rate * factor, min_lr)``, the count restarts, and for the next
    ``cooldown`` epochs nothing is counted. The first value always counts as
    an improvement.

    Stricter than Keras: ``factor`` must be in (0, 1) (Keras allows 0 and
    negative factors), an unknown ``mode`` or a name "auto" cannot read is an
    error at once, and an optimizer with a schedule is refused at the start
    of training.

    Args:
        monitor: the logged value to watch, default "val_loss".
        factor: what the rate is multiplied by, in (0, 1), default 0.1.
        patience: epochs without improvement before the rate drops, default 10.
        verbose: 1 prints each change.
        mode: "auto", "min" or "max".
        min_delta: the smallest change that counts as an improvement, default 1e-4.
        cooldown: epochs after a drop during which no epoch is counted, default 0.
        min_lr: the rate never goes below this, default 0.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__()
        self.factor = check_finite(factor, "ReduceLROnPlateau: factor")
        if not 0.0 < self.factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be a number in (0, 1), got {factor!r}")
        self.patience = check_int(patience, "ReduceLROnPlateau: patience")
        self.cooldown = check_int(cooldown, "ReduceLROnPlateau: cooldown")
        self.min_delta = abs(check_finite(min_delta, "ReduceLROnPlateau: min_delta"))
        self.min_lr = check_finite(min_lr, "ReduceLROnPlateau: min_lr")
        if self.min_lr < 0:
            raise ValueError(f"ReduceLROnPlateau: min_lr must be a number >= 0, got {min_lr!r}")
        self.monitor, self.verbose = monitor, verbose
        self.better = improves(mode, monitor)
        self.sign = 1.0 if self.better(0.0, 1.0) else -1.0       # +1 when lower is better
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        if self.model is not None:
            settable_optimizer(self)
        self.best, self.wait, self.cooldown_counter = None, 0, 0

    def is_improvement(self, value):
        return self.best is None or self.better(value + self.sign * self.min_delta, self.best)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = settable_optimizer(self)
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"ReduceLROnPlateau: '{self.monitor}' is not in the logs {sorted(logs)}",
                          RuntimeWarning, stacklevel=2)
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience and self.reduce(optimizer, epoch):
                self.cooldown_counter, self.wait = self.cooldown, 0

    def reduce(self, optimizer, epoch):
        """Lower the rate unless it is at ``min_lr`` already; returns whether it changed."""
        rate = optimizer.learning_rate
        if rate <= self.min_lr:
            return False
        new_rate = max(rate * self.factor, self.min_lr)
        optimizer.learning_rate = new_rate               # the optimizer checks it: finite and > 0
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_rate}.")
        return True
