"""Properties of every layer, on random valid settings, shapes, masks and dtypes (Hypothesis).

For each layer class with gradient cases (``gradcheck_cases.LAYER_CASES``), a
strategy in ``property_layers.py`` draws small random examples; then:

* the shape ``init`` declares is the shape ``apply`` returns, and the output
  dtype is the float type the layer was built in (float32 or float64);
* the fast path (``layer.forward``) equals the readable one (``with
  minattn.traced():``) to ~1e-9 in float64, values and gradients;
* masked keys get exactly zero attention weight (and the allowed ones sum to 1);
* the gradients pass the finite-difference check.

The examples are deterministic (the "ci" profile in ``conftest.py``); run
``HYPOTHESIS_PROFILE=thorough`` for a longer, random search.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

import minattn
from minattn import gradcheck
from minattn.layers.vocabulary import shapes_match
from minattn.pytree import tree_leaves, tree_map

import gradcheck_cases
from property_layers import ATTENTION_LAYERS, BUILDERS, drawn_layer

LAYERS = sorted(BUILDERS)


def test_every_layer_with_gradient_cases_has_a_property_strategy():
    registered = {type(factory()[0]).__name__ for factory in gradcheck_cases.LAYER_CASES.values()}
    assert registered <= set(BUILDERS), sorted(registered - set(BUILDERS))
    assert len(registered) >= 30


def built(drawn, dtype, seed=0):
    """A fresh layer from ``drawn``, built in ``dtype``, with weights nudged off any special point."""
    minattn.set_floatx(dtype)
    layer = drawn.make()
    declared = layer.build(drawn.shapes)
    rng = np.random.default_rng(seed)
    layer.params = tree_map(lambda w: (w + 0.1 * rng.standard_normal(w.shape)).astype(w.dtype), layer.params)
    return layer, declared


def as_outputs(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


# ---------------------------------------------------------------------------
# The declared shape is the shape that comes out, in the layer's float type
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", LAYERS)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_declared_output_shape_and_dtype_are_what_apply_returns(name, data, dtype):
    drawn = data.draw(drawn_layer(name, dtype))
    layer, declared = built(drawn, dtype)
    outputs = as_outputs(drawn.forward(layer, drawn.inputs))
    declared = declared if isinstance(declared, list) else [declared]
    assert [o.shape[1:] for o in outputs] == [tuple(d) for d in declared]
    assert all(o.shape[0] == len(as_outputs(drawn.inputs)[0]) for o in outputs)
    assert [o.dtype for o in outputs] == [np.dtype(dtype)] * len(outputs)


def unknown_time(shapes):
    """The shape(s) with the size after the batch axis unknown (None) where there is a time axis."""
    if isinstance(shapes, list):
        return [unknown_time(s) for s in shapes]
    return (None,) + tuple(shapes[1:]) if len(shapes) >= 2 else tuple(shapes)


@pytest.mark.parametrize("name", LAYERS)
@given(data=st.data())
def test_a_shape_declared_for_unknown_time_fits_every_length(name, data):
    """Built for (None, ...) -- as a model built on ``Input((None, features))`` is -- the declared
    shape holds for the drawn length: equal where known, None where the length decides."""
    drawn = data.draw(drawn_layer(name))
    minattn.set_floatx("float64")
    try:
        declared = drawn.make().build(unknown_time(drawn.shapes))
    except ValueError:                  # a layer that needs every size known says so (Flatten, Reshape, ...)
        return
    layer, _ = built(drawn, "float64")
    outputs = as_outputs(drawn.forward(layer, drawn.inputs))
    declared = declared if isinstance(declared, list) else [declared]
    assert len(declared) == len(outputs)
    assert all(shapes_match(tuple(d), o.shape[1:]) for d, o in zip(declared, outputs)), (declared, outputs)


# ---------------------------------------------------------------------------
# Fast path == readable path
# ---------------------------------------------------------------------------
def projected_sum(drawn, layer, x, directions):
    """``sum(output * R)`` over every output, as a function of the weights."""
    def f(params):
        return sum(anp.sum(o * r) for o, r in zip(as_outputs(drawn.forward(layer, x, params)), directions))
    return f


@pytest.mark.parametrize("name", LAYERS)
@given(data=st.data())
def test_fast_path_equals_readable_path(name, data):
    drawn = data.draw(drawn_layer(name))
    layer, _ = built(drawn, "float64")
    fast = as_outputs(drawn.forward(layer, drawn.inputs))
    with minattn.traced():
        readable = as_outputs(drawn.forward(layer, drawn.inputs))
    for f, r in zip(fast, readable):
        np.testing.assert_allclose(f, r, rtol=1e-9, atol=1e-12)
    if not layer.params or not drawn.smooth:
        return
    directions = [np.random.default_rng(1).standard_normal(o.shape) for o in fast]
    fast_grad = grad(projected_sum(drawn, layer, drawn.inputs, directions))(layer.params)
    with minattn.traced():
        readable_grad = grad(projected_sum(drawn, layer, drawn.inputs, directions))(layer.params)
    for f, r in zip(tree_leaves(fast_grad), tree_leaves(readable_grad)):
        np.testing.assert_allclose(f, r, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------------------
# Masked keys get exactly zero weight
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ATTENTION_LAYERS)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_masked_keys_get_exactly_zero_weight(name, data, dtype):
    drawn = data.draw(drawn_layer(name, dtype).filter(lambda d: d.attention is not None))
    layer, _ = built(drawn, dtype)
    weights, allowed = drawn.attention(as_outputs(drawn.forward(layer, drawn.inputs)))
    allowed = np.broadcast_to(allowed, weights.shape)
    assert np.all(weights[~allowed] == 0.0)                      # exactly, not approximately
    assert np.all(weights >= 0.0)
    if drawn.normalised:
        rows = allowed.any(axis=-1)
        sums = weights.sum(axis=-1)
        np.testing.assert_allclose(sums[rows], 1.0, rtol=0, atol=1e-5 if dtype == "float32" else 1e-6)
        assert np.all(sums[~rows] == 0.0)                         # nothing to attend to: all zero


# ---------------------------------------------------------------------------
# Gradients against finite differences
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", LAYERS)
@settings(max_examples=settings.default.max_examples * 2 // 5)     # the slowest property: 10 in "ci"
@given(data=st.data())
def test_gradients_pass_the_finite_difference_check(name, data):
    drawn = data.draw(drawn_layer(name).filter(lambda d: d.smooth))
    layer, _ = built(drawn, "float64")
    with minattn.traced():
        errors = gradcheck.check_layer(layer, drawn.inputs, mask=drawn.mask, wrt_inputs=not drawn.int_inputs,
                                       training=drawn.training, rng=3, max_elements=12)
    assert errors and max(errors.values()) < 1e-5, errors
