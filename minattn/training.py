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
import copy
import warnings

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad

from . import config, losses, metrics, optimizers
from .callbacks import CallbackList, History, StepDiverged, TrainingDiverged, as_callbacks, check_step
from .arguments import check_fraction, check_positive_int
from .data_checks import (as_list, check_lengths, check_one_float_type, check_x_shapes, check_y_shapes,
                          prepare_arrays)
from .fast.step import FastStep
from .progress import ProgressLine
from .weights import Weights
from .pytree import tree_leaves

__all__ = ["History", "fit", "evaluate", "predict"]


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

    def batch_loss(self, params, xs, ys, rng):
        """Mean loss over a batch, summed over outputs, plus the ``add_loss`` terms.

        A pure function of ``params``: one forward pass (Dropout on, drawing
        from ``rng``) gives the predictions and each added term
        ``weight * mean(tensor)``.
        """
        outputs, added = self.model.apply_with_losses(params, *xs, training=True, rng=rng)
        return losses.total_loss([anp.mean(loss_fn(y, y_pred))
                           for loss_fn, y, y_pred in zip(self.losses, ys, as_list(outputs))], added)

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

    @property
    def params(self):
        return self.weights.tree

    @property
    def state(self):
        return self.weights.state

    def follow_model(self):
        """Take the layers' weights if something (a callback) gave them new arrays since the last step."""
        self.weights.follow_model()

    def undo_last_step(self):
        """Back to the weights and state before the last step (whose result gave a non-finite loss)."""
        self.weights.undo_last_step()

    def __enter__(self):                  # nothing to set up or restore (FastStep sets BLAS threads)
        return self

    def __exit__(self, *exc_info):
        return False

    def train_on_batch(self, xs, ys, rng):
        """One step; returns ``(loss, predictions)``. If the loss or the new weights are not finite
        it raises ``StepDiverged`` and applies nothing; a non-finite loss also undoes the previous
        step, so the weights are those of the last finite loss."""
        compiled = self.compiled
        rng_before = copy.deepcopy(rng) if compiled.metrics else None       # the same Dropout draws

        loss, grads = value_and_grad(compiled.batch_loss)(self.params, xs, ys, rng)
        params, state = compiled.optimizer.step(self.params, grads, self.state)
        check_step(loss, all(np.all(np.isfinite(w)) for w in tree_leaves(params)), self.undo_last_step)
        preds = None
        if compiled.metrics:              # the predictions the loss saw, for the metrics
            preds = as_list(self.model.apply_with_losses(self.params, *xs, training=True, rng=rng_before)[0])
        self.weights.step_to(params, state)            # the layers' views show the new weights
        return float(loss), preds


