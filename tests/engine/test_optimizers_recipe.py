"""The Transformer recipe's parts in minattn's own terms: AdamW's rule against a NumPy reference,
which weights decay, global clipping, schedules inside ``fit`` (both paths, across fits),
ReduceLROnPlateau in a fit, and clear errors for bad settings.

Equality with Keras 3 itself is tests/test_optimizers_keras.py.
"""
import math

import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.callbacks import LearningRateScheduler, ReduceLROnPlateau
from minattn.layers import Dense, LayerNormalization
from minattn.optimizers import SGD, Adam, AdamW, get
from minattn.optimizers.clipping import clip_global_norm
from minattn.optimizers.schedules import (CosineDecay, ExponentialDecay, LearningRateSchedule,
                                          PiecewiseConstantDecay)


def two_weights(seed=5):
    rng = np.random.default_rng(seed)
    return {"dense": {"kernel": rng.standard_normal((3, 2)), "bias": rng.standard_normal(2)},
            "norm": {"gamma": rng.standard_normal(2), "beta": rng.standard_normal(2)}}


def grads_like(params, rng):
    return {layer: {key: rng.standard_normal(value.shape) for key, value in weights.items()}
            for layer, weights in params.items()}


# --- AdamW's rule, weight decay, clipping ----------------------------------------------------

