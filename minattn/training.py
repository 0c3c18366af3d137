"""compile / fit / evaluate / predict: the one training loop.

One training step on the readable path is exactly

    loss, grads = value_and_grad(batch_loss)(params, x_batch, y_batch, rng)
    params, state = optimizer.step(params, grads, state)

``batch_loss`` runs the model's pure ``apply`` and averages the loss (plus
any ``model.add_loss`` terms); autograd traces it and gives the gradient of
every weight as a tree shaped like ``params``; the optimizer returns new
weights and its new state. Nothing else happens in between.

On the fast path (the default) ``fit`` runs ``minattn.fast.step.FastStep``
instead: the same loss and the same update rule, on one flat weight buffer,
each layer's hand-written backward pass called directly (its record, in
``minattn.fast``). Both give the same numbers to float rounding;
``with minattn.readable():`` chooses the readable one.
"""
import collections
import copy
import dataclasses
import warnings

import numpy as np
from autograd import value_and_grad

from . import config, losses, metrics, optimizers
from .callbacks import CallbackList, History, StepDiverged, TrainingDiverged, as_callbacks, check_step
from .arguments import check_fraction, check_int, check_positive_int
from .data_checks import as_list, check_one_float_type
from .divergence import RECENT_LOSSES, likely_cause
from .evaluation import evaluate_arrays, logs_from, prepare_xy, require_compiled
from .fast.step import FastStep
from .interrupts import deferrable
from .method_arguments import batch_size_or_default, refuse_unless_default, verbose_level
from .progress import ProgressLine
from .weights import Weights
from .pytree import tree_leaves
from .sample_weights import sample_weights_for

__all__ = ["History", "fit"]


class Compiled:
    """What ``compile`` fixes: optimizer, loss per output, metrics, and the optimizer's state."""

    def __init__(self, model, optimizer, loss, metric_names):
        self.optimizer = optimizers.get(optimizer)
        loss_list = loss if isinstance(loss, (list, tuple)) else [loss] * len(model.outputs)
        if len(loss_list) != len(model.outputs):
            raise ValueError(f"compile: model '{model.name}' has {len(model.outputs)} outputs, "
                             f"got {len(loss_list)} losses")
        self.losses = [losses.get(item) for item in loss_list]
        metric_list = metrics.as_metric_list(metric_names)
        self.metrics = [metrics.get(item, self.losses[0]) for item in metric_list]
        self.metric_names = [metrics.name_of(item) for item in metric_list]
        check_one_float_type(model, "compile")
        self.state = None         # the optimizer's state, kept from one fit to the next
        self.model = model

    def batch_loss(self, params, xs, ys, rng, sample_weights=None):
        """Mean loss over a batch, summed over outputs, plus the ``add_loss`` terms.

        A pure function of ``params``: one forward pass (Dropout on, drawing
        from ``rng``) gives the predictions and each added term
        ``weight * mean(tensor)``. ``sample_weights`` (None, or one array per
        output) weight each output's loss as Keras does (``losses.batch_mean``).
        """
        outputs, added = self.model.apply_with_losses(params, *xs, training=True, rng=rng)
        weights = sample_weights or [None] * len(ys)
        return losses.total_loss([losses.batch_mean(loss_fn, y, y_pred, w) for loss_fn, y, y_pred, w
                                  in zip(self.losses, ys, as_list(outputs), weights)], added)

    def metric_values(self, ys, preds):
        """Each metric's mean over the batch (first output, as Keras names them)."""
        return [float(np.mean(fn(ys[0], preds[0]))) for fn in self.metrics]


class ReadableSteps:
    """The readable path's training steps: ``value_and_grad`` then ``optimizer.step``, on trees.

    The weights and the optimizer state live in one owner, ``weights.Weights``
    (the same as on the fast path): the layers hold views into its buffer, so
    they always show the latest weights, and it keeps the weights before the
    last step, so a step whose loss turns out non-finite can be taken back.
    """

    def __init__(self, model, compiled):
        self.model, self.compiled = model, compiled
        self.weights = Weights(model, compiled)

    def follow_model(self):
        """Take the layers' weights if something (a callback) gave them new arrays since the last step."""
        self.weights.follow_model()

    def __enter__(self):                  # nothing to set up or restore (FastStep sets BLAS threads)
        return self

    def __exit__(self, *exc_info):
        return False

    def train_on_batch(self, xs, ys, rng, sample_weights=None):
        """One step; returns ``(loss, predictions)``. If the loss or the new weights are not finite
        it raises ``StepDiverged`` and applies nothing; a non-finite loss also undoes the previous
        step, so the weights are those of the last finite loss. ``sample_weights``: None, or one
        array per output."""
        compiled = self.compiled
        rng_before = copy.deepcopy(rng) if compiled.metrics else None       # the same Dropout draws

        weights = self.weights                        # the one owner: the layers hold its views
        params, state = weights.tree, weights.state
        loss, grads = value_and_grad(compiled.batch_loss)(params, xs, ys, rng, sample_weights)
        params, state = compiled.optimizer.step(params, grads, state)
        check_step(loss, all(np.all(np.isfinite(w)) for w in tree_leaves(params)), weights.undo_last_step)
        preds = None
        if compiled.metrics:              # the predictions the loss saw, for the metrics
            preds = as_list(self.model.apply_with_losses(weights.tree, *xs, training=True, rng=rng_before)[0])
        weights.step_to(params, state)                 # the layers' views show the new weights
        return float(loss), preds


