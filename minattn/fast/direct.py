"""The tape-free training step: each layer's backward pass called directly, in reverse.

autograd records every op of a step on a tape and replays it backwards; each
recorded op costs some 10-25 microseconds of Python bookkeeping, which on the
article models is more than their arithmetic. But a model is a known graph of
layers, and most layers have a *rule* (``seam.Rule``, registered in
``fast.rules``): their forward pass and hand-written backward pass as plain
NumPy. So this step runs the model's nodes in order, keeping what each
backward pass needs, then walks them in reverse:

    forward:   y_node, saved_node = rule.forward(layer, params, x)    for each node
    loss:      loss = sum of the outputs' losses; g_output = d loss / d output
    backward:  dx, dparams = rule.backward(layer, params, saved, g_y)  for each node, last first
               (a tensor used twice adds both gradients; dparams go into one flat gradient)

A layer without a rule (a ``Lambda``, ``Dropout``, a layer given a mask) is
differentiated by autograd on its own (``make_vjp`` of ``layer.forward``), so
any model runs; the step is used when every layer that holds weights has a
rule (``DirectStep.covers``), else ``fit`` keeps autograd's tape over the whole
step (``FastSteps.flat_loss``). The loss and gradients are the readable step's
to float rounding (``tests/test_direct.py``).
"""
import numpy as np
from autograd.core import make_vjp, vspace

from .. import losses
from ..layers.input_layer import InputLayer
from ..pytree import unflatten
from .losses import LOSS_GRADS, batch_loss_fn
from .seam import rule_for


class DirectStep:
    """Loss and flat gradient of one batch without autograd's tape (where layers have rules).

    Args:
        model: the model; its graph is read once, into a plan of its nodes.
        loss_fns: the compiled losses, one per output (``minattn.losses`` functions).
    """

    def __init__(self, model, loss_fns):
        self.model = model
        self.plan = _plan(model)
        self.losses = [_loss_with_grad(fn) for fn in loss_fns]
        self._gradient = (None, None, None)       # (weights it is for, flat gradient, its views)

    @staticmethod
    def covers(model):
        """Whether the step applies: no ``add_loss`` terms, and a rule for every layer with weights."""
        return not model.added_losses and all(
            rule_for(layer) is not None for layer in model.layers if layer.count_params())

    def __call__(self, weights, xs, ys, rng, keep):
        """``(loss, flat gradient)`` at the buffer ``weights`` (``flat.FlatParams``); the
        predictions go to ``keep["preds"]``. The gradient's buffer is reused by the next call."""
        grad_flat, grad_tree = self._gradient_buffer(weights)
        values, tape = self.forward(weights.tree, xs, rng)
        preds = [values[t] for t in self.model.outputs]
        keep["preds"] = preds
        terms, grads = [], {}
        for loss_with_grad, y, tensor, p in zip(self.losses, ys, self.model.outputs, preds):
            value, d_pred = loss_with_grad(y, p)
            terms.append(value)
            _accumulate(grads, tensor, d_pred)
        loss = losses.total_loss(terms)
        self.backward(tape, grads, weights.tree, grad_tree)
        return loss, grad_flat

    def _gradient_buffer(self, weights):
        """A zeroed flat gradient like ``weights.flat`` and its views shaped like the weights tree."""
        owner, grad_flat, grad_tree = self._gradient
        if owner is not weights:
            grad_flat = np.zeros_like(weights.flat)
            grad_tree = unflatten(grad_flat, weights.tree)        # views into grad_flat
            self._gradient = (weights, grad_flat, grad_tree)
        else:
            grad_flat.fill(0)
        return grad_flat, grad_tree

    # -- the two passes -------------------------------------------------------------
    def forward(self, params_tree, xs, rng):
        """Run every node; returns the values by tensor and the tape (one entry per node that
        a weight reaches, in order)."""
        values = dict(zip(self.model.inputs, xs))
        masks = {}                                  # only where a mask may appear (see _plan)
        tape = []
        for node, rule, wanted, differentiable, plain in self.plan:
            layer = node.layer
            params = params_tree.get(layer.name, _NO_PARAMS)
            if plain:                               # a rule, and no mask can reach the node
                x = [values[t] for t in node.inputs] if node.takes_list else values[node.inputs[0]]
                out, saved = rule.forward(layer, params, x)
                values[node.outputs[0]] = out
                entry = (node, rule, saved, wanted)
            else:
                entry = _run_masked(node, rule, params, values, masks, wanted, rng)
            if differentiable:
                tape.append(entry)
        return values, tape

    @staticmethod
    def backward(tape, grads, params_tree, grad_tree):
        """Walk the tape last to first, handing each node d loss / d its outputs."""
        for node, rule, saved, wanted in reversed(tape):
            if node.returns_list:
                g = [grads.pop(t, None) for t in node.outputs]
                if all(gi is None for gi in g):
                    continue
            else:
                g = grads.pop(node.outputs[0], None)
                if g is None:
                    continue                                      # nothing downstream depends on it
            layer = node.layer
            if rule is None:                                      # saved is autograd's vjp
                dxs, dparams = saved(g)
            else:
                dxs, dparams = rule.backward(layer, params_tree.get(layer.name, _NO_PARAMS), saved,
                                             g, wanted)
            if dparams:
                layer_grads = grad_tree[layer.name]
                for name, d in dparams.items():
                    layer_grads[name] += d                        # a shared layer adds every call's part
            if node.takes_list:
                for tensor, dx, want in zip(node.inputs, dxs, wanted):
                    if want and dx is not None:
                        _accumulate(grads, tensor, dx)
            elif wanted[0] and dxs is not None:
                _accumulate(grads, node.inputs[0], dxs)


