"""The fast path (``minattn.fast``) against finite differences and the readable path.

* every hand-written autograd primitive anywhere in minattn is
  gradient-checked in float64 (the list comes from scanning the package: a
  new primitive without a case here fails the suite);
* every registered fast kernel runs in at least one layer case, every layer
  case is gradient-checked with the fast path on, and its output and
  gradients equal the readable layer's (``apply``).
"""
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
from minattn.fast import attention as fast_attention
from minattn.fast import cell as fast_cell
from minattn.fast import dense as fast_dense
from minattn.fast import flat, seam
from minattn.fast import gru as fast_gru
from minattn.fast import losses as fast_losses
from minattn.fast import lstm as fast_lstm
from minattn.fast import windows as fast_windows
from minattn.layers import GRU, LSTM

TOL = 1e-5
RNG = np.random.default_rng(7)
FUSABLE = [act.linear, act.sigmoid, act.tanh, act.relu, act.relu6, act.hard_sigmoid,
           act.legacy_hard_sigmoid]


@pytest.fixture
def fused_on():
    minattn.set_fused(True)
    yield


def _dense_case(activation, use_bias):
    x, kernel = cases.rand(3, 2, 5, seed=1), cases.rand(5, 4, seed=2, scale=0.5)
    params = {"kernel": kernel, "bias": cases.rand(4, seed=3, scale=0.1)} if use_bias else {"kernel": kernel}
    weights = cases.rand(3, 2, 4, seed=4)
    return lambda t: anp.sum(fast_dense.dense(t["x"], t["params"]["kernel"], t["params"].get("bias"), activation)
                             * weights), {"params": params, "x": x}


