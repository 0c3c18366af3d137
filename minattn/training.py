"""compile / fit / evaluate / predict: the one training loop.

One training step is, in essence,

    loss, grads = value_and_grad(batch_loss)(params, x_batch, y_batch)
    params, state = optimizer.step(params, grads, state)

where ``batch_loss`` runs the model's pure ``apply`` and averages the loss
(plus any ``model.add_loss`` terms): autograd traces that function and gives
the gradient of every weight.

``fit`` does exactly this with two economies: the weights live in one flat
float32 buffer (``pytree.FlatParams``) that the optimizer updates in place,
and autograd differentiates with respect to that buffer directly
(``pytree.traced_views``), so the gradient arrives as one flat vector too.
"""
import math
import time

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad
from autograd.tracer import getval

from . import config, fused, losses, memory, metrics, optimizers
from .data_checks import (as_list, check_lengths, check_positive_int, check_x_shapes, check_y_shapes,
                   prepare_arrays)
from .progress import ProgressLine
from .pytree import FlatParams, traced_views

# Losses with a fused single-op form (used when ``config.fused()``): same value, one recorded op.
FUSED_LOSSES = {losses.mean_squared_error: fused.mean_squared_error,
                losses.binary_crossentropy: fused.binary_crossentropy}


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
        self.state = None
        self.loss_and_grad = value_and_grad(self.flat_loss)
        self.model = model

    def flat_loss(self, flat, like, xs, ys, rng, keep):
        """``batch_loss`` as a function of the flat weight vector (see ``pytree.traced_views``)."""
        return self.batch_loss(traced_views(flat, like), xs, ys, rng, keep)

    def batch_loss(self, params, xs, ys, rng, keep):
        """Mean loss over a batch, summed over outputs, plus the ``add_loss`` terms.

        One forward pass gives the predictions (kept in ``keep``) and each
        added term ``weight * mean(tensor)``.
        """
        outputs, added = self.model.apply_with_losses(params, *xs, training=True, rng=rng)
        preds = as_list(outputs)
        keep["preds"] = [getval(p) for p in preds]
        per_output = [FUSED_LOSSES[loss_fn](y, p) if config.fused() and loss_fn in FUSED_LOSSES
                      else anp.mean(loss_fn(y, p)) for loss_fn, y, p in zip(self.losses, ys, preds)]
        total = per_output[0]
        for loss in per_output[1:] + added:
            total = total + loss
        return total

    def metric_values(self, ys, preds):
        """Each metric's mean over the batch (first output, as Keras names them)."""
        return [float(np.mean(fn(ys[0], preds[0]))) for fn in self.metrics]


