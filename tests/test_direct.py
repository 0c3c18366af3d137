"""The tape-free training step (``minattn.fast.direct``) and its rules (``minattn.fast.rules``).

* every registered rule runs in at least one layer case of the registry;
* each rule's output and gradients equal the readable layer's (``apply``,
  differentiated by autograd), and its backward pass agrees with finite
  differences of its own forward pass, weight by weight, in float64;
* on whole models -- the articles' four, shared layers, a tensor used twice,
  layers without a rule (Lambda, Dropout, a layer given a mask), several
  outputs, a loss without a hand-written gradient -- the step's loss and flat
  gradient equal the readable step's, and ``fit`` uses it exactly when every
  layer with weights has a rule.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad, value_and_grad

import gradcheck_cases as cases
import minattn
from minattn import Input, Model, losses
from minattn.fast import seam
from minattn.fast.direct import DirectStep
from minattn.fast.flat import FlatParams
from minattn.fast.training import FastSteps
from minattn.layers import (LSTM, Activation, Add, Dense, Dropout, Embedding, Flatten, Lambda, Layer,
                            Multiply, Permute, RepeatVector)
from minattn.optimizers import Adam

EPS = 1e-6
TOL = 1e-6


@pytest.fixture(autouse=True)
def float64_fast():
    previous = minattn.floatx()
    minattn.set_floatx("float64")
    minattn.set_fused(True)
    yield
    minattn.set_floatx(previous)


def _rule_cases():
    """Layer cases whose layer a rule covers (no mask, no dropout: rules run without them)."""
    found = []
    for case_id in sorted(cases.LAYER_CASES):
        layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
        rule = seam.rule_for(layer)
        if rule is not None and rule.takes_list == isinstance(inputs, list) and kwargs.get("mask") is None:
            found.append(case_id)
    return found


RULE_CASES = _rule_cases()


def test_every_rule_runs_in_some_layer_case():
    covered = {type(cases.LAYER_CASES[case_id]()[0]) for case_id in RULE_CASES}
    missing = set(seam.RULES) - covered
    assert not missing, f"rules no layer case runs: {sorted(c.__name__ for c in missing)}"
    assert {Dense, LSTM, Multiply, Permute} <= covered


def _weights_like(out):
    return np.cos(np.arange(np.size(out))).reshape(np.shape(out)) + 0.5


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


@pytest.mark.parametrize("case_id", RULE_CASES)
def test_rule_equals_the_readable_layer(case_id):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    rule = seam.rule_for(layer)
    many = isinstance(inputs, list)
    out, saved = rule.forward(layer, layer.params, inputs)
    with minattn.traced():
        readable = layer.apply(layer.params, inputs)
    assert np.allclose(out, readable, rtol=1e-12, atol=1e-14)
    weights = _weights_like(out)
    dx, dparams = rule.backward(layer, layer.params, saved, weights, [True] * len(_as_list(inputs)))

    def total(tree):
        with minattn.traced():
            return anp.sum(layer.apply(tree["params"], list(tree["x"]) if many else tree["x"]) * weights)
    expected = grad(total)({"params": layer.params, "x": inputs})
    assert set(dparams) == set(layer.params)
    for name in layer.params:
        assert np.allclose(dparams[name], expected["params"][name], rtol=1e-10, atol=1e-12), name
    for got, want in zip(_as_list(dx), _as_list(expected["x"])):
        assert np.allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case_id", RULE_CASES)
def test_rule_gradients_against_finite_differences(case_id):
    """Each weight's and input's gradient from ``backward``, against central differences of
    ``forward`` along a random direction in that weight (or input) alone."""
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    rule = seam.rule_for(layer)
    many = isinstance(inputs, list)
    params = {name: np.array(value) for name, value in layer.params.items()}
    xs = [np.array(x, dtype=float) for x in _as_list(inputs)]
    out, saved = rule.forward(layer, params, xs if many else xs[0])
    weights = _weights_like(out)
    dx, dparams = rule.backward(layer, params, saved, weights, [True] * len(xs))
    analytic = dict(dparams, **{f"x{i}": d for i, d in enumerate(_as_list(dx))})
    leaves = dict(params, **{f"x{i}": x for i, x in enumerate(xs)})
    rng = np.random.default_rng(3)

    def loss():
        y, _ = rule.forward(layer, params, xs if many else xs[0])
        return np.sum(y * weights)

    for name, leaf in leaves.items():
        direction = rng.standard_normal(leaf.shape)
        leaf += EPS * direction
        up = loss()
        leaf -= 2 * EPS * direction
        down = loss()
        leaf += EPS * direction
        numeric, exact = (up - down) / (2 * EPS), np.sum(analytic[name] * direction)
        assert abs(numeric - exact) <= TOL * max(1.0, abs(exact)), (name, numeric, exact)


# -- whole models ---------------------------------------------------------------------------------
def _e1_like():
    inputs = Input((6,))
    probs = Dense(6, activation="softmax")(inputs)
    hidden = Dense(5, activation="sigmoid")(Multiply()([inputs, probs]))
    return Model(inputs, Dense(1, activation="sigmoid")(hidden)), "mse", (6,), (1,)


def _e2_like():
    inputs = Input((5, 4))
    a = Dense(5, activation="softmax")(Permute((2, 1))(inputs))
    a = Lambda(lambda x: anp.mean(x, axis=1))(a)                          # no rule: autograd alone
    a = Permute((2, 1))(RepeatVector(4)(a))
    out = LSTM(6)(Multiply()([inputs, a]))
    return Model(inputs, Dense(1, activation="sigmoid")(out)), "mse", (5, 4), (1,)


def _e3_like():
    inputs = Input((5, 2))
    seq = LSTM(4, return_sequences=True)(inputs)
    a = Permute((2, 1))(Dense(5, activation="softmax")(Permute((2, 1))(seq)))
    out = Dense(1, activation="sigmoid")(Flatten()(Multiply()([seq, a])))
    return Model(inputs, out), "binary_crossentropy", (5, 2), (1,)


def _e4_like():
    inputs = Input((4,))
    a = Activation("softmax")(Dense(4, use_bias=False)(inputs))
    h = Dense(8, activation="relu")(Multiply()([inputs, a]))
    a = Activation("softmax")(Dense(8, use_bias=False)(h))
    return Model(inputs, Dense(1, activation="sigmoid")(Multiply()([h, a]))), "binary_crossentropy", (4,), (1,)


def _shared_and_reused():
    """One Dense called twice (its gradient adds both calls), a tensor used by three layers."""
    inputs = Input((4,))
    shared = Dense(4, activation="tanh")
    h = shared(inputs)
    h2 = shared(h)
    out = Dense(2)(Add()([h, h2, Multiply()([h, h])]))
    return Model(inputs, out), "mse", (4,), (2,)


def _dropout_inside():
    inputs = Input((6,))
    h = Dropout(0.3)(Dense(8, activation="relu")(inputs))
    return Model(inputs, Dense(1, activation="sigmoid")(h)), "binary_crossentropy", (6,), (1,)


def _two_outputs():
    """Two outputs with two losses, one of them without a hand-written gradient."""
    inputs = Input((5,))
    h = Dense(6, activation="tanh")(inputs)
    probs = Dense(3, activation="softmax")(h)
    return (Model(inputs, [Dense(1)(h), probs]), ["mse", "categorical_crossentropy"], (5,),
            [(1,), (3,)])


class _MarkFirstSteps(Layer):
    """A weightless layer that masks the last time step (a mask no rule takes)."""

    def apply(self, params, x):
        return x * 1.0

    def compute_mask(self, x, mask):
        keep = np.ones(np.shape(x)[:2], dtype=bool)
        keep[:, -1] = False
        return keep


def _masked_lstm():
    inputs = Input((4, 3))
    out = LSTM(5)(_MarkFirstSteps()(Dense(3, activation="tanh")(inputs)))
    return Model(inputs, Dense(1)(out)), "mse", (4, 3), (1,)


COVERED = {"e1": _e1_like, "e2": _e2_like, "e3": _e3_like, "e4": _e4_like,
           "shared_and_reused": _shared_and_reused, "dropout": _dropout_inside,
           "two_outputs": _two_outputs, "masked_lstm": _masked_lstm}


def _data(shape, n, seed):
    shapes = shape if isinstance(shape, list) else [shape]
    rng = np.random.default_rng(seed)
    arrays = [rng.random((n,) + s) for s in shapes]
    return arrays


def _compiled(make):
    minattn.set_random_seed(0)
    model, loss, x_shape, y_shape = make()
    model.compile(optimizer=Adam(), loss=loss)
    x = _data(x_shape, 7, 1)
    y = _data(y_shape, 7, 2)
    if isinstance(loss, list):                  # categorical targets: rows that sum to one
        y[1] = y[1] / y[1].sum(axis=1, keepdims=True)
    elif loss == "binary_crossentropy":
        y = [np.round(t) for t in y]
    return model, x, y


@pytest.mark.parametrize("name", sorted(COVERED))
def test_the_step_equals_the_readable_step(name):
    model, xs, ys = _compiled(COVERED[name])
    assert DirectStep.covers(model)
    step = DirectStep(model, model.compiled.losses)
    weights = FlatParams(model.params)
    keep = {}
    loss, flat_grad = step(weights, xs, ys, np.random.default_rng(5), keep)
    with minattn.traced():
        expected_loss, expected = value_and_grad(model.compiled.batch_loss)(
            model.params, xs, ys, np.random.default_rng(5))
    assert loss == pytest.approx(float(expected_loss), rel=1e-12)
    assert np.allclose(flat_grad, FlatParams(expected).flat, rtol=1e-10, atol=1e-13)
    assert np.any(flat_grad != 0)
    with minattn.traced():
        outputs = model.apply(model.params, *xs)
    for kept, output in zip(keep["preds"], outputs if isinstance(outputs, list) else [outputs]):
        assert np.allclose(kept, output, rtol=1e-12) or name == "dropout"


def _not_covered_embedding():
    inputs = Input((4,), dtype="int32")
    out = Dense(1)(Flatten()(Embedding(6, 3)(inputs)))
    return Model(inputs, out)


def _not_covered_return_state():
    inputs = Input((4, 3))
    out, h, c = LSTM(3, return_state=True)(inputs)
    return Model(inputs, Dense(1)(Add()([out, c])))


@pytest.mark.parametrize("make", [_not_covered_embedding, _not_covered_return_state])
def test_a_layer_with_weights_and_no_rule_keeps_the_tape(make):
    model = make()
    model.compile(optimizer=Adam(), loss="mse")
    assert not DirectStep.covers(model)
    assert FastSteps(model, model.compiled).direct is None


def test_add_loss_keeps_the_tape():
    model, _, _ = _compiled(_e1_like)
    model.add_loss(model.layers[1].output, weight=0.1)
    assert not DirectStep.covers(model)


def test_the_readable_path_never_takes_the_step():
    model, _, _ = _compiled(_e1_like)
    with minattn.traced():
        assert not DirectStep.covers(model)


def test_fit_with_the_step_follows_the_readable_fit():
    """Five epochs of ``fit`` on the tape-free step and on the readable path: the same losses."""
    histories = []
    for fast in (True, False):
        model, xs, ys = _compiled(_e2_like)
        minattn.set_fused(fast)
        history = model.fit(xs[0], ys[0], epochs=5, batch_size=3, verbose=0, shuffle=False)
        histories.append(history.history["loss"])
    minattn.set_fused(True)
    assert np.allclose(histories[0], histories[1], rtol=1e-10)
    assert histories[0][-1] < histories[0][0]


def test_relu_at_exactly_zero_has_gradient_zero_on_both_paths():
    """Zero inputs and a zero bias put Dense(relu) exactly at the kink: the gradient there is 0
    on the readable path too (as in Keras and the fast kernels), so both paths agree."""
    inputs = Input((3,))
    hidden = Dense(4, activation="relu", bias_initializer="zeros")(inputs)
    model = Model(inputs, Dense(1)(hidden))
    model.compile(optimizer=Adam(), loss="mse")
    x, y = np.zeros((5, 3)), np.ones((5, 1))
    loss, flat_grad = DirectStep(model, model.compiled.losses)(FlatParams(model.params), [x], [y], None, {})
    with minattn.traced():
        _, expected = value_and_grad(model.compiled.batch_loss)(model.params, [x], [y], None)
    assert np.array_equal(expected[model.layers[1].name]["bias"], np.zeros(4))
    np.testing.assert_allclose(flat_grad, FlatParams(expected).flat, rtol=1e-12, atol=0)
    relu = minattn.activations.relu
    assert np.isnan(relu(np.array([np.nan]))).all() and relu(np.array([-np.inf]))[0] == 0.0