def _lstm_case(mask, recurrent_activation, activation=act.tanh):
    batch, steps, units = 3, 4, 5
    tree = {"x": cases.rand(batch, steps, 3, seed=5), "W": cases.rand(3, 4 * units, seed=15, scale=0.4),
            "U": cases.rand(units, 4 * units, seed=6, scale=0.3), "b": cases.rand(4 * units, seed=16, scale=0.2),
            "h0": cases.rand(batch, units, seed=8, scale=0.2), "c0": cases.rand(batch, units, seed=9, scale=0.2)}
    weights = [cases.rand(batch, steps, units, seed=10), cases.rand(batch, units, seed=17),
               cases.rand(batch, units, seed=18)]

    def f(t):
        outputs = fast_lstm.lstm(t["x"], t["W"], t["U"], t["b"], t["h0"], t["c0"], mask=mask,
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
        outputs = fast_gru.gru(t["x"], t["W"], t["U"], t.get("b"), t["h0"], mask=mask, activation=activation,
                            recurrent_activation=recurrent_activation, reset_after=reset_after)
        return sum(anp.sum(o * w) for o, w in zip(outputs, weights))
    return f, tree


PROBS = np.clip(RNG.random((4, 3)), 0.05, 0.95)
TARGETS = (RNG.random((4, 3)) > 0.5).astype(float)
MASK = np.array([[1, 1, 0, 1], [1, 0, 0, 0], [1, 1, 1, 1]], dtype=bool)

def _windows_case():
    x = cases.rand(2, 5, 4, 3, seed=19)                         # (batch, H, W, C); 2x2 windows, strides 2x1
    weights = cases.rand(2, 2, 3, 4, 3, seed=20)                # (batch, out_h, out_w, 4, C)
    return lambda t: anp.sum(fast_windows.windows(t, (2, 2), (2, 1), 2, 3) * weights), x


def _take_weight_case():
    weights = cases.rand(2, 3, seed=22)
    return lambda t: anp.sum(flat.take_weight(t, 2, 8, (2, 3)) * weights) + anp.sum(t ** 2), \
        cases.rand(10, seed=21)


def _lstm_cell_case():
    batch, features, units = 3, 4, 5
    tree = {"x": cases.rand(batch, features, seed=30), "h": cases.rand(batch, units, seed=31, scale=0.5),
            "c": cases.rand(batch, units, seed=32, scale=0.5),
            "W": cases.rand(features, 4 * units, seed=33, scale=0.4),
            "U": cases.rand(units, 4 * units, seed=34, scale=0.3), "b": cases.rand(4 * units, seed=35, scale=0.2)}
    weights = [cases.rand(batch, units, seed=36), cases.rand(batch, units, seed=37)]

    def f(t):
        outputs = fast_cell.lstm_cell(t["x"], t["h"], t["c"], t["W"], t["U"], t["b"])
        return sum(anp.sum(o * w) for o, w in zip(outputs, weights))
    return f, tree


def _additive_scores_case():
    tree = {"q": cases.rand(3, 4, seed=40), "keys": cases.rand(3, 5, 6, seed=41, scale=0.5),
            "W": cases.rand(4, 6, seed=42, scale=0.5), "v": cases.rand(6, seed=43)}
    weights = cases.rand(3, 5, seed=44)
    return lambda t: anp.sum(fast_attention.additive_scores(t["q"], t["keys"], t["W"], t["v"]) * weights), tree


def _masked_softmax_case(allowed):
    weights = cases.rand(3, 5, seed=46)
    return lambda t: anp.sum(fast_attention.masked_softmax(t, allowed) * weights), cases.rand(3, 5, seed=45)


def _record_case():
    """A Dense-with-tanh op written as a Record: autograd's gradient through ``Record.run``
    (its VJP is the record's backward) against finite differences."""
    from minattn.fast.record import Record

    def forward(layer, params, x):
        y = np.tanh(np.dot(x, params["kernel"]) + params["bias"])
        return y, (x, y)

    def backward(layer, params, saved, g, wanted):
        x, y = saved
        dz = g * (1.0 - y * y)
        dx = np.dot(dz, params["kernel"].T) if wanted[0] else None
        return dx, {"kernel": np.dot(x.T, dz), "bias": dz.sum(axis=0)}

    record = Record(forward, backward)
    tree = {"x": cases.rand(3, 4, seed=47), "params": {"kernel": cases.rand(4, 2, seed=48),
                                                       "bias": cases.rand(2, seed=49)}}
    weights = cases.rand(3, 2, seed=50)
    return lambda t: anp.sum(record.run(None, t["params"], t["x"]) * weights), tree


ALLOWED = np.array([[1, 1, 1, 1, 1], [1, 0, 1, 0, 0], [0, 0, 0, 0, 0]], dtype=bool)   # a row with none allowed

# Every primitive, by "module.name" (an op recorded through a private ``_<name>_op`` is
# checked through its public function ``<name>``).
PRIMITIVE_CASES = {
    "minattn.activations.tanh": [("tanh", lambda t: anp.sum(act.tanh(t) * PROBS), cases.rand(4, 3, seed=12)),
                                 ("tanh-large", lambda t: anp.sum(act.tanh(t * 30.0) * PROBS),
                                  cases.rand(4, 3, seed=12))],
    "minattn.activations.erf": [("erf", lambda t: anp.sum(act.erf(t) * PROBS), cases.rand(4, 3, seed=11)),
                                ("erf-wide", lambda t: anp.sum(act.erf(t * 3.0) * PROBS), cases.rand(4, 3, seed=11))],
    "minattn.fast.cell.lstm_cell": [("step", *_lstm_cell_case())],
    "minattn.fast.attention.additive_scores": [("scores", *_additive_scores_case())],
    "minattn.fast.attention.masked_softmax": [("mask", *_masked_softmax_case(ALLOWED)),
                                              ("no-mask", *_masked_softmax_case(None))],
    "minattn.fast.windows.windows": [("2x2-stride2x1", *_windows_case())],
    "minattn.fast.record.record_op": [("dense-tanh", *_record_case())],
    "minattn.fast.flat.take_weight": [("slice", *_take_weight_case())],
    "minattn.fast.dense.softmax": [("axis-1", lambda t: anp.sum(fast_dense.softmax(t) * PROBS), cases.rand(4, 3, seed=13)),
                ("axis0", lambda t: anp.sum(fast_dense.softmax(t, axis=0) * PROBS), cases.rand(4, 3, seed=14))],
    "minattn.fast.dense.dense": [(f"{fn.__name__}-bias{b}", *_dense_case(fn, b)) for fn in FUSABLE + [act.softmax]
              for b in (True, False)],
    "minattn.fast.lstm.lstm": [(f"{'mask' if m is not None else 'nomask'}-{fn.__name__}", *_lstm_case(m, fn))
             for m in (None, MASK) for fn in (act.sigmoid, act.hard_sigmoid)]
    + [("relu-candidate", *_lstm_case(None, act.sigmoid, act.relu))],
    "minattn.fast.gru.gru": [(f"{'after' if ra else 'before'}-{'mask' if m is not None else 'nomask'}-{fn.__name__}",
             *_gru_case(m, fn, ra)) for ra in (True, False) for m in (None, MASK)
            for fn in (act.sigmoid, act.hard_sigmoid)]
    + [(f"relu-candidate-{'after' if ra else 'before'}", *_gru_case(MASK, act.sigmoid, ra, act.relu))
       for ra in (True, False)]
    + [(f"no-bias-{'after' if ra else 'before'}", *_gru_case(None, act.sigmoid, ra, use_bias=False))
       for ra in (True, False)],
    "minattn.fast.losses.mean_squared_error": [("mse", lambda t: fast_losses.mean_squared_error(TARGETS, t), PROBS)],
    "minattn.fast.losses.binary_crossentropy": [("bce", lambda t: fast_losses.binary_crossentropy(TARGETS, t), PROBS)],
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
    public = set()
    for qualified in found:
        module, name = qualified.rsplit(".", 1)
        if name.startswith("_") and name.endswith("_op"):
            public_name = f"{module}.{name[1:-3]}"
            assert callable(getattr(importlib.import_module(module), name[1:-3], None)), \
                f"private primitive {qualified} has no public function {public_name}"
            public.add(public_name)
        else:
            public.add(qualified)
    assert {"minattn.fast.dense.dense", "minattn.fast.lstm.lstm", "minattn.activations.tanh"} <= public
    missing = public - set(PRIMITIVE_CASES)
    assert not missing, f"primitives without a gradient check: {sorted(missing)} -- add them to PRIMITIVE_CASES"
    stale = set(PRIMITIVE_CASES) - public
    assert not stale, f"cases for primitives that no longer exist: {sorted(stale)}"


def test_every_fast_kernel_runs_in_some_layer_case(fused_on):
    """Each registered kernel takes over at least one registry case, so fast == readable is
    tested for it below."""
    covered = set()
    for make in cases.LAYER_CASES.values():
        layer = make()[0]
        if seam.kernel_for(layer) is not None:
            covered.add(type(layer))
    missing = set(seam.KERNELS) - covered
    assert not missing, f"fast kernels no layer case runs: {sorted(c.__name__ for c in missing)}"


@pytest.mark.parametrize("name,case_id,f,tree", ALL_PRIMITIVE_CASES,
                         ids=[f"{n}-{c}" for n, c, _, _ in ALL_PRIMITIVE_CASES])
def test_primitive_gradients(name, case_id, f, tree):
    report = gradcheck.check_grads(f, tree, tol=TOL)
    assert max(report.values()) <= TOL


@pytest.mark.parametrize("fn", [losses.mean_squared_error, losses.binary_crossentropy])
def test_fused_losses_equal_the_readable_ones(fn):
    fused_fn = fast_losses.KERNELS[fn]
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


@pytest.mark.parametrize("case_id", sorted(cid for cid in cases.LAYER_CASES if "dropout" not in cid))
def test_fused_layers_equal_traced_layers(case_id):
    assert_fast_equals_readable(*cases.LAYER_CASES[case_id]())


def assert_fast_equals_readable(layer, inputs, kwargs):
    """The layer's output and every gradient on the fast path equal the readable path's."""
    with minattn.traced():
        traced_value, traced_grads = _output_and_grads(layer, inputs, kwargs)
    fused_value, fused_grads = _output_and_grads(layer, inputs, kwargs)
    assert fused_value == pytest.approx(traced_value, rel=1e-10, abs=1e-12)
    for a, b in zip(_leaves(traced_grads), _leaves(fused_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("layer_cls", [LSTM, GRU])
def test_an_empty_sequence_hands_back_the_initial_state(layer_cls):
    """No time steps: both paths return the initial state, whose gradient passes straight through."""
    states = [cases.rand(2, 3, seed=s) for s in range(2 if layer_cls is LSTM else 1)]
    layer, inputs, kwargs = cases.case(layer_cls(3, return_state=True), [np.zeros((2, 0, 4))] + states)
    with minattn.traced():
        traced_value, traced_grads = _output_and_grads(layer, inputs, kwargs)
    fused_out = layer.forward(layer.params, inputs)
    fused_value, fused_grads = _output_and_grads(layer, inputs, kwargs)
    assert np.array_equal(fused_out[0], states[0])                      # h: the initial h
    assert fused_value == pytest.approx(traced_value, rel=1e-12)
    for a, b in zip(_leaves(traced_grads), _leaves(fused_grads)):
        assert np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("allowed", [ALLOWED, None], ids=["mask", "no-mask"])
def test_fast_masked_softmax_equals_the_readable_one(allowed):
    from minattn.layers.attention import masked_softmax
    scores = cases.rand(3, 5, seed=47)
    weights = cases.rand(3, 5, seed=48)
    np.testing.assert_allclose(fast_attention.masked_softmax(scores, allowed), masked_softmax(scores, allowed),
                               rtol=1e-14, atol=1e-15)
    g_fast = grad(lambda s: anp.sum(fast_attention.masked_softmax(s, allowed) * weights))(scores)
    g_readable = grad(lambda s: anp.sum(masked_softmax(s, allowed) * weights))(scores)
    np.testing.assert_allclose(g_fast, g_readable, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("score", ["additive", "concat", "dot", "scaled_dot", "general"])
@pytest.mark.parametrize("attention", ["global", "local_p", "hard"])
def test_fast_decoder_equals_the_readable_one_for_every_score_and_alignment(score, attention):
    """Every score and alignment, with a source mask: outputs, weights and every gradient."""
    from minattn.layers import AttentionDecoder
    decoder = AttentionDecoder(4, 6, score=score, attention=attention, return_attention=True)
    inputs = [cases.rand(3, 3, 2, seed=50), cases.rand(3, 5, 4, seed=51)]
    assert_fast_equals_readable(*cases.case(decoder, inputs, mask=[None, ALLOWED | np.eye(5, dtype=bool)[:3]]))