@dataclasses.dataclass
class FitPlan:
    """``fit``'s checked settings: which epochs run, in what batches, what is printed and validated."""
    epochs: int
    initial_epoch: int
    batch_size: int
    shuffle: bool
    verbose: int
    validation_batch_size: int
    validation_freq: int


def plan_fit(model, batch_size, epochs, verbose, shuffle, initial_epoch, steps_per_epoch, validation_steps,
             validation_batch_size, validation_freq):
    """``fit``'s settings checked, with Keras's defaults read (``batch_size=None`` is 32, ``verbose="auto"`` 1)."""
    where = f"Model '{model.name}' fit"
    refuse_unless_default(where, {"steps_per_epoch": (steps_per_epoch, None),
                                  "validation_steps": (validation_steps, None)},
                          "minattn trains on arrays, one whole pass over them per epoch")
    if not isinstance(shuffle, (bool, np.bool_)):
        raise ValueError(f"{where}: shuffle must be True or False, got {shuffle!r}")
    batch_size = batch_size_or_default(batch_size, where)
    return FitPlan(epochs=check_positive_int(epochs, f"{where}: epochs"),
                   initial_epoch=check_int(initial_epoch, f"{where}: initial_epoch", low=0),
                   batch_size=batch_size, shuffle=bool(shuffle), verbose=verbose_level(verbose, where),
                   validation_batch_size=batch_size if validation_batch_size is None else
                   check_positive_int(validation_batch_size, f"{where}: validation_batch_size"),
                   validation_freq=check_positive_int(validation_freq, f"{where}: validation_freq"))


