"""Model.add_loss: an extra loss term computed in the model's own forward pass (Keras's add_loss).

The reference penalty here is written out in plain NumPy (einsum), sharing no
code with ``attention_penalty``.
"""
import autograd.numpy as anp
import numpy as np
from autograd import grad
import pytest

import minattn
from minattn import Input, Model, gradcheck
from minattn.layers import LSTM, Dense, Dropout, Flatten, Lambda, StructuredSelfAttention, attention_penalty
from minattn.optimizers import Adam
from minattn.fast.step import FastStep
from autograd.extend import defvjp, primitive
from minattn.pytree import flatten, unflatten

TIME, FEATURES, HOPS = 5, 3, 2


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def data(n, seed=1):
    x = rand(n, TIME, FEATURES, seed=seed).astype(minattn.floatx())
    y = (rand(n, 1, seed=seed + 100) > 0).astype(minattn.floatx())
    return x, y


def numpy_penalty(a):
    """||A A^T - I||_F^2 per sample, A (batch, r, T)."""
    gram = np.einsum("brt,bst->brs", a, a)
    return ((gram - np.eye(a.shape[1])) ** 2).sum(axis=(1, 2))


def per_sample_penalty(a):
    """The same, per sample, in autograd.numpy: a tensor of shape (batch,)."""
    gram = anp.matmul(a, anp.swapaxes(a, 1, 2))
    return anp.sum((gram - np.eye(a.shape[1])) ** 2, axis=(1, 2))


def penalty_model(weight=None, penalty_fn=attention_penalty, lstm=False, dropout=0.0):
    """(model, attention_model, penalty tensor): SSA -> Flatten -> Dense(1, sigmoid), penalty on A."""
    inputs = Input((TIME, FEATURES))
    h = LSTM(4, return_sequences=True)(inputs) if lstm else inputs
    m, a = StructuredSelfAttention(4, r=HOPS, return_attention=True, name="ssa")(h)
    features = Dropout(dropout)(Flatten()(m)) if dropout else Flatten()(m)
    model = Model(inputs, Dense(1, activation="sigmoid")(features))
    penalty = Lambda(penalty_fn)(a)
    if weight is not None:
        model.add_loss(penalty, weight=weight)
    return model, Model(inputs, a), penalty


def bce(y, p):
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def differentiated_loss(model, x, y):
    """``(f, w)``: the function fit differentiates, as a function of one weight vector, and the
    model's current weights as that vector -- on the fast path the fast step's loss, with the
    step's own flat gradient as its derivative; on the readable path ``batch_loss`` (over the
    same vector unflattened into the weights tree)."""
    if minattn.fast_enabled():
        step = FastStep(model, model.compiled)
        return fast_step_loss(step, [x], [y]), step.weights.flat.copy()
    params = model.params
    return (lambda flat: model.compiled.batch_loss(unflatten(flat, params), [x], [y], None)), flatten(params)


def fast_step_loss(step, xs, ys):
    """The fast step's loss as an autograd primitive of the flat weights, whose derivative is the
    gradient the step computes by hand (so ``grad`` and ``check_grads`` test that gradient)."""
    last = {}

    def at(flat):                     # one step per point: the vjp reuses the forward's gradient
        key = np.asarray(flat).tobytes()
        if key not in last:
            np.copyto(step.weights.flat, flat)
            loss, _ = step.loss_and_gradient(xs, ys, None)
            last.clear()
            last[key] = (loss, step.gradient.copy())
        return last[key]

    @primitive
    def loss(flat):
        return at(flat)[0]
    defvjp(loss, lambda ans, flat: lambda g: g * at(flat)[1])
    return loss


def training_loss(model, x, y):
    """The function fit differentiates, at the model's current weights."""
    loss, weights = differentiated_loss(model, x, y)
    return loss(weights)


