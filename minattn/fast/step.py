"""The one fast step: each node's backward pass called directly, in reverse graph order.

autograd records every op of a step on a tape and replays it backwards; each
recorded op costs some 10-25 microseconds of Python, which on the article
models is more than their arithmetic. But a model is a known graph of
layers, and most layers have a record (``fast.table``): their forward pass
and hand-written backward pass as plain NumPy. So ``fit`` on the fast path
runs this step, on one flat weight buffer (``weights.Weights``):

    forward:   y, saved = record.forward(layer, params, x, **call)     each node, in order
    loss:      loss = the outputs' losses + the add_loss terms;  g = d loss / d each of them
    backward:  dx, dparams = record.backward(layer, params, saved, g, wanted)   last node first
               (a tensor used twice adds both gradients; dparams go into one flat gradient)
    update:    flat, state = optimizer.update(flat, gradient, state)     (the readable rule, on vectors)

A node without a record (a ``Lambda``, ``Dropout``, a layer of your own, a
layer whose settings its record does not cover) runs its readable ``apply``,
differentiated by autograd on its own (``forward_with_autograd``); masks,
shared layers, several inputs and outputs, ``add_loss`` and Dropout all go
through this one step. Loss and gradients are the readable step's to float
rounding (``tests/fast/test_step.py``, ``tests/fast/test_properties_step.py``).
"""
import numpy as np
from autograd.builtins import list as traced_list
from autograd.core import make_vjp, vspace

from .. import losses
from ..added_losses import weighted_mean
from ..callbacks import check_step
from ..layers.input_layer import InputLayer
from ..pytree import unflatten
from ..weights import Weights
from .losses import loss_with_grad
from .memory import keep_freed_memory
from .table import record_for
from .threads import one_blas_thread


