"""compile / fit / evaluate / predict: the one training loop.

One training step on the readable path is exactly

    loss, grads = value_and_grad(batch_loss)(params, x_batch, y_batch, rng)
    params, state = optimizer.step(params, grads, state)

``batch_loss`` runs the model's pure ``apply`` and averages the loss (plus
any ``model.add_loss`` terms); autograd traces it and gives the gradient of
every weight as a tree shaped like ``params``; the optimizer returns new
weights and its new state. Nothing else happens in between.

On the fast path (the default) ``fit`` hands the same step to
``minattn.fast.training.FastSteps``: the same loss and the same update rule,
run on one flat weight buffer with the layers' fast kernels. Both give the
same numbers to float rounding; ``with minattn.traced():`` chooses the
readable one.
"""
import copy
import math
import time

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad

from . import config, losses, metrics, optimizers
from .data_checks import (as_list, check_lengths, check_positive_int, check_x_shapes, check_y_shapes,
                          prepare_arrays)
from .fast.training import FastSteps
from .progress import ProgressLine
from .pytree import tree_leaves


class History:
    """What ``fit`` returns: ``history.history["loss"]`` is the loss per epoch, etc."""

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.seconds = []         # wall-clock seconds of each epoch (training + validation)

    def append(self, epoch, logs, seconds):
        self.epoch.append(epoch)
        self.seconds.append(seconds)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"<History {len(self.epoch)} epochs: {sorted(self.history)}>"


class Compiled:
    """What ``compile`` fixes: optimizer, loss per output, metrics, and the optimizer's state."""

    def __init__(self, model, optimizer, loss, metric_names):
        self.optimizer = optimizers.get(optimizer)
        loss_list = loss if isinstance(loss, (list, tuple)) else [loss] * len(model.outputs)
        if len(loss_list) != len(model.outputs):
            raise ValueError(f"compile: model '{model.name}' has {len(model.outputs)} outputs, "
                             f"got {len(loss_list)} losses")
        self.losses = [losses.get(item) for item in loss_list]
        self.metric_names = list(metric_names or [])
        self.metrics = [metrics.get(name, self.losses[0]) for name in self.metric_names]
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

    ``params`` always holds the weights after the last step, and the model's
    layers hold the same arrays (``model.assign_params``), so nothing is stale.
    """

    def __init__(self, model, compiled):
        self.model, self.compiled = model, compiled
        self.params = model.params
        self.state = compiled.state if compiled.state is not None else compiled.optimizer.init(self.params)

    def __enter__(self):                  # nothing to set up or restore (FastSteps sets BLAS threads)
        return self

    def __exit__(self, *exc_info):
        return False

    def train_on_batch(self, xs, ys, rng):
        """One step; returns ``(loss, predictions)``. Raises ``FloatingPointError`` and changes nothing
        if the loss or the new weights are not finite."""
        compiled = self.compiled
        rng_before = copy.deepcopy(rng) if compiled.metrics else None       # the same Dropout draws

        loss, grads = value_and_grad(compiled.batch_loss)(self.params, xs, ys, rng)
        params, state = compiled.optimizer.step(self.params, grads, self.state)

        if not math.isfinite(loss) or not all(np.all(np.isfinite(w)) for w in tree_leaves(params)):
            raise FloatingPointError(f"loss became {loss}" if not math.isfinite(loss) else
                                f"a weight update became non-finite (loss {loss})")
        preds = None
        if compiled.metrics:              # the predictions the loss saw, for the metrics
            preds = as_list(self.model.apply_with_losses(self.params, *xs, training=True, rng=rng_before)[0])
        self.params, self.state = params, state
        self.model.assign_params(params)
        return float(loss), preds


def fit(model, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
        shuffle=True, verbose=1):
    """``Model.fit`` (see its docstring): train for ``epochs`` passes, return a ``History``."""
    compiled = require_compiled(model, "fit")
    epochs = check_positive_int(epochs, "fit: epochs")
    batch_size = check_positive_int(batch_size, "fit: batch_size")
    if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    xs, ys, n = prepare_xy(model, x, y)
    (xs, ys), val = split_validation(model, xs, ys, n, validation_split, validation_data)
    n_train = len(ys[0])
    if verbose and val is not None:
        print(f"Train on {n_train} samples, validate on {len(val[1][0])} samples")
    history = History()
    with (FastSteps if config.fused() else ReadableSteps)(model, compiled) as steps:
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            progress = ProgressLine(n_train, verbose)
            started = time.perf_counter()
            logs = train_epoch(model, steps, xs, ys, batch_size, shuffle, epoch, progress)
            if val is not None:
                val_logs = evaluate_arrays(model, *val, batch_size)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            progress.finish(logs)
            history.append(epoch, logs, time.perf_counter() - started)
    return history


def train_epoch(model, steps, xs, ys, batch_size, shuffle, epoch, progress):
    """One pass over the data in batches; returns the epoch's logs (means weighted by batch size)."""
    compiled, rng = model.compiled, config.rng()
    n = len(ys[0])
    order = rng.permutation(n) if shuffle else np.arange(n)
    sums = np.zeros(1 + len(compiled.metrics))
    for batch, start in enumerate(range(0, n, batch_size)):
        index = order[start:start + batch_size]
        xb, yb = [a[index] for a in xs], [a[index] for a in ys]
        try:
            loss, preds = steps.train_on_batch(xb, yb, rng)
        except FloatingPointError as stop:
            compiled.state = steps.state
            raise FloatingPointError(
                f"Model '{model.name}': {stop} at epoch {epoch + 1}, batch {batch + 1}; "
                "training stopped and the weights keep their last finite values "
                "(try a smaller learning rate or clipnorm)") from None
        compiled.state = steps.state
        sums += len(index) * np.array([loss] + compiled.metric_values(yb, preds))
        done = start + len(index)
        progress.update(done, lambda: logs_from(compiled, sums / done))
    return logs_from(compiled, sums / n)