# ---------------------------------------------------------------------------
# The value: output loss + weight * mean penalty
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("penalty_fn", [attention_penalty, per_sample_penalty], ids=["batch-mean", "per-sample"])
def test_loss_is_output_loss_plus_weight_times_mean_penalty(float64, penalty_fn):
    model, attention_model, _ = penalty_model(0.5, penalty_fn)
    model.compile(Adam(), loss="binary_crossentropy")
    x, y = data(16)
    expected = bce(y, model.predict(x)) + 0.5 * np.mean(numpy_penalty(attention_model.predict(x)))
    assert expected - bce(y, model.predict(x)) > 0.1                  # the penalty is not negligible
    assert training_loss(model, x, y) == pytest.approx(expected, rel=1e-10)
    # evaluate in uneven batches (6, 6, 4): batch means weighted by batch size give the overall mean
    assert model.evaluate(x, y, batch_size=6) == pytest.approx(expected, rel=1e-10)


def test_several_terms_add_up_and_fused_gives_the_same_loss(float64):
    model, attention_model, penalty = penalty_model(0.5)
    model.add_loss(penalty, weight=-0.25)                              # a second term, as Keras allows
    model.compile(Adam(), loss="binary_crossentropy")
    x, y = data(8)
    expected = bce(y, model.predict(x)) + 0.25 * np.mean(numpy_penalty(attention_model.predict(x)))
    assert training_loss(model, x, y) == pytest.approx(expected, rel=1e-10)
    minattn.set_fused(True)
    assert training_loss(model, x, y) == pytest.approx(expected, rel=1e-10)


def test_add_loss_after_compile_counts_and_keeps_float32():
    model, attention_model, penalty = penalty_model()
    model.compile(Adam(), loss="binary_crossentropy")
    x, y = data(8)
    before = model.evaluate(x, y)
    model.add_loss(penalty, weight=2.0)
    expected = before + 2.0 * np.mean(numpy_penalty(attention_model.predict(x).astype(np.float64)))
    assert model.evaluate(x, y) == pytest.approx(expected, rel=1e-5)
    assert np.asarray(training_loss(model, x, y)).dtype == np.float32


# ---------------------------------------------------------------------------
# The gradient fit uses includes the penalty's
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("fused", [False, True], ids=["traced", "fused"])
def test_training_gradient_matches_finite_differences(float64, fused):
    minattn.set_fast(fused)
    model, _, _ = penalty_model(2.0, lstm=True)
    model.compile(Adam(), loss="binary_crossentropy")
    x, y = data(4)
    loss_with, weights = differentiated_loss(model, x, y)
    report = gradcheck.check_grads(loss_with, weights)
    assert report["value"] < 1e-5
    minattn.clear_session()                                          # the same layer names again
    without, _, _ = penalty_model(None, lstm=True)
    without.set_weights(model.get_weights())
    without.compile(Adam(), loss="binary_crossentropy")
    loss_without, _ = differentiated_loss(without, x, y)
    g_with, g_without = grad(loss_with)(weights), grad(loss_without)(weights)
    assert np.max(np.abs(g_with - g_without)) > 1e-3               # the penalty's gradient is in it


# ---------------------------------------------------------------------------
# Training pushes the penalty down
# ---------------------------------------------------------------------------
def test_fit_with_a_heavy_weight_lowers_the_penalty(float64):
    x, y = data(64, seed=3)
    penalties = {}
    for weight in (0.0, 1.0):
        minattn.clear_session()
        minattn.set_random_seed(0)
        model, attention_model, _ = penalty_model(weight)
        model.compile(Adam(0.03), loss="binary_crossentropy")
        start = np.mean(numpy_penalty(attention_model.predict(x)))
        history = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
        penalties[weight] = (start, np.mean(numpy_penalty(attention_model.predict(x))))
    (start, free), (_, penalised) = penalties[0.0], penalties[1.0]
    assert penalised < 0.5 * start and penalised < 0.5 * free, penalties
    assert history.history["loss"][-1] < history.history["loss"][0]


# ---------------------------------------------------------------------------
# One forward pass; predict, sub-models, weights and summary unaffected
# ---------------------------------------------------------------------------
def counting(calls, name):
    def identity(t):
        calls[name] = calls.get(name, 0) + 1
        return t
    return identity