class Trainable:
    """The Keras training methods, mixed into ``Model``."""

    def compile(self, optimizer="adam", loss=None, metrics=None):
        """Choose optimizer, loss and metrics.

        Args:
            optimizer: an instance (``Adam()``) or a name ("adam", "sgd").
            loss: a name ("mse", "binary_crossentropy", ...), a function
                ``(y_true, y_pred) -> per-sample loss``, or a list, one per output.
            metrics: e.g. ``["accuracy"]``.
        """
        if loss is None:
            raise ValueError(f"compile: model '{self.name}' needs a loss, e.g. loss='mse'")
        self.compiled = Compiled(self, optimizer, loss, metrics)

    def _require_compiled(self, what):
        if self.compiled is None:
            raise RuntimeError(f"Model '{self.name}': call compile(optimizer, loss) before {what}")
        return self.compiled

    def _prepare_xy(self, x, y):
        compiled = self.compiled
        xs = prepare_arrays(self, x, self.inputs, "x")
        ys = prepare_arrays(self, y, self.outputs, "y")
        check_x_shapes(self, xs)
        check_y_shapes(self, ys, compiled.losses)
        return xs, ys, check_lengths(self, {"x": xs, "y": ys})

    def fit(self, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
            shuffle=True, verbose=1):
        """Train for ``epochs`` passes over the data; return a ``History``.

        Args:
            x: an array, or a list of arrays, one per input.
            y: an array, or a list of arrays, one per output.
            epochs: passes over the training data.
            batch_size: samples per gradient step (default 32).
            validation_split: fraction in [0, 1) held out for validation --
                the LAST samples, taken before shuffling, as Keras does.
            validation_data: ``(x_val, y_val)``; overrides validation_split.
            shuffle: reshuffle the training samples every epoch.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.

        Each epoch's ``loss`` is the mean of its batch losses (weighted by
        batch size), as Keras reports it, including any ``add_loss`` terms;
        ``val_`` values are computed on the validation data after the epoch.
        """
        compiled = self._require_compiled("fit")
        epochs = check_positive_int(epochs, "fit: epochs")
        batch_size = check_positive_int(batch_size, "fit: batch_size")
        if not isinstance(validation_split, (int, float)) or not 0.0 <= validation_split < 1.0:
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
        xs, ys, n = self._prepare_xy(x, y)
        (xs, ys), val = self._split_validation(xs, ys, n, validation_split, validation_data)
        n_train = len(ys[0])
        if verbose and val is not None:
            print(f"Train on {n_train} samples, validate on {len(val[1][0])} samples")
        memory.keep_freed_memory()                 # see memory.py: no page faults on every step
        weights = FlatParams(self.params)        # one flat buffer; weights.tree holds views into it
        if compiled.state is None:
            compiled.state = compiled.optimizer.init_flat(weights.flat)
        history = History()
        for epoch in range(epochs):
            if verbose:
                print(f"Epoch {epoch + 1}/{epochs}")
            progress = ProgressLine(n_train, verbose)
            started = time.perf_counter()
            logs = self._train_epoch(weights, xs, ys, batch_size, shuffle, epoch, progress)
            self.set_params(weights.tree)
            if val is not None:
                val_logs = self._evaluate_arrays(*val, batch_size)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            progress.finish(logs)
            history.append(epoch, logs, time.perf_counter() - started)
        return history

    def _split_validation(self, xs, ys, n, validation_split, validation_data):
        if validation_data is not None:
            if not isinstance(validation_data, (list, tuple)) or len(validation_data) != 2:
                raise ValueError("fit: validation_data must be a tuple (x_val, y_val)")
            val_xs, val_ys, _ = self._prepare_xy(*validation_data)
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

    def _train_epoch(self, weights, xs, ys, batch_size, shuffle, epoch, progress):
        """One pass over the data; updates ``weights.flat`` in place, returns the epoch's logs."""
        compiled, rng = self.compiled, config.rng()
        n = len(ys[0])
        order = rng.permutation(n) if shuffle else np.arange(n)
        sums = np.zeros(1 + len(compiled.metrics))
        for batch, start in enumerate(range(0, n, batch_size)):
            index = order[start:start + batch_size]
            xb, yb = [a[index] for a in xs], [a[index] for a in ys]
            keep = {}
            loss, flat_grads = compiled.loss_and_grad(weights.flat, weights.tree, xb, yb, rng, keep)
            if not math.isfinite(loss) or not np.all(np.isfinite(flat_grads)):
                self._stop_training(weights, f"loss became {loss}" if not math.isfinite(loss) else
                                    f"a weight update became non-finite (loss {loss})", epoch, batch)
            before = weights.flat.copy()
            compiled.optimizer.update(weights.flat, flat_grads, compiled.state, weights.sizes)
            if not np.all(np.isfinite(weights.flat)):
                weights.flat[:] = before
                compiled.state = None                   # the moments are spoilt: start afresh next fit
                self._stop_training(weights, f"a weight update became non-finite (loss {loss})",
                                    epoch, batch)
            sums += len(index) * np.array([loss] + compiled.metric_values(yb, keep["preds"]))
            done = start + len(index)
            progress.update(done, lambda: self._logs(sums / done))
        return self._logs(sums / n)

    def _stop_training(self, weights, what, epoch, batch):
        self.set_params(weights.tree)
        raise FloatingPointError(
            f"Model '{self.name}': {what} at epoch {epoch + 1}, batch {batch + 1}; "
            "training stopped and the weights keep their last finite values "
            "(try a smaller learning rate or clipnorm)")

    def _logs(self, values):
        names = ["loss"] + self.compiled.metric_names
        return {name: float(v) for name, v in zip(names, values)}

    def _evaluate_arrays(self, xs, ys, batch_size):
        compiled = self.compiled
        n = len(ys[0])
        sums = np.zeros(1 + len(compiled.metrics))
        for start in range(0, n, batch_size):
            xb = [a[start:start + batch_size] for a in xs]
            yb = [a[start:start + batch_size] for a in ys]
            outputs, added = self.apply_with_losses(self.params, *xb)
            preds = as_list(outputs)
            loss = sum(float(np.mean(fn(y, p))) for fn, y, p in zip(compiled.losses, yb, preds))
            loss += sum(float(term) for term in added)              # add_loss terms, as in fit
            sums += len(yb[0]) * np.array([loss] + compiled.metric_values(yb, preds))
        return self._logs(sums / n)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """Loss (and metrics) on the given data: a float, or ``[loss, metric, ...]``.

        The loss includes the ``add_loss`` terms, as ``fit``'s does.
        """
        self._require_compiled("evaluate")
        batch_size = check_positive_int(batch_size, "evaluate: batch_size")
        xs, ys, _ = self._prepare_xy(x, y)
        logs = self._evaluate_arrays(xs, ys, batch_size)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x, batch_size=32):
        """The model's outputs for ``x``, computed ``batch_size`` samples at a time (no ``add_loss`` terms)."""
        batch_size = check_positive_int(batch_size, "predict: batch_size")
        xs = prepare_arrays(self, x, self.inputs, "x")
        check_x_shapes(self, xs)
        n = check_lengths(self, {"x": xs})
        params = self.params
        chunks = [as_list(self.apply(params, *[a[s:s + batch_size] for a in xs]))
                  for s in range(0, n, batch_size)]
        outputs = [np.concatenate([c[i] for c in chunks]) for i in range(len(self.outputs))]
        return outputs[0] if len(outputs) == 1 else outputs