class FastStep:
    """``fit``'s step on the fast path; the same contract as ``training.ReadableSteps``.

    Used as a context manager around the epochs (``with FastStep(...) as steps``):
    inside, OpenBLAS runs one thread.

    Args:
        model: the model to train; its layers are given views into the buffer.
        compiled: what ``compile`` fixed (optimizer, losses, metrics, state).
    """

    def __init__(self, model, compiled):
        keep_freed_memory()                     # see memory.py: no page faults on every step
        self.model, self.compiled = model, compiled
        self.weights = Weights(model, compiled)
        self.plan = plan(model)
        self.fixed_calls = fixed_calls(self.plan)
        self.losses = [loss_with_grad(fn) for fn in compiled.losses]
        self.gradient_for(self.weights.flat)

    def gradient_for(self, flat):
        """A zeroed flat gradient like ``flat`` (reused by every step) and its tree of views."""
        self.gradient = np.zeros_like(flat)
        self.gradient_tree = unflatten(self.gradient, self.weights.tree)

    def follow_model(self):
        """Take the layers' weights if something (a callback) gave them new arrays."""
        if self.weights.follow_model():
            self.gradient_for(self.weights.flat)

    def undo_last_step(self):
        """Back to the weights and state before the last step (whose result gave a non-finite loss)."""
        self.weights.undo_last_step()

    def __enter__(self):
        self._threads = one_blas_thread()
        self._threads.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._threads.__exit__(*exc_info)

    @property
    def params(self):
        return self.weights.tree

    @property
    def state(self):
        return self.weights.state

    def train_on_batch(self, xs, ys, rng):
        """One step, in place on the buffer; returns ``(loss, predictions)``. If the loss or the new
        weights are not finite it raises ``StepDiverged`` and applies nothing; a non-finite loss also
        undoes the previous step, so the weights are those of the last finite loss."""
        loss, preds = self.loss_and_gradient(xs, ys, rng)
        new_flat, state = self.compiled.optimizer.update(self.weights.flat, self.gradient, self.state,
                                                         self.weights.sizes)
        check_step(loss, all_finite(new_flat), self.undo_last_step)
        self.weights.step_to(new_flat, state)           # the layers' views show the new weights
        return float(loss), preds

    def loss_and_gradient(self, xs, ys, rng):
        """``(loss, predictions)`` at the current weights; the gradient lands in ``self.gradient``
        (a flat vector like the weights; ``self.gradient_tree`` shows it shaped like them)."""
        self.gradient.fill(0)
        values, tape = self.forward(self.weights.tree, xs, rng)
        preds = [values[t] for t in self.model.outputs]
        terms, grads = [], {}
        for loss_with_grad_fn, y, tensor, p in zip(self.losses, ys, self.model.outputs, preds):
            value, d_pred = loss_with_grad_fn(y, p)
            terms.append(value)
            accumulate(grads, tensor, d_pred)
        added = []
        for tensor, weight in self.model.added_losses:             # weight * mean(t): d / d t = weight / size
            value = values[tensor]
            added.append(weighted_mean(value, weight))
            accumulate(grads, tensor, np.full_like(value, weight / value.size))
        loss = losses.total_loss(terms, added)
        self.backward(tape, grads, self.weights.tree, self.gradient_tree)
        return loss, preds

    # -- the two passes -------------------------------------------------------------
    def forward(self, params_tree, xs, rng):
        """Run every node; returns the values by tensor and the tape (one entry per node that
        a weight reaches, in order)."""
        values = dict(zip(self.model.inputs, xs))
        masks = {}                                  # only where a mask may appear (see plan)
        tape = []
        for node, record, wanted, differentiable, maskless in self.plan:
            layer = node.layer
            params = params_tree.get(layer.name, NO_PARAMS)
            fixed = self.fixed_calls.get(node)      # a record that no mask can reach: its call is fixed
            if fixed is not None:
                x = [values[t] for t in node.inputs] if node.takes_list else values[node.inputs[0]]
                out, saved = record.forward(layer, params, x, **fixed)
                entry = (node, record, saved, wanted)
            else:
                ins = [values[t] for t in node.inputs]
                in_masks = [None] * len(ins) if maskless else [masks.get(t) for t in node.inputs]
                x, mask, call = node.call_arguments(ins, in_masks, True, rng)
                if record is not None:
                    layer.check_call(x, call)
                    out, saved = record.forward(layer, params, x, **call)
                    entry = (node, record, saved, wanted)
                else:
                    out, entry = forward_with_autograd(node, params, x, call, wanted)
                if not maskless or record is None:
                    masks.update(zip(node.outputs, node.output_masks(x, mask)))
            if node.returns_list:
                values.update(zip(node.outputs, out))
            else:
                values[node.outputs[0]] = out
            if differentiable:
                tape.append(entry)
        return values, tape

    @staticmethod
    def backward(tape, grads, params_tree, grad_tree):
        """Walk the tape last to first, handing each node d loss / d its outputs; the weights'
        gradients are added into ``grad_tree``."""
        for node, record, saved, wanted in reversed(tape):
            if node.returns_list:
                g = [grads.pop(t, None) for t in node.outputs]
                if all(gi is None for gi in g):
                    continue
            else:
                g = grads.pop(node.outputs[0], None)
                if g is None:
                    continue                                      # nothing downstream depends on it
            layer = node.layer
            if record is None:                                    # saved is autograd's vjp
                dxs, dparams = saved(g)
            else:
                dxs, dparams = record.backward(layer, params_tree.get(layer.name, NO_PARAMS), saved,
                                               g, wanted)
            if dparams:
                add_into(grad_tree[layer.name], dparams)          # a shared layer adds every call's part
            if node.takes_list:
                for tensor, dx, want in zip(node.inputs, dxs, wanted):
                    if want and dx is not None:
                        accumulate(grads, tensor, dx)
            elif wanted[0] and dxs is not None:
                accumulate(grads, node.inputs[0], dxs)


NO_PARAMS = {}