def test_one_forward_pass_and_predict_skips_the_penalty():
    calls = {}
    inputs = Input((TIME, FEATURES))
    h = Lambda(counting(calls, "shared"))(inputs)                       # on the outputs' path
    m, a = StructuredSelfAttention(4, r=HOPS, return_attention=True)(h)
    model = Model(inputs, Dense(1, activation="sigmoid")(Flatten()(m)))
    model.add_loss(Lambda(counting(calls, "penalty"))(Lambda(attention_penalty)(a)))
    model.compile(Adam(), loss="binary_crossentropy")
    x, y = data(8)
    loss, weights = differentiated_loss(model, x, y)
    calls.clear()
    grad(loss)(weights)                                                          # one training step's
    assert calls == {"shared": 1, "penalty": 1}
    calls.clear()
    model.predict(x)
    assert calls == {"shared": 1}


def test_predict_sub_models_weights_and_summary_are_unaffected():
    model, _, penalty = penalty_model()
    x, y = data(8)
    lines_before, params_before, out_before = [], model.params, model.predict(x)
    model.summary(print_fn=lines_before.append)
    model.add_loss(penalty, weight=3.0)
    lines_after = []
    model.summary(print_fn=lines_after.append)
    assert lines_after == lines_before and model.params.keys() == params_before.keys()
    np.testing.assert_array_equal(model.predict(x), out_before)
    np.testing.assert_array_equal(model.apply(model.params, x), out_before)
    sibling = Model(model.inputs, model.outputs[0])                    # same tensors, no added loss
    for m in (model, sibling):
        m.compile(Adam(), loss="binary_crossentropy")
    assert sibling.added_losses == [] and model.evaluate(x, y) > sibling.evaluate(x, y) + 0.1


def test_save_and_load_round_trip_with_an_added_loss(tmp_path):
    model, _, _ = penalty_model(1.0)
    path = str(tmp_path / "w.npz")
    model.save_weights(path)
    minattn.clear_session()                                          # the same layer names again
    fresh, _, _ = penalty_model(None)                                  # no added loss: same file fits
    fresh.load_weights(path)
    x = data(4)[0]
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def test_same_seed_same_losses():
    histories = []
    for _ in range(2):
        minattn.clear_session()
        minattn.set_random_seed(5)
        model, _, _ = penalty_model(0.5, lstm=True, dropout=0.3)       # Dropout draws from the seed too
        model.compile(Adam(0.01), loss="binary_crossentropy")
        histories.append(model.fit(*data(40), epochs=2, batch_size=16, verbose=0).history["loss"])
    assert histories[0] == histories[1]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_a_tensor_from_another_input_is_refused():
    model, _, _ = penalty_model()
    other = Input((TIME, FEATURES), name="elsewhere")
    with pytest.raises(ValueError, match="the add_loss tensor need input 'elsewhere'"):
        model.add_loss(Lambda(lambda t: anp.sum(t, axis=(1, 2)))(other))
    assert model.added_losses == []


def test_a_loss_only_layer_with_weights_is_refused():
    model, _, _ = penalty_model()
    with pytest.raises(ValueError, match=r"layer\(s\) \['aux'\] with weights"):
        model.add_loss(Dense(1, name="aux")(Flatten()(model.inputs[0])))
    assert model.added_losses == []


@pytest.mark.parametrize("tensor,weight,error,match", [
    (np.ones(3), 1.0, TypeError, "add_loss takes a tensor"),
    (None, "0.1", TypeError, "weight must be a number, got str"),
    (None, True, TypeError, "weight must be a number, got bool"),
    (None, None, TypeError, "weight must be a number, got NoneType"),
    (None, float("nan"), ValueError, "weight must be finite"),
])
def test_bad_arguments_are_named(tensor, weight, error, match):
    model, _, penalty = penalty_model()
    with pytest.raises(error, match=match):
        model.add_loss(penalty if tensor is None else tensor, weight=weight)
    assert model.added_losses == []