def logs_from(compiled, values):
    names = ["loss"] + compiled.metric_names
    return {name: float(v) for name, v in zip(names, values)}


def require_compiled(model, what):
    if model.compiled is None:
        raise RuntimeError(f"Model '{model.name}': call compile(optimizer, loss) before {what}")
    return model.compiled


def prepare_xy(model, x, y):
    """The checked, cast arrays ``(xs, ys, number of samples)``."""
    xs = prepare_arrays(model, x, model.inputs, "x")
    ys = prepare_arrays(model, y, model.outputs, "y")
    check_x_shapes(model, xs)
    check_y_shapes(model, ys, model.compiled.losses)
    return xs, ys, check_lengths(model, {"x": xs, "y": ys})


def split_validation(model, xs, ys, n, validation_split, validation_data):
    """``((train xs, ys), (val xs, ys) or None)``: Keras holds out the LAST samples."""
    if validation_data is not None:
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
            raise ValueError("fit: validation_data must be a tuple (x_val, y_val)")
        val_xs, val_ys, _ = prepare_xy(model, *validation_data)
        return (xs, ys), (val_xs, val_ys)
    if not validation_split:
        return (xs, ys), None
    split_at = int(n * (1.0 - validation_split))     # the last fraction validates
    if split_at < 1 or split_at >= n:
        raise ValueError(f"fit: validation_split {validation_split} of {n} samples leaves "
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
    batch_size = check_positive_int(batch_size, "evaluate: batch_size")
    xs, ys, _ = prepare_xy(model, x, y)
    logs = evaluate_arrays(model, xs, ys, batch_size)
    if verbose:
        print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=32):
    """``Model.predict``: the outputs for ``x``, ``batch_size`` samples at a time."""
    batch_size = check_positive_int(batch_size, "predict: batch_size")
    xs = prepare_arrays(model, x, model.inputs, "x")
    check_x_shapes(model, xs)
    n = check_lengths(model, {"x": xs})
    params = model.params
    chunks = [as_list(model.apply(params, *[a[s:s + batch_size] for a in xs]))
              for s in range(0, n, batch_size)]
    outputs = [np.concatenate([c[i] for c in chunks]) for i in range(len(model.outputs))]
    return outputs[0] if len(outputs) == 1 else outputs
