"""The fast path (``minattn.fast``): every record of the table against finite differences
and the readable path.

* every hand-written autograd primitive anywhere in minattn is
  gradient-checked in float64 (the list comes from scanning the package: a
  new primitive without a case here fails the suite); the records' one
  primitive (``Record.run``) is checked through every record below;
* every record of the table (``fast.table.RECORDS``) runs in at least one
  layer case (a record added without a case fails); for every such case the
  record's output and gradients -- called directly, and as one autograd
  primitive -- equal the readable layer's (``apply``), and its backward pass
  agrees with finite differences of its forward pass in float64.
"""
import contextlib
import importlib
import pkgutil

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import gradcheck_cases as cases
import minattn
from minattn import activations as act
from minattn import gradcheck, losses
from minattn.fast import losses as fast_losses
from minattn.fast.table import RECORDS, record_for
from minattn.model import run_layer
from minattn.layers import GRU, LSTM
from minattn.pytree import named_leaves, tree_map

TOL = 1e-5
EPS = 1e-6
RNG = np.random.default_rng(7)
PROBS = np.clip(RNG.random((4, 3)), 0.05, 0.95)
TARGETS = (RNG.random((4, 3)) > 0.5).astype(float)


@pytest.fixture
def fused_on():
    minattn.set_fast(True)
    yield


# -- the primitives of the package ------------------------------------------------------------
# Every primitive, by "module.name" (an op recorded through a private ``_<name>_op`` is
# checked through its public function ``<name>``). The records' one primitive,
# ``minattn.fast.record.record_op``, is checked through every record (the tests below).
RECORD_PRIMITIVE = "minattn.fast.record.record_op"
PRIMITIVE_CASES = {
    "minattn.activations.tanh": [("tanh", lambda t: anp.sum(act.tanh(t) * PROBS), cases.rand(4, 3, seed=12)),
                                 ("tanh-large", lambda t: anp.sum(act.tanh(t * 30.0) * PROBS),
                                  cases.rand(4, 3, seed=12))],
    "minattn.activations.erf": [("erf", lambda t: anp.sum(act.erf(t) * PROBS), cases.rand(4, 3, seed=11)),
                                ("erf-wide", lambda t: anp.sum(act.erf(t * 3.0) * PROBS), cases.rand(4, 3, seed=11))],
}
ALL_PRIMITIVE_CASES = [(name, cid, f, x) for name, items in PRIMITIVE_CASES.items() for cid, f, x in items]


def _is_primitive(obj):
    return callable(obj) and getattr(obj, "fun", None) is not None and hasattr(obj, "_is_autograd_primitive")


def every_primitive():
    """``{"module.name": primitive}`` for every autograd primitive defined in minattn.

    ``minattn.exercises`` is left out: its starters are the students' own
    primitives, which the exercise checkers grade against finite differences.
    """
    found = {}
    for info in pkgutil.walk_packages(minattn.__path__, "minattn."):
        if info.name.startswith(("minattn.exercises", "minattn.keras_bridge")):
            continue                     # the keras bridge only defines Keras layers (no primitive)
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if _is_primitive(obj) and getattr(obj.fun, "__module__", None) == info.name:
                found[f"{info.name}.{name}"] = obj
    return found


def test_every_primitive_in_the_package_has_a_gradient_case():
    """An op recorded through a private primitive ``_<name>_op`` counts as its public ``<name>``."""
    found = every_primitive()
    assert RECORD_PRIMITIVE in found
    public = set()
    for qualified in found:
        if qualified == RECORD_PRIMITIVE:
            continue                      # checked record by record below
        module, name = qualified.rsplit(".", 1)
        if name.startswith("_") and name.endswith("_op"):
            public_name = f"{module}.{name[1:-3]}"
            assert callable(getattr(importlib.import_module(module), name[1:-3], None)), \
                f"private primitive {qualified} has no public function {public_name}"
            public.add(public_name)
        else:
            public.add(qualified)
    assert "minattn.activations.tanh" in public
    missing = public - set(PRIMITIVE_CASES)
    assert not missing, f"primitives without a gradient check: {sorted(missing)} -- add them to PRIMITIVE_CASES"
    stale = set(PRIMITIVE_CASES) - public
    assert not stale, f"cases for primitives that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("name,case_id,f,tree", ALL_PRIMITIVE_CASES,
                         ids=[f"{n}-{c}" for n, c, _, _ in ALL_PRIMITIVE_CASES])
def test_primitive_gradients(name, case_id, f, tree):
    report = gradcheck.check_grads(f, tree, tol=TOL)
    assert max(report.values()) <= TOL


