"""minattn, PyTorch and JAX compute the same: outputs, loss and gradients on one batch.

Before timing, bench_train.py checks that each framework's model is minattn's, from the
same initial weights: PyTorch on float64 copies of both models (``check_same_model`` says
why), JAX in float32 on the first batch. A difference above the tolerance stops the run,
since the comparison would be meaningless.
"""
import copy

import bench_threads  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad

import minattn.losses
from minattn.pytree import tree_leaves, tree_map

from bench_models import BATCH_SIZE, LOSS, as_inputs, first

CHECK_TOLERANCE = 1e-4  # max |difference| allowed between minattn and jax (float32) outputs, loss, gradients
CHECK_TOLERANCE_FLOAT64 = 1e-9   # the same between minattn and torch, both in float64 (see check_same_model)


def minattn_reference(model, name, xb, yb, params=None):
    """(outputs, loss, per-layer gradient dicts) of the minattn model on one batch.

    Only public pieces -- ``Model.apply``, ``minattn.losses`` and autograd --
    so the checks do not depend on how ``fit`` is implemented. ``params``
    (default the model's) may be a float64 copy: ``apply`` computes in their dtype.
    """
    params = model.params if params is None else params
    loss_fn = minattn.losses.get(LOSS[name])
    loss, grads = value_and_grad(lambda p: anp.mean(loss_fn(yb, model.apply(p, *as_inputs(xb)))))(params)
    return model.apply(params, *as_inputs(xb)), float(loss), list(grads.values())


def largest_difference(name, framework, ours, theirs, tolerance=CHECK_TOLERANCE):
    """Largest |difference| of two (outputs, loss, gradients) triples; an error above ``tolerance``."""
    (out_a, loss_a, grads_a), (out_b, loss_b, grads_b) = ours, theirs
    diffs = [np.max(np.abs(out_a - out_b)), abs(loss_a - loss_b)]
    for a, b in zip(grads_a, grads_b, strict=True):
        if a.keys() != b.keys():
            raise AssertionError(f"{name}: minattn weights {sorted(a)} but {framework} {sorted(b)}")
        diffs += [np.max(np.abs(a[k] - b[k])) for k in a]
    worst = float(max(diffs))
    if worst > tolerance:
        raise AssertionError(f"{name}: minattn and {framework} models differ by {worst:.3g} "
                             f"(> {tolerance}); the comparison would be meaningless")
    return worst


def in_float64(array):
    """``array`` as float64 if it holds floats (ids stay integers)."""
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def check_same_model(tm, model, trainer, x, y):
    """Largest |difference| of outputs, loss and gradients between minattn and torch on one batch, in float64.

    Both sides are float64 copies of the timed models (same weights): in float32 a relu unit whose
    input lies within rounding of 0 may fall on either side in either framework and move a gradient
    by 1e-4 (the char GPT's feed-forward has 2 x 64 x 32 x 512 of them), so only float64 separates
    different maths from rounding (they agree to about 1e-15).
    """
    name = trainer.name
    xb, yb = [in_float64(a) for a in as_inputs(first(x, BATCH_SIZE[name]))], in_float64(y[:BATCH_SIZE[name]])
    torch_model = copy.deepcopy(trainer.model).double()
    torch_model.eval()                                  # no dropout: minattn_reference runs inference
    torch_out = torch_model(*[tm.torch.from_numpy(a) for a in xb])
    torch_loss = torch_model.loss(torch_out, tm.torch.from_numpy(yb))
    torch_loss.backward()
    nested = hasattr(torch_model, "minattn_view")
    torch_grads = tm.view_leaves(torch_model, grads=True) if nested else tm.get_weights(torch_model, grads=True)
    ours = minattn_reference(model, name, xb if len(xb) > 1 else xb[0], yb, tree_map(in_float64, model.params))
    if nested:                        # nested blocks: compare the gradients leaf by leaf, in Keras's order
        ours = ours[:2] + ([{"w": leaf} for grads in ours[2] for leaf in tree_leaves(grads)],)
        torch_grads = [{"w": leaf} for leaf in torch_grads]
    theirs = (torch_out.detach().numpy(), float(torch_loss.detach()), torch_grads)
    return largest_difference(name, "torch", ours, theirs, CHECK_TOLERANCE_FLOAT64)


def check_same_jax(jm, model, name, x, y):
    """Largest |difference| of outputs, loss and gradients between minattn and jax on one batch."""
    xb, yb = x[:BATCH_SIZE[name]], y[:BATCH_SIZE[name]]
    theirs = jm.outputs_loss_grads(name, list(model.params.values()), xb, yb)
    return largest_difference(name, "jax", minattn_reference(model, name, xb, yb), theirs)

