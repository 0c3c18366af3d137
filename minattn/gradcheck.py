"""Check autograd's gradients against central finite differences, in float64.

For a scalar function f of a pytree of arrays (nested dicts / lists / arrays),
each element w gets

    numeric  = (f(w + eps) - f(w - eps)) / (2 eps)        # error O(eps^2)
    analytic = autograd.grad(f)[w]
    relative error = |analytic - numeric| / max(|analytic|, |numeric|, floor)

and the check fails, naming the exact weight and index, when the error
exceeds ``tol``. Use it on your own layers:

    >>> from minattn import gradcheck
    >>> gradcheck.check_layer(MyLayer(4), np.random.randn(2, 3, 5))
"""
import copy

import numpy as np
from autograd import grad

from .pytree import tree_map


class GradientCheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the finite differences."""


def _named_leaves(tree, prefix=""):
    if isinstance(tree, dict):
        return [item for key, value in tree.items()
                for item in _named_leaves(value, f"{prefix}/{key}" if prefix else str(key))]
    if isinstance(tree, (list, tuple)):
        return [item for i, value in enumerate(tree)
                for item in _named_leaves(value, f"{prefix}[{i}]" if prefix else f"[{i}]")]
    return [(prefix or "value", tree)]


def _to_float64(tree):
    if isinstance(tree, dict):
        return {k: _to_float64(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_to_float64(v) for v in tree]
    return np.array(tree, dtype=np.float64)


def relative_error(analytic, numeric, floor=1e-3):
    """``|a - n| / max(|a|, |n|, floor)``: relative, but absolute near zero.

    The floor is there because finite differences are only accurate to about
    ``1e-16 * |f| / eps``, i.e. 1e-10 to 1e-8 absolute for eps = 1e-6: a tiny
    correct gradient (tanh'(-7) ~ 1e-6) must not fail on that rounding noise.
    With tol = 1e-5 a gradient below the floor may be off by 1e-8 at most.
    """
    return np.abs(analytic - numeric) / np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)


def check_grads(f, params, eps=1e-6, tol=1e-5, max_elements=None, seed=0):
    """Compare ``autograd.grad(f)(params)`` with central differences, element by element.

    Args:
        f: scalar function of ``params``.
        params: a pytree (dict / list of arrays) -- copied to float64.
        eps: finite-difference step.
        tol: largest relative error allowed.
        max_elements: check at most this many elements per array (a random
            subset), or all of them when None.
        seed: which subset, when ``max_elements`` is set.

    Returns:
        ``{name: worst relative error}`` for every array.

    Raises:
        GradientCheckError: naming the array, the index and both values.
    """
    params = _to_float64(params)
    analytic = grad(f)(params)
    report = {}
    for (name, array), (_, g) in zip(_named_leaves(params), _named_leaves(analytic)):
        g = np.asarray(g, dtype=np.float64)
        worst = 0.0
        for index in _indices(array.shape, max_elements, seed):
            numeric = _central_difference(f, params, array, index, eps)
            error = float(relative_error(g[index], numeric))
            if not error <= tol:                # written so that a NaN on either side fails too
                raise GradientCheckError(
                    f"gradient of '{name}'{list(index)} is wrong: autograd gives {g[index]:.10g}, "
                    f"finite differences {numeric:.10g} (relative error {error:.2e} > tol {tol:.0e})")
            worst = max(worst, error)
        report[name] = worst
    return report


def _indices(shape, max_elements, seed):
    every = list(np.ndindex(*shape))
    if max_elements is None or len(every) <= max_elements:
        return every
    chosen = np.random.default_rng(seed).choice(len(every), size=max_elements, replace=False)
    return [every[i] for i in sorted(chosen)]


def _central_difference(f, params, array, index, eps):
    """(f(w + eps) - f(w - eps)) / 2 eps, changing ``array[index]`` in place and restoring it."""
    original = array[index]
    array[index] = original + eps
    plus = float(f(params))
    array[index] = original - eps
    minus = float(f(params))
    array[index] = original
    return (plus - minus) / (2.0 * eps)


def check_layer(layer, inputs, eps=1e-6, tol=1e-5, max_elements=None, seed=0,
                wrt_inputs=True, training=False, mask=None, rng=None):
    """Gradient-check a layer with respect to its inputs and each of its weights.

    The layer is built for the inputs' shapes (in float64) if it is not built
    yet; the checked scalar is ``sum(output * R)`` for a fixed random R, so
    every output element matters.

    Args:
        layer: a minattn layer.
        inputs: an array ``(batch, ...)`` or a list of arrays (several inputs).
        wrt_inputs: also check d/d inputs (set False for integer inputs, e.g. Embedding).
        mask: passed to layers that take one.
        training: passed to layers that take it (Dropout).
        rng: passed to layers that take it (Dropout): a seed or a
            ``numpy.random.Generator`` (default: ``seed``); every evaluation
            gets a fresh copy of it, so all of them draw the same dropout mask
            and the finite differences see one function.

    Returns:
        ``{"inputs...": err, "params/kernel": err, ...}`` worst relative errors.
    """
    from . import config
    many = isinstance(inputs, (list, tuple))
    inputs = [np.asarray(a) for a in inputs] if many else np.asarray(inputs)
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        if layer.params is None:
            layer.build([a.shape[1:] for a in inputs] if many else inputs.shape[1:])
    finally:
        config.set_floatx(previous)
    kwargs = {"mask": mask} if layer.accepts_mask else {}

    def run(params, x):
        if layer.accepts_training:       # a fresh copy of the same generator: the same mask each time
            kwargs.update(training=training, rng=_fresh_rng(seed if rng is None else rng))
        return layer.forward(params, x, **kwargs)

    outputs = run(_to_float64(layer.params), _to_float64(inputs) if wrt_inputs else inputs)
    projections = tree_map(lambda o: np.random.default_rng(seed + 1).standard_normal(np.shape(o)),
                           _as_dict(outputs))

    def projected(tree):
        x = tree["inputs"] if wrt_inputs else inputs
        out = run(tree["params"], list(x) if many else x)     # a list, as layers expect, not autograd's box
        return sum((o * r).sum() for o, r in zip(_flat(out), _flat(projections)))

    tree = {"params": _to_float64(layer.params)}
    if wrt_inputs:
        tree["inputs"] = _to_float64(inputs)
    return check_grads(projected, tree, eps=eps, tol=tol, max_elements=max_elements, seed=seed)


def _fresh_rng(rng):
    """A new Generator in the same state as ``rng`` (a seed or a Generator)."""
    return copy.deepcopy(rng) if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _as_dict(outputs):
    items = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {str(i): np.asarray(o) for i, o in enumerate(items)}


def _flat(outputs):
    if isinstance(outputs, dict):
        return list(outputs.values())
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