# -- the losses' hand-written values and gradients ---------------------------------------------
@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.binary_crossentropy])
def test_hand_written_losses_equal_the_readable_ones(fn):
    value_fn, grad_fn = fast_losses.LOSS_GRADS[fn]
    assert value_fn(TARGETS, PROBS) == pytest.approx(np.mean(fn(TARGETS, PROBS)), rel=1e-12)
    g_traced = grad(lambda p: anp.mean(fn(TARGETS, p)))(PROBS)
    assert np.allclose(grad_fn(TARGETS, PROBS), g_traced, rtol=1e-10, atol=1e-14)
    value, g = fast_losses.loss_with_grad(fn)(TARGETS, PROBS)
    assert value == value_fn(TARGETS, PROBS) and np.array_equal(g, grad_fn(TARGETS, PROBS))


def test_a_loss_without_a_hand_written_gradient_goes_through_autograd():
    fn = losses.categorical_crossentropy
    assert fn not in fast_losses.LOSS_GRADS
    targets = TARGETS / np.maximum(TARGETS.sum(axis=1, keepdims=True), 1)
    value, g = fast_losses.loss_with_grad(fn)(targets, PROBS)
    assert value == pytest.approx(float(np.mean(fn(targets, PROBS))), rel=1e-12)
    assert np.allclose(g, grad(lambda p: anp.mean(fn(targets, p)))(PROBS), rtol=1e-12)


# -- every record of the table -------------------------------------------------------------------
def _call(layer, kwargs):
    """The case's call arguments: its mask, and while training a fresh generator from its seed
    (so every run draws the same dropout masks)."""
    call = {"mask": kwargs["mask"]} if layer.accepts_mask and "mask" in kwargs else {}
    if layer.accepts_training and kwargs.get("training"):
        call.update(training=True, rng=np.random.default_rng(kwargs.get("rng", 0)))
    return call


def _record_cases():
    """The layer cases some record covers (with the fast path on)."""
    found = []
    for case_id in sorted(cases.LAYER_CASES):
        layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
        if record_for(layer, isinstance(inputs, list)) is not None:
            found.append(case_id)
    return found


RECORD_CASES = _record_cases()


def test_every_record_of_the_table_runs_in_some_layer_case():
    """A record added to the table without a layer case fails here."""
    covered = {type(cases.LAYER_CASES[case_id]()[0]) for case_id in RECORD_CASES}
    missing = set(RECORDS) - covered
    assert not missing, f"records no layer case runs: {sorted(c.__name__ for c in missing)}"
    assert len(RECORDS) >= 12


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _projections(out):
    """A fixed weight per output element, so every one of them matters: sum(out * w)."""
    return [np.cos(np.arange(np.size(o))).reshape(np.shape(o)) + 0.5 for o in _as_list(out)]


@pytest.mark.parametrize("case_id", RECORD_CASES)
def test_record_equals_the_readable_layer(case_id):
    """forward's output and backward's gradients equal ``apply``'s and autograd's (float64)."""
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    many = isinstance(inputs, list)
    record = record_for(layer, many)
    out, saved = record.forward(layer, layer.params, inputs, **_call(layer, kwargs))
    with minattn.readable():
        readable = layer.apply(layer.params, inputs, **_call(layer, kwargs))
    for got, want in zip(_as_list(out), _as_list(readable)):
        assert np.allclose(got, want, rtol=1e-12, atol=1e-14)
    weights = _projections(out)
    g = weights if isinstance(out, list) else weights[0]
    wrt_inputs = kwargs.get("wrt_inputs", True)
    dx, dparams = record.backward(layer, layer.params, saved, g, [wrt_inputs] * len(_as_list(inputs)))

    def total(tree):
        x = tree.get("x", inputs)
        with minattn.readable():
            y = layer.apply(tree["params"], list(x) if many else x, **_call(layer, kwargs))
        return sum(anp.sum(o * w) for o, w in zip(_as_list(y), weights))
    expected = grad(total)({"params": layer.params, **({"x": inputs} if wrt_inputs else {})})
    assert [key for key, _ in named_leaves(dparams)] == [key for key, _ in named_leaves(layer.params)]
    for (name, got), (_, want) in zip(named_leaves(dparams), named_leaves(expected["params"])):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12), name
    for got, want in zip(_as_list(dx), _as_list(expected.get("x", []))):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case_id", RECORD_CASES)
