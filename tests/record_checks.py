"""``check_equals_readable``: a record against its readable layer, at any float type.

``forward`` gives the readable ``apply``'s output, ``backward`` the gradients
autograd finds through ``apply`` (weights and float inputs), and ``Record.run``
under autograd the same gradients.

The checked scalar is ``sum(output * R)`` for a fixed R (for each output).
A call's ``rng`` is a seed: every evaluation gets a fresh generator from it,
so all of them draw the same dropout masks.
"""
import autograd.numpy as anp
import numpy as np
from autograd import grad

import minattn
from minattn.pytree import named_leaves



def call_arguments(layer, kwargs):
    """The keyword arguments ``apply`` takes, from a registry case's kwargs (fresh rng)."""
    call = {}
    if layer.accepts_mask:
        call["mask"] = kwargs.get("mask")
    if layer.accepts_training:
        call.update(training=kwargs.get("training", False), rng=np.random.default_rng(kwargs.get("rng", 0)))
    return call


def as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def projections(y):
    """A fixed R like each output: d sum(y R) / d y = R reaches every element."""
    return [np.cos(np.arange(np.size(o)) + 0.5 * i).reshape(np.shape(o)) + 0.25
            for i, o in enumerate(as_list(y))]


def scalar(y, rs):
    return sum(anp.sum(o * r) for o, r in zip(as_list(y), rs))


def differentiable(inputs):
    """Indices of the float inputs (token ids are data)."""
    return [i for i, x in enumerate(as_list(inputs)) if np.asarray(x).dtype.kind == "f"]


def check_equals_readable(record, layer, inputs, kwargs, rtol=1e-10, atol=1e-12):
    many = isinstance(inputs, list)
    params = layer.params
    y, saved = record.forward(layer, params, inputs, **call_arguments(layer, kwargs))
    with minattn.readable():
        readable = layer.apply(params, inputs, **call_arguments(layer, kwargs))
    for got, want in zip(as_list(y), as_list(readable), strict=True):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)
    rs = projections(y)
    floats = differentiable(inputs)

    def total(tree, through_record):
        x = as_list(inputs)
        for i, xi in zip(floats, tree["x"]):
            x[i] = xi
        x = x if many else x[0]
        if through_record:
            return scalar(record.run(layer, tree["params"], x, **call_arguments(layer, kwargs)), rs)
        with minattn.readable():
            return scalar(layer.apply(tree["params"], x, **call_arguments(layer, kwargs)), rs)

    tree = {"params": params, "x": [as_list(inputs)[i] for i in floats]}
    expected = grad(lambda t: total(t, False))(tree)
    through_run = grad(lambda t: total(t, True))(tree)
    g = rs if isinstance(y, list) else rs[0]
    dx, dparams = record.backward(layer, params, saved, g, [i in floats for i in range(len(as_list(inputs)))])
    want = dict(named_leaves(expected["params"]))
    for found in (dict(named_leaves(dparams)), dict(named_leaves(through_run["params"]))):
        assert set(found) == set(want)
        for key in want:
            np.testing.assert_allclose(found[key], want[key], rtol=rtol, atol=atol, err_msg=key)
    for i, index in enumerate(floats):
        np.testing.assert_allclose(as_list(dx)[index], expected["x"][i], rtol=rtol, atol=atol)
        np.testing.assert_allclose(through_run["x"][i], expected["x"][i], rtol=rtol, atol=atol)
