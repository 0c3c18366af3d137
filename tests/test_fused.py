"""The fused path (``minattn.set_fused(True)``) against finite differences and the traced path.

* every primitive in ``minattn.fused`` is gradient-checked (the list comes
  from the module: a new fused op without a case here fails the suite);
* every layer case of the registry is gradient-checked again with fused ops
  on, and its output and gradients equal the traced layer's;
* training the article models with the same seed gives the same losses on
  both paths, to float32 rounding.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

import gradcheck_cases as cases
import minattn
from minattn import activations as act
from minattn import fused, gradcheck, losses
from minattn.layers import GRU, LSTM

TOL = 1e-5
RNG = np.random.default_rng(7)
FUSABLE = [act.linear, act.sigmoid, act.tanh, act.relu, act.relu6, act.hard_sigmoid,
           act.legacy_hard_sigmoid]


@pytest.fixture
def fused_on():
    minattn.set_fused(True)
    yield
    minattn.set_fused(False)


def _dense_case(activation, use_bias):
    x, kernel = cases.rand(3, 2, 5, seed=1), cases.rand(5, 4, seed=2, scale=0.5)
    params = {"kernel": kernel, "bias": cases.rand(4, seed=3, scale=0.1)} if use_bias else {"kernel": kernel}
    weights = cases.rand(3, 2, 4, seed=4)
    return lambda t: anp.sum(fused.dense(t["x"], t["params"]["kernel"], t["params"].get("bias"), activation)
                             * weights), {"params": params, "x": x}


def _lstm_case(mask, recurrent_activation, activation=act.tanh):
    batch, steps, units = 3, 4, 5
    tree = {"x": cases.rand(batch, steps, 3, seed=5), "W": cases.rand(3, 4 * units, seed=15, scale=0.4),
            "U": cases.rand(units, 4 * units, seed=6, scale=0.3), "b": cases.rand(4 * units, seed=16, scale=0.2),
            "h0": cases.rand(batch, units, seed=8, scale=0.2), "c0": cases.rand(batch, units, seed=9, scale=0.2)}
    weights = [cases.rand(batch, steps, units, seed=10), cases.rand(batch, units, seed=17),
               cases.rand(batch, units, seed=18)]

    def f(t):
        outputs = fused.lstm(t["x"], t["W"], t["U"], t["b"], t["h0"], t["c0"], mask=mask,
                             activation=activation, recurrent_activation=recurrent_activation)
        return sum(anp.sum(o * w) for o, w in zip(outputs, weights))
    return f, tree


def _gru_case(mask, recurrent_activation, reset_after, activation=act.tanh, use_bias=True):
    batch, steps, units = 3, 4, 5
    tree = {"x": cases.rand(batch, steps, 3, seed=5), "W": cases.rand(3, 3 * units, seed=15, scale=0.4),
            "U": cases.rand(units, 3 * units, seed=6, scale=0.3),
            "h0": cases.rand(batch, units, seed=8, scale=0.2)}
    if use_bias:
        tree["b"] = cases.rand(*((2, 3 * units) if reset_after else (3 * units,)), seed=16, scale=0.2)
    weights = [cases.rand(batch, steps, units, seed=10), cases.rand(batch, units, seed=17)]

    def f(t):
        outputs = fused.gru(t["x"], t["W"], t["U"], t.get("b"), t["h0"], mask=mask, activation=activation,
                            recurrent_activation=recurrent_activation, reset_after=reset_after)
        return sum(anp.sum(o * w) for o, w in zip(outputs, weights))
    return f, tree


PROBS = np.clip(RNG.random((4, 3)), 0.05, 0.95)
TARGETS = (RNG.random((4, 3)) > 0.5).astype(float)
MASK = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=bool)

PRIMITIVE_CASES = {
    "softmax": [("axis-1", lambda t: anp.sum(fused.softmax(t) * PROBS), cases.rand(4, 3, seed=13)),
                ("axis0", lambda t: anp.sum(fused.softmax(t, axis=0) * PROBS), cases.rand(4, 3, seed=14))],
    "dense": [(f"{fn.__name__}-bias{b}", *_dense_case(fn, b)) for fn in FUSABLE + [act.softmax]
              for b in (True, False)],
    "lstm": [(f"{'mask' if m is not None else 'nomask'}-{fn.__name__}", *_lstm_case(m, fn))
             for m in (None, MASK) for fn in (act.sigmoid, act.hard_sigmoid)]
    + [("relu-candidate", *_lstm_case(None, act.sigmoid, act.relu))],
    "gru": [(f"{'after' if ra else 'before'}-{'mask' if m is not None else 'nomask'}-{fn.__name__}",
             *_gru_case(m, fn, ra)) for ra in (True, False) for m in (None, MASK)
            for fn in (act.sigmoid, act.hard_sigmoid)]
    + [(f"relu-candidate-{'after' if ra else 'before'}", *_gru_case(MASK, act.sigmoid, ra, act.relu))
       for ra in (True, False)]
    + [(f"no-bias-{'after' if ra else 'before'}", *_gru_case(None, act.sigmoid, ra, use_bias=False))
       for ra in (True, False)],
    "mean_squared_error": [("mse", lambda t: fused.mean_squared_error(TARGETS, t), PROBS)],
    "binary_crossentropy": [("bce", lambda t: fused.binary_crossentropy(TARGETS, t), PROBS)],
}
ALL_PRIMITIVE_CASES = [(name, cid, f, x) for name, items in PRIMITIVE_CASES.items() for cid, f, x in items]


def _is_primitive(obj):
    return callable(obj) and getattr(obj, "fun", None) is not None


def test_every_fused_op_has_a_case():
    """A fused op is a public primitive, or a public function that records the
    private primitive ``_<name>_op`` (the LSTM and GRU hand it their saved forward pass)."""
    ops = {name for name in dir(fused) if not name.startswith("_")
           and (_is_primitive(getattr(fused, name)) or _is_primitive(getattr(fused, f"_{name}_op", None)))}
    assert {"dense", "lstm", "gru"} <= ops, f"found only {ops} in minattn.fused"
    private = {name for name in dir(fused) if name.startswith("_") and _is_primitive(getattr(fused, name))}
    orphans = {name for name in private if not (name.endswith("_op") and name[1:-3] in ops)}
    assert not orphans, f"private primitives with no public op: {orphans}"
    missing = ops - set(PRIMITIVE_CASES)
    assert not missing, f"fused ops without a gradient check: {missing} -- add them to PRIMITIVE_CASES"


@pytest.mark.parametrize("name,case_id,f,tree", ALL_PRIMITIVE_CASES,
                         ids=[f"{n}-{c}" for n, c, _, _ in ALL_PRIMITIVE_CASES])
def test_fused_primitive_gradients(name, case_id, f, tree):
    report = gradcheck.check_grads(f, tree, tol=TOL)
    assert max(report.values()) <= TOL


@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.binary_crossentropy])
def test_fused_losses_equal_the_readable_ones(fn):
    fused_fn = {losses.mean_squared_error: fused.mean_squared_error,
                losses.binary_crossentropy: fused.binary_crossentropy}[fn]
    assert fused_fn(TARGETS, PROBS) == pytest.approx(np.mean(fn(TARGETS, PROBS)), rel=1e-12)
    g_fused = grad(lambda p: fused_fn(TARGETS, p))(PROBS)
    g_traced = grad(lambda p: anp.mean(fn(TARGETS, p)))(PROBS)
    assert np.allclose(g_fused, g_traced, rtol=1e-10, atol=1e-14)


# -- every layer case, fused ------------------------------------------------------------------
@pytest.mark.parametrize("case_id", sorted(cases.LAYER_CASES))
def test_layer_gradients_with_fused_ops(case_id, fused_on):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    report = gradcheck.check_layer(layer, inputs, tol=TOL, **kwargs)
    assert all(err <= TOL for err in report.values())


def _output_and_grads(layer, inputs, kwargs):
    call = {"mask": kwargs["mask"]} if layer.accepts_mask and "mask" in kwargs else {}
    wrt_inputs = kwargs.get("wrt_inputs", True)

    def total(tree):
        x = tree.get("inputs", inputs)
        out = layer.apply(tree["params"], list(x) if isinstance(inputs, list) else x, **call)
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


@pytest.mark.parametrize("case_id", sorted(cid for cid in cases.LAYER_CASES if "dropout" not in cid))
def test_fused_layers_equal_traced_layers(case_id):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    traced_value, traced_grads = _output_and_grads(layer, inputs, kwargs)
    minattn.set_fused(True)
    try:
        fused_value, fused_grads = _output_and_grads(layer, inputs, kwargs)
    finally:
        minattn.set_fused(False)
    assert fused_value == pytest.approx(traced_value, rel=1e-10, abs=1e-12)
    for a, b in zip(_leaves(traced_grads), _leaves(fused_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_an_empty_sequence_hands_back_the_initial_state(layer_cls):
    """No time steps: both paths return the initial state, whose gradient passes straight through."""
    states = [cases.rand(2, 3, seed=s) for s in range(2 if layer_cls is LSTM else 1)]
    layer, inputs, kwargs = cases.case(layer_cls(3, return_state=True), [np.zeros((2, 0, 4))] + states)
    traced_value, traced_grads = _output_and_grads(layer, inputs, kwargs)
    minattn.set_fused(True)
    try:
        fused_out = layer.apply(layer.params, inputs)
        fused_value, fused_grads = _output_and_grads(layer, inputs, kwargs)
    finally:
        minattn.set_fused(False)
    assert np.array_equal(fused_out[0], states[0])                      # h: the initial h
    assert fused_value == pytest.approx(traced_value, rel=1e-12)
    for a, b in zip(_leaves(traced_grads), _leaves(fused_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-10, atol=1e-12)