def plan(model):
    """``[(node, record or None, wanted, differentiable, maskless)]`` for every node the loss needs.

    ``wanted[i]``: whether input i of the node needs a gradient (a weight reaches it);
    ``differentiable``: whether one reaches the node at all (its weights or an input);
    ``maskless``: no mask can reach the node's inputs -- the model's inputs have none, and
    only a layer that makes or passes on masks gives one -- and the node makes none itself
    (``makes_mask``), so it runs without looking.
    All three follow from the graph alone: the model's inputs are data.
    """
    needs_grad = dict.fromkeys(model.inputs, False)
    may_mask = dict.fromkeys(model.inputs, False)
    steps = []
    for node in model.nodes_with_losses:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        record = record_for(layer, node.takes_list)
        wanted = [needs_grad[t] for t in node.inputs]
        differentiable = layer.count_params() > 0 or any(wanted)
        maskless = not any(may_mask[t] for t in node.inputs) and not makes_mask(layer)
        for tensor in node.outputs:            # a record's layer passes masks on, or makes one (mask_zero)
            needs_grad[tensor], may_mask[tensor] = differentiable, not maskless or record is None
        steps.append((node, record, wanted, differentiable, maskless))
    return steps


def fixed_calls(steps):
    """``{node: the keyword arguments of its call}`` for the nodes whose call never changes: a
    record, no mask can reach it, no ``training``/``rng`` (``Node.call_arguments`` makes them)."""
    fixed = {}
    for node, record, _, _, maskless in steps:
        if record is not None and maskless and not node.layer.accepts_training:
            nones = [None] * len(node.inputs)
            fixed[node] = node.call_arguments(nones, nones, True, None)[2]
    return fixed


def makes_mask(layer):
    """Whether the layer makes a mask of its own: Keras's ``mask_zero`` (Embedding,
    TokenAndPositionEmbedding); every other layer with a record only passes masks on."""
    return bool(getattr(layer, "mask_zero", False))


def add_into(tree, grads):
    """Add each gradient of the dict ``grads`` into the same place of ``tree`` (nested dicts too)."""
    for name, d in grads.items():
        if isinstance(d, dict):
            add_into(tree[name], d)
        else:
            tree[name] += d


def accumulate(grads, tensor, g):
    grads[tensor] = g if tensor not in grads else grads[tensor] + g


def forward_with_autograd(node, params, x, call, wanted):
    """Run a node without a record: its ``forward`` (``apply``), recorded alone by autograd.

    Returns ``(output, tape entry)``; the entry's ``saved`` is a function
    ``g -> (dx, dparams)``. autograd differentiates with respect to the weights
    and the inputs that need a gradient -- just the one input, when that is
    all (a container costs autograd more bookkeeping).
    """
    layer = node.layer
    ins = x if node.takes_list else [x]
    chosen = [value for value, want in zip(ins, wanted) if want]
    single = not params and len(chosen) == 1

    def run(differentiated):
        layer_params, picked = ({}, [differentiated]) if single else differentiated
        picked = iter(picked)
        full = [next(picked) if want else value for value, want in zip(ins, wanted)]
        out = layer.forward(layer_params, full if node.takes_list else full[0], **call)
        return traced_list(out) if isinstance(out, list) else out     # one traced value for autograd

    if not params and not chosen:
        return layer.forward(params, x, **call), None
    vjp, out = make_vjp(run, chosen[0] if single else (params, chosen))
    return out, (node, None, spread(vjp, wanted, out, node.takes_list, single), wanted)


def spread(vjp, wanted, out, takes_list, single):
    """``g -> (dx, or a list of them with None where not wanted; dparams)`` from autograd's vjp.

    autograd's vjp wants a gradient for every output: the ones no gradient reached get zeros.
    """
    spaces = [vspace(o) for o in out] if isinstance(out, list) else None

    def backward(g):
        if spaces is not None:
            g = [space.zeros() if gi is None else gi for space, gi in zip(spaces, g)]
        dparams, chosen = ({}, [vjp(g)]) if single else vjp(g)
        chosen = iter(chosen)
        dxs = [next(chosen) if want else None for want in wanted]
        return (dxs if takes_list else dxs[0]), dparams
    return backward


def all_finite(flat):
    """Whether every entry of the 1-D float array is finite: its max and min are (a max is nan
    if any entry is, +inf if one is; a min catches -inf) -- two reductions, no boolean copy."""
    return flat.size == 0 or bool(np.isfinite(flat.max()) and np.isfinite(flat.min()))
