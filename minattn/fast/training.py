"""The fast path's training step: the readable step's maths on one flat weight buffer.

The readable step (``minattn.training.ReadableSteps``) is

    loss, grads = value_and_grad(batch_loss)(params, xs, ys, rng)
    params, state = optimizer.step(params, grads, state)

``FastSteps`` computes the same two things with three economies:

* the weights live in one flat buffer (``flat.FlatParams``) and autograd
  differentiates with respect to it directly (``flat.traced_views``), so the
  gradient arrives as one flat vector instead of a tree to flatten;
* the mse and binary cross-entropy losses run as single ops
  (``fast.losses``), and the layers' fast kernels run (``fast.kernels``);
* the predictions are kept from the same forward pass for the metrics,
  freed memory stays in the process (``memory.keep_freed_memory``), and
  OpenBLAS runs one thread while training (``threads.one_blas_thread``).

The update is the optimizer's own rule on flat vectors
(``optimizer.update``), written once for both paths. The model's layers
hold views into the buffer, so they always show the latest weights.
"""
import numpy as np
from autograd import value_and_grad
from autograd.tracer import getval

from .. import losses
from ..callbacks import check_step
from ..interrupts import deferred_interrupt
from .direct import DirectStep
from .flat import FlatParams, traced_views
from .losses import batch_loss_fn
from .memory import keep_freed_memory
from .threads import one_blas_thread


class FastSteps:
    """Training steps on a flat weight buffer; the same contract as ``training.ReadableSteps``.

    Used as a context manager around the epochs (``with FastSteps(...) as steps``):
    inside, OpenBLAS runs one thread.

    Args:
        model: the model to train; its layers are given views into the buffer.
        compiled: what ``compile`` fixed (optimizer, losses, metrics, state).
    """

    def __init__(self, model, compiled):
        keep_freed_memory()                     # see memory.py: no page faults on every step
        self.model, self.compiled = model, compiled
        self.weights = FlatParams(model.params)
        model.assign_params(self.weights.tree)
        self.state = compiled.state if compiled.state is not None else \
            compiled.optimizer.init(self.weights.tree)
        self.loss_fns = [batch_loss_fn(fn) for fn in compiled.losses]
        self.loss_and_grad = value_and_grad(self.flat_loss)
        # where every layer with weights has a rule, the step runs without autograd's tape
        self.direct = DirectStep(model, compiled.losses) if DirectStep.covers(model) else None
        self.previous_flat = np.empty_like(self.weights.flat)     # the weights before the last step
        self.previous_state = None                                # and the state; None: nothing to undo

    def follow_model(self):
        """Copy the layers' weights into the buffer if something (a callback) gave them new arrays."""
        tree = self.weights.tree
        if any(layer.params is not tree.get(layer.name) for layer in self.model.layers if layer.params):
            self.weights = FlatParams(self.model.params)
            self.model.assign_params(self.weights.tree)
            self.previous_flat, self.previous_state = np.empty_like(self.weights.flat), None

    def undo_last_step(self):
        """Back to the weights and state before the last step (whose result gave a non-finite loss)."""
        if self.previous_state is not None:
            np.copyto(self.weights.flat, self.previous_flat)
            self.state, self.previous_state = self.previous_state, None

    def __enter__(self):
        self._threads = one_blas_thread()
        self._threads.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._threads.__exit__(*exc_info)

    @property
    def params(self):
        return self.weights.tree

    def flat_loss(self, flat, xs, ys, rng, keep, sample_weights=None):
        """``batch_loss`` as a function of the flat weight vector; the predictions go to ``keep``."""
        params = traced_views(flat, self.weights.tree)
        outputs, added = self.model.apply_with_losses(params, *xs, training=True, rng=rng)
        preds = outputs if isinstance(outputs, list) else [outputs]
        keep["preds"] = [getval(p) for p in preds]
        weights_per_output = sample_weights or [None] * len(preds)
        return losses.total_loss([fn(y, p, w) for fn, y, p, w in zip(self.loss_fns, ys, preds, weights_per_output)],
                                 added)

    def train_on_batch(self, xs, ys, rng, sample_weights=None):
        """One step, in place on the buffer; returns ``(loss, predictions)``. If the loss or the new
        weights are not finite it raises ``StepDiverged`` and applies nothing; a non-finite loss also
        undoes the previous step, so the weights are those of the last finite loss.
        ``sample_weights``: None, or one array per output (``losses.batch_mean``)."""
        keep = {}
        if self.direct is not None:
            loss, flat_grads = self.direct(self.weights, xs, ys, rng, keep, sample_weights)
        else:
            loss, flat_grads = self.loss_and_grad(self.weights.flat, xs, ys, rng, keep, sample_weights)
        new_flat, state = self.compiled.optimizer.update(self.weights.flat, flat_grads, self.state,
                                                         self.weights.sizes)
        check_step(loss, all_finite(new_flat), self.undo_last_step)
        with deferred_interrupt():             # Ctrl-C here waits: weights and state change together
            np.copyto(self.previous_flat, self.weights.flat)
            np.copyto(self.weights.flat, new_flat)
            self.previous_state, self.state = self.state, state
        return float(loss), keep["preds"]


def all_finite(flat):
    """Whether every entry of the 1-D float array is finite: its max and min are (a max is nan
    if any entry is, +inf if one is; a min catches -inf) -- two reductions, no boolean copy."""
    return flat.size == 0 or bool(np.isfinite(flat.max()) and np.isfinite(flat.min()))