def test_adamw_defaults_are_keras():
    opt = AdamW()
    assert (opt.learning_rate, opt.weight_decay, opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == \
        (1e-3, 0.004, 0.9, 0.999, 1e-7, False)
    assert Adam().weight_decay is None and SGD().nesterov is False
    assert isinstance(get("adamw"), AdamW) and get("AdamW").weight_decay == 0.004


def test_adamw_matches_numpy_reference_with_a_schedule():
    """Decay first (``p -= p * wd * lr``, lr from the schedule at the steps already taken), then Adam."""
    schedule = CosineDecay(0.0, decay_steps=4, warmup_target=0.1, warmup_steps=2, alpha=0.1)
    opt = AdamW(schedule, weight_decay=0.3, beta_1=0.8, beta_2=0.95)
    params = two_weights()
    state, rng = opt.init(params), np.random.default_rng(1)
    ref = {(n, k): v.copy() for n, w in params.items() for k, v in w.items()}
    m = {key: 0.0 for key in ref}
    v = {key: 0.0 for key in ref}
    for t in range(1, 8):
        grads = grads_like(params, rng)
        params, state = opt.step(params, grads, state)
        lr = schedule(t - 1)
        for (n, k), p in ref.items():
            g = grads[n][k]
            p = p - p * 0.3 * lr
            m[n, k] = 0.8 * m[n, k] + 0.2 * g
            v[n, k] = 0.95 * v[n, k] + 0.05 * g * g
            ref[n, k] = p - lr * math.sqrt(1 - 0.95 ** t) / (1 - 0.8 ** t) * m[n, k] / (np.sqrt(v[n, k]) + 1e-7)
            np.testing.assert_allclose(params[n][k], ref[n, k], rtol=1e-12, atol=1e-14)
    assert state["t"] == 7 and state["paths"] == ("dense/kernel", "dense/bias", "norm/gamma", "norm/beta")


@pytest.mark.parametrize("exclude, kept", [
    (None, set()),
    (dict(var_names=["bias", "gamma", "beta"]), {"dense/bias", "norm/gamma", "norm/beta"}),
    (dict(var_names=["dense"]), set()),                    # Keras matches the weight's name, not its layer's
    (dict(var_names=["^b"]), {"dense/bias", "norm/beta"}),  # pieces of a regular expression
    (dict(var_list=["norm/gamma"], var_names=["kernel"]), {"norm/gamma", "dense/kernel"}),
])
def test_weight_decay_shrinks_exactly_the_weights_not_excluded(exclude, kept):
    """With zero gradients Adam moves nothing, so each weight is either untouched or times (1 - wd lr)."""
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    if exclude is not None:
        opt.exclude_from_weight_decay(**exclude)
    params = two_weights()
    zeros = {n: {k: np.zeros_like(v) for k, v in w.items()} for n, w in params.items()}
    new, _ = opt.step(params, zeros, opt.init(params))
    for n, weights in params.items():
        for k, value in weights.items():
            expected = value if f"{n}/{k}" in kept else value - value * 0.05
            np.testing.assert_allclose(new[n][k], expected, rtol=1e-15, atol=0)


def test_exclusions_set_after_init_apply_and_need_the_paths():
    opt = AdamW(learning_rate=0.1, weight_decay=0.5)
    params = two_weights()
    state = opt.init(params)
    opt.exclude_from_weight_decay(var_names=["kernel"])                # after init: used from now on
    zeros = {n: {k: np.zeros_like(v) for k, v in w.items()} for n, w in params.items()}
    new, _ = opt.step(params, zeros, state)
    np.testing.assert_array_equal(new["dense"]["kernel"], params["dense"]["kernel"])
    flat = np.ones(4)
    with pytest.raises(ValueError, match="init\\(params\\)"):
        opt.update(flat, np.zeros(4), opt.init_flat(flat), np.array([4]))


def test_global_clipnorm_scales_all_gradients_together():
    grads = np.array([3.0, 0.0, 4.0, 12.0])                               # joint norm 13
    np.testing.assert_allclose(clip_global_norm(grads, 6.5), grads / 2, rtol=1e-15)
    assert clip_global_norm(grads, 13.0) is grads                         # at or below the limit: untouched
    assert np.isnan(clip_global_norm(np.array([1.0, np.inf]), 1.0)).all()   # as Keras: not finite -> NaN
    opt = SGD(learning_rate=1.0, global_clipnorm=1.0)
    params = {"a": {"kernel": np.zeros(2)}, "b": {"bias": np.zeros(1)}}
    new, _ = opt.step(params, {"a": {"kernel": np.array([3.0, 0.0])}, "b": {"bias": np.array([4.0])}},
                      opt.init(params))
    np.testing.assert_allclose(new["a"]["kernel"], [-0.6, 0.0], rtol=1e-15)  # per weight it would be -1
    np.testing.assert_allclose(new["b"]["bias"], [-0.8], rtol=1e-15)


def test_clipvalue_limits_each_entry():
    opt = SGD(learning_rate=1.0, clipvalue=0.5)
    params = {"a": {"kernel": np.zeros(3)}}
    new, _ = opt.step(params, {"a": {"kernel": np.array([2.0, -0.2, -7.0])}}, opt.init(params))
    np.testing.assert_array_equal(new["a"]["kernel"], [-0.5, 0.2, 0.5])


# --- schedules -------------------------------------------------------------------------------

def test_cosine_decay_with_warmup_by_its_formula():
    schedule = CosineDecay(0.01, decay_steps=10, alpha=0.2, warmup_target=0.1, warmup_steps=4)
    assert schedule(0) == 0.01 and schedule(2) == pytest.approx(0.055, rel=1e-15)   # halfway up the line
    assert schedule(4) == pytest.approx(0.1, rel=1e-15)                             # the top
    assert schedule(9) == pytest.approx(0.1 * (0.8 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.2), rel=1e-15)
    assert schedule(14) == schedule(1000) == pytest.approx(0.02, rel=1e-15)          # the floor, alpha * target
    assert CosineDecay(0.3, 6)(3) == pytest.approx(0.15, rel=1e-15)
    rebuilt = CosineDecay(**schedule.get_config())
    assert [rebuilt(s) for s in range(20)] == [schedule(s) for s in range(20)]
    assert "warmup_target=0.1" in repr(schedule)


def test_exponential_and_piecewise_by_their_formulas():
    assert ExponentialDecay(0.1, 4, 0.5)(6) == pytest.approx(0.1 * 0.5 ** 1.5, rel=1e-15)
    assert ExponentialDecay(0.1, 4, 0.5, staircase=True)(7) == pytest.approx(0.05, rel=1e-15)
    piecewise = PiecewiseConstantDecay([2, 5], [0.3, 0.2, 0.1])
    assert [piecewise(s) for s in range(8)] == [0.3, 0.3, 0.3, 0.2, 0.2, 0.2, 0.1, 0.1]


def small_model(seed=3):
    minattn.clear_session()
    minattn.set_random_seed(seed)
    inputs = Input((4,))
    hidden = LayerNormalization()(Dense(8, activation="relu")(inputs))
    return Model(inputs, Dense(1, activation="sigmoid")(hidden))


def recipe():
    rate = CosineDecay(0.0, decay_steps=10, warmup_target=0.05, warmup_steps=3, alpha=0.1)
    optimizer = AdamW(rate, weight_decay=0.01, global_clipnorm=1.0)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def fit_recipe(x, y, epochs_per_fit):
    model = small_model()
    model.compile(recipe(), loss="binary_crossentropy", metrics=["accuracy"])
    losses = []
    for epochs in epochs_per_fit:
        losses += model.fit(x, y, epochs=epochs, batch_size=16, shuffle=False, verbose=0).history["loss"]
    return model, losses


def test_the_recipe_fits_the_same_on_both_paths_and_across_fits(float64):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4))
    y = (x[:, :1] > 0).astype(float)
    fast, fast_losses = fit_recipe(x, y, [4])
    with minattn.traced():
        readable, readable_losses = fit_recipe(x, y, [4])
    np.testing.assert_allclose(fast_losses, readable_losses, rtol=1e-10)
    for a, b in zip(fast.get_weights(), readable.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    split, split_losses = fit_recipe(x, y, [1, 3])             # the state, and so the schedule, carry on
    assert split_losses == fast_losses and split.compiled.state["t"] == 16
    assert fast_losses[-1] < fast_losses[0]


def test_reduce_lr_on_plateau_in_fit_logs_and_lowers_the_rate(capsys):
    model = small_model()
    model.compile(SGD(0.5), loss="mse")
    x, y = np.zeros((8, 4)), np.full((8, 1), 0.5)
    callback = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0, verbose=1)
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[callback])
    # min_delta 10: nothing after the first epoch counts as better, so the rate halves every epoch after it
    assert history.history["learning_rate"] == [0.5, 0.5, 0.25]
    assert model.compiled.optimizer.learning_rate == 0.125
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.25." in capsys.readouterr().out