def fit(model, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
        validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
        steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
    """``Model.fit`` (see its docstring): train epochs ``initial_epoch .. epochs - 1``; return a ``History``."""
    compiled = require_compiled(model, "fit")
    plan = plan_fit(model, batch_size, epochs, verbose, shuffle, initial_epoch, steps_per_epoch,
                    validation_steps, validation_batch_size, validation_freq)
    where = f"Model '{model.name}' fit"
    validation_split = check_fraction(validation_split, f"{where}: validation_split")
    history = History()
    callback_list = CallbackList(as_callbacks(callbacks) + [history], model,
                                 {"epochs": plan.epochs, "verbose": plan.verbose})
    check_one_float_type(model, "fit")
    xs, ys, n = prepare_xy(model, x, y)
    weights = sample_weights_for(model, sample_weight, class_weight, ys, n, where)
    train, val = split_validation(model, (xs, ys, weights), n, validation_split, validation_data)
    n_train = len(train[1][0])
    for callback in callback_list.callbacks:
        callback.params["steps"] = -(-n_train // plan.batch_size)
    if plan.verbose and val is not None:
        print(f"Train on {n_train} samples, validate on {len(val[1][0])} samples")
    with deferrable(), (FastStep if config.fast_enabled() else ReadableSteps)(model, compiled) as steps:
        try:
            logs = train_epochs(model, steps, train, val, plan, callback_list, history)
        finally:                          # also on Ctrl-C or a callback's error: the state of the weights kept
            compiled.state = steps.weights.state
    callback_list.call("on_train_end", logs or {})
    model.history = history
    return history


def train_epochs(model, steps, train, val, plan, callback_list, history):
    """The epochs of ``fit``, with ``steps`` (readable or fast); returns the last epoch's logs.

    History records each epoch at its end and sets ``model.history`` then (as
    Keras does), so an exception or Ctrl-C in a later epoch leaves the
    completed epochs in ``model.history``.
    """
    model.stop_training = False
    callback_list.call("on_train_begin", {})
    logs, recent = {}, collections.deque(maxlen=RECENT_LOSSES)     # the last losses, for a divergence hint
    for epoch in range(plan.initial_epoch, plan.epochs):
        if plan.verbose:
            print(f"Epoch {epoch + 1}/{plan.epochs}")
        callback_list.call("on_epoch_begin", epoch, {})
        progress = ProgressLine(len(train[1][0]), plan.verbose)
        logs, diverged = train_epoch(model, steps, train, plan, epoch, progress, callback_list, recent)
        if logs is not None:                          # at least one batch was applied
            if val is not None and (epoch + 1) % plan.validation_freq == 0:
                logs.update({f"val_{k}": v for k, v in evaluate_arrays(model, val, plan.validation_batch_size).items()})
            progress.finish(logs)
            callback_list.call("on_epoch_end", epoch, logs)
        if diverged is not None:
            history.diverged, history.stop_reason = True, diverged
            warnings.warn(diverged, TrainingDiverged, stacklevel=4)
            break
        if model.stop_training:
            history.stop_reason = f"{callback_list.stopped_by or 'model.stop_training'} stopped training " \
                                  f"at epoch {epoch + 1}"
            break
    return logs


def train_epoch(model, steps, train, plan, epoch, progress, callback_list, recent):
    """One pass over the data in batches; returns ``(logs, divergence message or None)``.

    The logs are the means over the batches applied, weighted by batch size
    (None if none was). A step with a non-finite loss or update ends the
    epoch: nothing of it is applied and its batch's loss goes to the
    callbacks' ``on_train_batch_end`` (so ``TerminateOnNaN`` sees it).
    ``recent`` (a bounded deque) receives every step's loss.
    """
    compiled, rng = model.compiled, config.rng()
    xs, ys, ws = train
    n = len(ys[0])
    order = rng.permutation(n) if plan.shuffle else np.arange(n)
    sums, done = np.zeros(1 + len(compiled.metrics)), 0
    for batch, start in enumerate(range(0, n, plan.batch_size)):
        index = order[start:start + plan.batch_size]
        xb, yb = [a[index] for a in xs], [a[index] for a in ys]
        wb = None if ws is None else [w[index] for w in ws]
        callback_list.call_batch("on_train_batch_begin", batch, dict)
        if callback_list.runs_user_code:              # a callback may have set new weights
            steps.follow_model()
        try:
            loss, preds = steps.train_on_batch(xb, yb, rng, wb)
        except StepDiverged as stop:
            compiled.state = steps.weights.state
            diverged_logs = {"loss": float(stop.loss)}
            callback_list.call_batch("on_train_batch_end", batch, lambda: diverged_logs)
            kept = "the weights of the last finite loss" if done or epoch > plan.initial_epoch else "its weights"
            message = (f"Model '{model.name}': {stop} at epoch {epoch + 1}, batch {batch + 1}; training "
                       f"stopped, the model keeps {kept} and fit returns the History so far. "
                       f"Likely cause: {likely_cause(model, xs, ys, recent)}")
            return (logs_from(compiled, sums / done) if done else None), message
        compiled.state = steps.weights.state
        recent.append(loss)
        sums += len(index) * np.array([loss] + compiled.metric_values(yb, preds))
        done = start + len(index)
        progress.update(done, lambda: logs_from(compiled, sums / done))
        callback_list.call_batch("on_train_batch_end", batch, lambda: logs_from(compiled, sums / done))
        if model.stop_training:
            break
    return logs_from(compiled, sums / done), None


def split_validation(model, data, n, validation_split, validation_data):
    """``((train xs, ys, weights), (val xs, ys, weights) or None)``: Keras holds out the LAST samples.

    ``validation_data`` is ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``.
    """
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError(f"Model '{model.name}' fit: validation_data must be a tuple (x_val, y_val) "
                             "or (x_val, y_val, sample_weight_val)")
        val_xs, val_ys, val_n = prepare_xy(model, *validation_data[:2])
        val_weights = validation_data[2] if len(validation_data) == 3 else None
        val_ws = sample_weights_for(model, val_weights, None, val_ys, val_n, f"Model '{model.name}' fit validation")
        return data, (val_xs, val_ys, val_ws)
    if not validation_split:
        return data, None
    split_at = int(n * (1.0 - validation_split))     # the last fraction validates
    if split_at < 1 or split_at >= n:
        raise ValueError(f"Model '{model.name}' fit: validation_split {validation_split} of {n} samples leaves "
                         "no training or no validation samples")
    xs, ys, ws = data
    head = ([a[:split_at] for a in xs], [a[:split_at] for a in ys], None if ws is None else [w[:split_at] for w in ws])
    tail = ([a[split_at:] for a in xs], [a[split_at:] for a in ys], None if ws is None else [w[split_at:] for w in ws])
    return head, tail