_NO_PARAMS = {}


def _plan(model):
    """``[(node, rule or None, wanted, differentiable, plain)]`` for every node after the inputs.

    ``wanted[i]``: whether input i of the node needs a gradient (a weight reaches it);
    ``differentiable``: whether one reaches the node at all (its weights or an input);
    ``plain``: the node has a rule and no mask can reach it -- the model's inputs have
    none, and a layer with a rule makes none of its own -- so it runs without looking.
    All three follow from the graph alone: the model's inputs are data.
    """
    needs_grad = dict.fromkeys(model.inputs, False)
    may_mask = dict.fromkeys(model.inputs, False)
    plan = []
    for node in model.nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        rule = rule_for(layer)
        if rule is not None and (rule.takes_list != node.takes_list or node.call_kwargs):
            rule = None                             # an LSTM given initial states, a call's own arguments: autograd
        wanted = [needs_grad[t] and i < node.input_count for i, t in enumerate(node.inputs)]   # not a mask argument
        differentiable = layer.count_params() > 0 or any(wanted)
        plain = rule is not None and not node.returns_list and not any(may_mask[t] for t in node.inputs)
        for tensor in node.outputs:
            needs_grad[tensor], may_mask[tensor] = differentiable, not plain
        plan.append((node, rule, wanted, differentiable, plain))
    return plan


def _run_masked(node, rule, params, values, masks, wanted, rng):
    """Run a node that a mask may reach: by its rule if no mask came, else through autograd.
    Stores the outputs and their masks; returns the tape entry."""
    ins = [values[t] for t in node.inputs]
    in_masks = [masks.get(t) for t in node.inputs]
    if rule is not None and all(m is None for m in in_masks):
        out, saved = rule.forward(node.layer, params, ins if node.takes_list else ins[0])
        entry, out_masks = (node, rule, saved, wanted), [None]    # a rule's layer makes no mask
    else:
        out, entry, out_masks = forward_with_autograd(node, params, ins, in_masks, wanted, rng)
    for tensor, value, mask in zip(node.outputs, out if node.returns_list else [out], out_masks):
        values[tensor], masks[tensor] = value, mask
    return entry


def _accumulate(grads, tensor, g):
    grads[tensor] = g if tensor not in grads else grads[tensor] + g


def forward_with_autograd(node, params, ins, in_masks, wanted, rng):
    """Run a node without a rule through ``layer.forward``, recording it alone with autograd.

    Returns ``(output, tape entry, output masks)``; the entry's ``saved`` is a
    function ``g -> (dx, dparams)``. autograd differentiates with respect to
    the weights and the inputs that need a gradient -- just the one input,
    when that is all (a container costs autograd more bookkeeping).
    """
    layer = node.layer
    x, mask, kwargs = node.call_arguments(ins, in_masks, True, rng)
    chosen = [value for value, want in zip(ins, wanted) if want]
    single = not params and len(chosen) == 1

    def run(differentiated):
        layer_params, picked = ({}, [differentiated]) if single else differentiated
        picked = iter(picked)
        full = [next(picked) if want else value for value, want in zip(ins, wanted)]
        return layer.forward(layer_params, full[:node.input_count] if node.takes_list else full[0], **kwargs)

    if not params and not chosen:
        out, entry = layer.forward(params, x, **kwargs), None
    else:
        vjp, out = make_vjp(run, chosen[0] if single else (params, chosen))
        entry = (node, None, _spread(vjp, wanted, out, node.takes_list, single), wanted)
    return out, entry, node.output_masks(x, mask)


def _spread(vjp, wanted, out, takes_list, single):
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


def _loss_with_grad(fn):
    """``(y_true, y_pred) -> (mean loss, its gradient wrt y_pred)``: by hand for mse and binary
    cross-entropy (``fast.losses``), else through autograd -- one call of the loss either way."""
    if fn in LOSS_GRADS:
        value_fn, grad_fn = LOSS_GRADS[fn]
        return lambda y_true, y_pred: (value_fn(y_true, y_pred), grad_fn(y_true, y_pred))
    batch_loss = batch_loss_fn(fn)

    def with_autograd(y_true, y_pred):
        vjp, value = make_vjp(lambda p: batch_loss(y_true, p), y_pred)
        return value, vjp(np.ones_like(value))
    return with_autograd