def test_record_gradients_against_finite_differences(case_id):
    """Each weight's and input's gradient from ``backward``, against central differences of
    ``forward`` along a random direction in that weight (or input) alone, in float64."""
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    many = isinstance(inputs, list)
    record = record_for(layer, many)
    params = tree_map(np.array, layer.params)                  # copies, nudged in place below
    wrt_inputs = kwargs.get("wrt_inputs", True)
    xs = [np.array(x, dtype=float) if wrt_inputs else x for x in _as_list(inputs)]
    out, saved = record.forward(layer, params, xs if many else xs[0], **_call(layer, kwargs))
    weights = _projections(out)
    g = weights if isinstance(out, list) else weights[0]
    dx, dparams = record.backward(layer, params, saved, g, [wrt_inputs] * len(xs))
    analytic = dict(named_leaves(dparams), **{f"x{i}": d for i, d in enumerate(_as_list(dx)) if wrt_inputs})
    leaves = dict(named_leaves(params), **{f"x{i}": x for i, x in enumerate(xs) if wrt_inputs})
    rng = np.random.default_rng(3)

    def loss():
        y, _ = record.forward(layer, params, xs if many else xs[0], **_call(layer, kwargs))
        return sum(np.sum(o * w) for o, w in zip(_as_list(y), weights))

    for name, leaf in leaves.items():
        direction = rng.standard_normal(leaf.shape)
        leaf += EPS * direction
        up = loss()
        leaf -= 2 * EPS * direction
        down = loss()
        leaf += EPS * direction
        numeric, exact = (up - down) / (2 * EPS), np.sum(analytic[name] * direction)
        assert abs(numeric - exact) <= TOL * max(1.0, abs(exact)), (name, numeric, exact)


@contextlib.contextmanager
def through_the_table(layer):
    """Inside, ``layer.forward`` runs as the graph runs it (``model.run_layer``): its record as
    one autograd primitive (``Record.run``) where the table has one, else ``apply``."""
    readable_forward = layer.forward
    layer.forward = lambda params, x, **call: run_layer(layer, params, x, **call) \
        if record_for(layer, isinstance(x, (list, tuple))) else readable_forward(params, x, **call)
    try:
        yield
    finally:
        del layer.forward


@pytest.mark.parametrize("case_id", RECORD_CASES)
def test_record_as_one_primitive_gradient_checks(case_id, fused_on):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    with through_the_table(layer):
        report = gradcheck.check_layer(layer, inputs, tol=TOL, **kwargs)
    assert all(err <= TOL for err in report.values())


def _output_and_grads(layer, inputs, kwargs):
    call = _call(layer, kwargs)
    wrt_inputs = kwargs.get("wrt_inputs", True)

    def total(tree):
        x = tree.get("inputs", inputs)
        out = layer.forward(tree["params"], list(x) if isinstance(inputs, list) else x, **call)
        outs = out if isinstance(out, list) else [out]
        return sum(anp.sum(o * np.cos(np.arange(np.size(o))).reshape(np.shape(o))) for o in outs)
    tree = {"params": layer.params}
    if wrt_inputs:
        tree["inputs"] = inputs
    return total(tree), grad(total)(tree)


def _leaves(tree):
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in _leaves(value)]
    if isinstance(tree, (list, tuple)):
        return [leaf for value in tree for leaf in _leaves(value)]
    return [tree]


@pytest.mark.parametrize("case_id", RECORD_CASES)
def test_fast_equals_readable_values_and_gradients(case_id, fused_on):
    """Through ``Record.run`` under autograd, as ``Model.apply`` on the fast path runs it."""
    assert_fast_equals_readable(*cases.LAYER_CASES[case_id]())


def assert_fast_equals_readable(layer, inputs, kwargs):
    """The layer's output and every gradient as the graph runs it on the fast path equal the
    readable path's (``apply`` under autograd)."""
    readable_value, readable_grads = _output_and_grads(layer, inputs, kwargs)
    with through_the_table(layer):
        fast_value, fast_grads = _output_and_grads(layer, inputs, kwargs)
    assert fast_value == pytest.approx(readable_value, rel=1e-10, abs=1e-12)
    for a, b in zip(_leaves(readable_grads), _leaves(fast_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_an_empty_sequence_hands_back_the_initial_state(layer_cls, fused_on):
    """No time steps: both paths return the initial state, whose gradient passes straight through."""
    states = [cases.rand(2, 3, seed=s) for s in range(2 if layer_cls is LSTM else 1)]
    layer, inputs, kwargs = cases.case(layer_cls(3, return_state=True), [np.zeros((2, 0, 4))] + states)
    readable_value, readable_grads = _output_and_grads(layer, inputs, kwargs)
    fast_out, _ = record_for(layer, True).forward(layer, layer.params, inputs)
    with through_the_table(layer):
        fast_value, fast_grads = _output_and_grads(layer, inputs, kwargs)
    assert np.array_equal(fast_out[0], states[0])                      # h: the initial h
    assert fast_value == pytest.approx(readable_value, rel=1e-12)
    for a, b in zip(_leaves(readable_grads), _leaves(fast_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-10, atol=1e-12)