def fit(model, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
        shuffle=True, verbose=1, callbacks=None):
    """``Model.fit`` (see its docstring): train for ``epochs`` passes, return a ``History``."""
    compiled = require_compiled(model, "fit")
    epochs = check_positive_int(epochs, f"Model '{model.name}' fit: epochs")
    batch_size = check_positive_int(batch_size, f"Model '{model.name}' fit: batch_size")
    validation_split = check_fraction(validation_split, f"Model '{model.name}' fit: validation_split")
    history = History()
    callback_list = CallbackList(as_callbacks(callbacks) + [history], model,
                                 {"epochs": epochs, "verbose": verbose})
    check_one_float_type(model, "fit")
    xs, ys, n = prepare_xy(model, x, y)
    (xs, ys), val = split_validation(model, xs, ys, n, validation_split, validation_data)
    n_train = len(ys[0])
    for callback in callback_list.callbacks:
        callback.params["steps"] = -(-n_train // batch_size)
    if verbose and val is not None:
        print(f"Train on {n_train} samples, validate on {len(val[1][0])} samples")
    with (FastStep if config.fast_enabled() else ReadableSteps)(model, compiled) as steps:
        logs = train_epochs(model, steps, (xs, ys), val, epochs, batch_size, shuffle, verbose,
                            callback_list, history)
    callback_list.call("on_train_end", logs or {})
    model.history = history
    return history


def train_epochs(model, steps, data, val, epochs, batch_size, shuffle, verbose, callback_list, history):
    """The epochs of ``fit``, with ``steps`` (readable or fast); returns the last epoch's logs."""
    xs, ys = data
    n_train = len(ys[0])
    model.stop_training = False
    callback_list.call("on_train_begin", {})
    logs = {}
    for epoch in range(epochs):
        if verbose:
            print(f"Epoch {epoch + 1}/{epochs}")
        callback_list.call("on_epoch_begin", epoch, {})
        progress = ProgressLine(n_train, verbose)
        logs, diverged = train_epoch(model, steps, xs, ys, batch_size, shuffle, epoch, progress, callback_list)
        if logs is not None:                          # at least one batch was applied
            if val is not None:
                logs.update({f"val_{k}": v for k, v in evaluate_arrays(model, *val, batch_size).items()})
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


def train_epoch(model, steps, xs, ys, batch_size, shuffle, epoch, progress, callback_list):
    """One pass over the data in batches; returns ``(logs, divergence message or None)``.

    The logs are the means over the batches applied, weighted by batch size
    (None if none was). A step with a non-finite loss or update ends the
    epoch: nothing of it is applied and its batch's loss goes to the
    callbacks' ``on_train_batch_end`` (so ``TerminateOnNaN`` sees it).
    """
    compiled, rng = model.compiled, config.rng()
    n = len(ys[0])
    order = rng.permutation(n) if shuffle else np.arange(n)
    sums, done = np.zeros(1 + len(compiled.metrics)), 0
    for batch, start in enumerate(range(0, n, batch_size)):
        index = order[start:start + batch_size]
        xb, yb = [a[index] for a in xs], [a[index] for a in ys]
        callback_list.call_batch("on_train_batch_begin", batch, dict)
        if callback_list.runs_user_code:              # a callback may have set new weights
            steps.follow_model()
        try:
            loss, preds = steps.train_on_batch(xb, yb, rng)
        except StepDiverged as stop:
            compiled.state = steps.state
            diverged_logs = {"loss": float(stop.loss)}
            callback_list.call_batch("on_train_batch_end", batch, lambda: diverged_logs)
            kept = "the weights of the last finite loss" if done or epoch else "its weights"
            message = (f"Model '{model.name}': {stop} at epoch {epoch + 1}, batch {batch + 1}; training "
                       f"stopped, the model keeps {kept} and fit returns the History so far "
                       "(try a smaller learning rate or clipnorm)")
            return (logs_from(compiled, sums / done) if done else None), message
        compiled.state = steps.state
        sums += len(index) * np.array([loss] + compiled.metric_values(yb, preds))
        done = start + len(index)
        progress.update(done, lambda: logs_from(compiled, sums / done))
        callback_list.call_batch("on_train_batch_end", batch, lambda: logs_from(compiled, sums / done))
        if model.stop_training:
            break
    return logs_from(compiled, sums / done), None


def logs_from(compiled, values):
    names = ["loss"] + compiled.metric_names
    return {name: float(v) for name, v in zip(names, values)}


def require_compiled(model, what):
    if model.compiled is None:
        raise RuntimeError(f"Model '{model.name}': call compile(optimizer, loss) before {what}")
    return model.compiled


def prepare_xy(model, x, y):
    """The checked, cast arrays ``(xs, ys, number of samples)``."""
    sparse = [i for i, fn in enumerate(model.compiled.losses) if losses.is_sparse(fn)]
    xs = prepare_arrays(model, x, model.inputs, "x")
    ys = prepare_arrays(model, y, model.outputs, "y", sparse=sparse)
    check_x_shapes(model, xs)
    check_y_shapes(model, ys, model.compiled.losses)
    return xs, ys, check_lengths(model, {"x": xs, "y": ys})


def split_validation(model, xs, ys, n, validation_split, validation_data):
    """``((train xs, ys), (val xs, ys) or None)``: Keras holds out the LAST samples."""
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
            raise ValueError(f"Model '{model.name}' fit: validation_data must be a tuple (x_val, y_val)")
        val_xs, val_ys, _ = prepare_xy(model, *validation_data)
        return (xs, ys), (val_xs, val_ys)
    if not validation_split:
        return (xs, ys), None
    split_at = int(n * (1.0 - validation_split))     # the last fraction validates
    if split_at < 1 or split_at >= n:
        raise ValueError(f"Model '{model.name}' fit: validation_split {validation_split} of {n} samples leaves "
                         "no training or no validation samples")
    head = ([a[:split_at] for a in xs], [a[:split_at] for a in ys])
    tail = ([a[split_at:] for a in xs], [a[split_at:] for a in ys])
    return head, tail


def evaluate_arrays(model, xs, ys, batch_size):
    """The logs (loss with the ``add_loss`` terms, metrics) over prepared arrays."""
    compiled = model.compiled
    n = len(ys[0])
    sums = np.zeros(1 + len(compiled.metrics))
    params = model.params
    for start in range(0, n, batch_size):
        xb = [a[start:start + batch_size] for a in xs]
        yb = [a[start:start + batch_size] for a in ys]
        outputs, added = model.apply_with_losses(params, *xb)
        preds = as_list(outputs)
        loss = sum(float(np.mean(fn(y, p))) for fn, y, p in zip(compiled.losses, yb, preds))
        loss += sum(float(term) for term in added)              # add_loss terms, as in fit
        sums += len(yb[0]) * np.array([loss] + compiled.metric_values(yb, preds))
    return logs_from(compiled, sums / n)


def evaluate(model, x, y, batch_size=32, verbose=0):
    """``Model.evaluate``: the loss, or ``[loss, metric, ...]``."""
    require_compiled(model, "evaluate")
    batch_size = check_positive_int(batch_size, f"Model '{model.name}' evaluate: batch_size")
    xs, ys, _ = prepare_xy(model, x, y)
    logs = evaluate_arrays(model, xs, ys, batch_size)
    if verbose:
        print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=32):
    """``Model.predict``: the outputs for ``x``, ``batch_size`` samples at a time."""
    batch_size = check_positive_int(batch_size, f"Model '{model.name}' predict: batch_size")
    xs = prepare_arrays(model, x, model.inputs, "x")
    check_x_shapes(model, xs)
    n = check_lengths(model, {"x": xs})
    params = model.params
    chunks = [as_list(model.apply(params, *[a[s:s + batch_size] for a in xs]))
              for s in range(0, n, batch_size)]
    outputs = [np.concatenate([c[i] for c in chunks]) for i in range(len(model.outputs))]
    return outputs[0] if len(outputs) == 1 else outputs