@pytest.mark.parametrize("callback", [ReduceLROnPlateau(monitor="loss"), LearningRateScheduler(lambda e, lr: lr)])
def test_rate_callbacks_refuse_an_optimizer_with_a_schedule(callback):
    model = small_model()
    model.compile(Adam(ExponentialDecay(0.1, 10, 0.5)), loss="mse")
    with pytest.raises(TypeError, match="schedule"):
        model.fit(np.zeros((4, 4)), np.zeros((4, 1)), verbose=0, callbacks=[callback])


def test_a_schedule_rate_cannot_be_set_to_a_number():
    opt = Adam(PiecewiseConstantDecay([1], [0.1, 0.01]))
    with pytest.raises(TypeError, match="cannot be set"):
        opt.learning_rate = 0.5
    opt.learning_rate = ExponentialDecay(0.1, 10, 0.5)             # another schedule may replace it
    assert opt.learning_rate_at(10) == pytest.approx(0.05)


class Negative(LearningRateSchedule):
    def __call__(self, step):
        return -0.1

    def get_config(self):
        return {}


@pytest.mark.parametrize("make, words", [
    (lambda: AdamW(weight_decay=-0.1), "weight_decay must be a number >= 0"),
    (lambda: AdamW(weight_decay=None), "weight_decay"),
    (lambda: Adam(clipnorm=1.0, global_clipnorm=1.0), "only one of clipnorm"),
    (lambda: SGD(clipvalue=0), "clipvalue must be a positive"),
    (lambda: SGD(global_clipnorm=float("nan")), "global_clipnorm"),
    (lambda: SGD(nesterov=1), "nesterov"),
    (lambda: Adam(amsgrad="yes"), "amsgrad"),
    (lambda: Adam(learning_rate=lambda: 0.1), "learning_rate"),
    (lambda: CosineDecay(0.1, 0), "decay_steps must be a positive int"),
    (lambda: CosineDecay(0.1, 10.0), "decay_steps must be a positive int"),
    (lambda: CosineDecay(0.1, 10, warmup_steps=5), "needs warmup_target"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), "warmup_steps must be a non-negative int"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=2.5), "warmup_steps"),
    (lambda: CosineDecay(0.1, 10, alpha=1.5), "alpha must be a number in"),
    (lambda: CosineDecay(-0.1, 10), "initial_learning_rate must be a number >= 0"),
    (lambda: ExponentialDecay(0.1, 10, 0.0), "decay_rate must be a positive"),
    (lambda: ExponentialDecay(0.1, -3, 0.5), "decay_steps"),
    (lambda: PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3]), "increasing ints"),
    (lambda: PiecewiseConstantDecay([5], [0.1]), "one longer"),
    (lambda: PiecewiseConstantDecay([5], [0.1, -0.2]), "values\\[1\\]"),
    (lambda: ReduceLROnPlateau(factor=1.0), "factor must be a number in \\(0, 1\\)"),
    (lambda: ReduceLROnPlateau(factor=0), "factor"),
    (lambda: ReduceLROnPlateau(min_lr=-1e-3), "min_lr"),
    (lambda: ReduceLROnPlateau(patience=-1), "patience"),
    (lambda: ReduceLROnPlateau(monitor="val_f1"), "mode='min' or mode='max'"),
    (lambda: Adam(Negative()).learning_rate_at(3), "gave the rate -0.1 at step 3"),
])
def test_bad_settings_are_refused_by_name(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_exclusions_must_be_lists_of_strings():
    with pytest.raises(TypeError, match="var_names must be a list of strings"):
        AdamW().exclude_from_weight_decay(var_names="bias")
    with pytest.raises(TypeError, match="var_list must be a list of strings"):
        AdamW().exclude_from_weight_decay(var_list=[np.zeros(2)])
