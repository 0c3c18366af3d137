"""``fit(callbacks=[...])``: code run at the start and end of training, of each epoch and batch.

Keras's names and meanings: a ``Callback`` overrides the hooks it needs;
``fit`` calls, in this order,

    on_train_begin
      on_epoch_begin(epoch)                       # epoch counts from 0
        on_train_batch_begin(batch) / on_train_batch_end(batch, logs)   # per batch
      on_epoch_end(epoch, logs)                   # logs: loss, metrics, val_...
    on_train_end

and a callback stops training by setting ``self.model.stop_training = True``
(checked after every batch and every epoch). Batch logs hold the epoch's
running means so far, epoch logs the epoch's means and the validation values.

Provided: ``History`` (always added, last), ``EarlyStopping``,
``ModelCheckpoint``, ``CSVLogger``, ``LearningRateScheduler``,
``ReduceLROnPlateau``, ``TerminateOnNaN``.

The code: ``base.py`` -- the hooks, ``CallbackList``, ``History`` and what
a diverged step raises; ``builtin.py`` -- the callbacks above but one;
``reduce_lr_on_plateau.py`` -- ``ReduceLROnPlateau``.

Divergence: ``fit`` itself stops at a step whose loss or weight update is not
finite, before applying it, warns with ``TrainingDiverged`` (naming the epoch
and batch) and returns the History; see ``Model.fit``.
"""
from .base import (Callback, CallbackList, History, StepDiverged, TrainingDiverged, as_callbacks,
                   check_step)
from .builtin import CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint, TerminateOnNaN, improves
from .reduce_lr_on_plateau import ReduceLROnPlateau

__all__ = ["Callback", "History", "EarlyStopping", "ModelCheckpoint", "CSVLogger",
           "LearningRateScheduler", "ReduceLROnPlateau", "TerminateOnNaN", "TrainingDiverged"]
