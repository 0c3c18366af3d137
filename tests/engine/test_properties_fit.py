"""``fit`` refuses random bad input with a ValueError or TypeError naming the model (Hypothesis).

Whatever is wrong -- shapes, NaN / inf, complex, object or string data, the
number of arrays, the number of samples, sparse labels out of range, or the
values of batch_size / epochs / validation_split -- ``fit`` raises
``ValueError`` or ``TypeError`` (never another type), the message names the
model, and no weight has changed.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minattn import Input, Model
from minattn.layers import Concatenate, Dense

N = 8                                                   # samples in the good data


def regressor():
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(inputs), name="prop_regressor")
    model.compile("adam", loss="mse")
    return model, np.linspace(-1, 1, N * 3).reshape(N, 3), np.linspace(0, 1, N).reshape(N, 1)


def classifier():
    inputs = Input((4,))
    model = Model(inputs, Dense(3, activation="softmax")(inputs), name="prop_classifier")
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, np.linspace(-1, 1, N * 4).reshape(N, 4), np.arange(N) % 3


def two_inputs():
    a, b = Input((3,)), Input((2,))
    model = Model([a, b], Dense(1)(Concatenate()([a, b])), name="prop_two_inputs")
    model.compile("sgd", loss="mse")
    return model, [np.ones((N, 3)), np.ones((N, 2))], np.zeros((N, 1))


MODELS = {"regressor": regressor, "classifier": classifier, "two_inputs": two_inputs}


# -- ways to spoil good arguments: spoil(draw, x, y) -> (x, y, fit kwargs) --------------------
def first(x):
    return x[0] if isinstance(x, list) else x


def replace_first(x, new):
    return [new] + x[1:] if isinstance(x, list) else new


def wrong_shape(draw, x, y):
    which = draw(st.sampled_from(["x", "y"]))
    target = first(x) if which == "x" else y
    shape = list(target.shape)
    change = draw(st.sampled_from(["features", "drop axis", "add axis"]))
    if change == "features" and len(shape) > 1:
        shape[-1] += draw(st.integers(1, 3))
    elif change == "add axis":
        shape.append(draw(st.integers(2, 3)))
    else:
        shape = shape[:1] if len(shape) > 1 else shape + [2, 2]
    bad = np.ones(shape)
    return (replace_first(x, bad), y, {}) if which == "x" else (x, bad, {})


def not_finite(draw, x, y):
    value = draw(st.sampled_from([np.nan, np.inf, -np.inf, 1e39]))     # 1e39 is inf in float32
    bad = np.array(first(x), dtype=np.float64, copy=True)
    index = tuple(draw(st.integers(0, s - 1)) for s in bad.shape)
    bad[index] = value
    return replace_first(x, bad), y, {}


def wrong_dtype(draw, x, y):
    template = first(x)
    kind = draw(st.sampled_from(["complex", "object", "strings", "dicts", "ragged"]))
    if kind == "complex":
        bad = template.astype(np.complex128) + 1j
    elif kind == "object":
        bad = np.empty(template.shape, dtype=object)
    elif kind == "strings":
        bad = np.full(template.shape, "1.0")
    elif kind == "dicts":
        bad = [{"a": 1}] * len(template)
    else:
        bad = [[1.0, 2.0, 3.0], [1.0]] * (len(template) // 2)
    which = draw(st.sampled_from(["x", "y"]))
    return (replace_first(x, bad), y, {}) if which == "x" else (x, bad if kind != "ragged" else [[1], []], {})


def wrong_count(draw, x, y):
    if isinstance(x, list):
        return (x[:1] if draw(st.booleans()) else x + [x[0]]), y, {}
    return draw(st.sampled_from([([x, x], y), (x, [y, y]), ([x, x, x], y)])) + ({},)


def wrong_samples(draw, x, y):
    cut = draw(st.integers(0, N - 1))
    if draw(st.booleans()):
        return x, y[:cut], {}
    return ([a[:cut] for a in x] if isinstance(x, list) else x[:cut]), (y if cut else y[:0]), {}


def bad_labels(draw, x, y):
    value = draw(st.sampled_from([-1, 3, 7, 0.5, 2.5, np.nan, np.inf]))
    labels = np.array(y, dtype=np.float64 if not float(value).is_integer() else np.int64)
    labels[draw(st.integers(0, N - 1))] = value
    return x, labels, {}


BAD_INTS = [0, -1, 2.5, 1.0, True, False, "4", None, np.float64(4.0), np.inf, [4]]
BAD_SPLITS = [-0.1, 1.0, 1.5, np.nan, np.inf, "0.2", True, None, [0.2], 0.99]   # 0.99 of 8: none left to train


def bad_arguments(draw, x, y):
    name = draw(st.sampled_from(["batch_size", "epochs", "validation_split"]))
    value = draw(st.sampled_from(BAD_SPLITS if name == "validation_split" else BAD_INTS))
    return x, y, {name: value}


def bad_validation_data(draw, x, y):
    value = draw(st.sampled_from(["x_only", "three", "wrong_shape", "nan"]))
    if value == "x_only":
        return x, y, {"validation_data": x}
    if value == "three":
        return x, y, {"validation_data": (x, y, y)}
    bad = np.full((2,) + first(x).shape[1:] + ((2,) if value == "wrong_shape" else ()), np.nan)
    return x, y, {"validation_data": (replace_first(x, bad), y[:2])}


SPOILERS = {"wrong_shape": wrong_shape, "not_finite": not_finite, "wrong_dtype": wrong_dtype,
            "wrong_count": wrong_count, "wrong_samples": wrong_samples, "bad_labels": bad_labels,
            "bad_arguments": bad_arguments, "bad_validation_data": bad_validation_data}


@pytest.mark.parametrize("spoiler", sorted(SPOILERS))
@given(data=st.data())
def test_bad_input_to_fit_is_a_clear_error_naming_the_model(spoiler, data):
    kinds = ["classifier"] if spoiler == "bad_labels" else sorted(MODELS)
    model, x, y = MODELS[data.draw(st.sampled_from(kinds))]()
    x, y, kwargs = SPOILERS[spoiler](data.draw, x, y)
    before = model.get_weights()
    with pytest.raises((ValueError, TypeError)) as info:
        model.fit(x, y, verbose=0, **{"epochs": 1, "batch_size": 4, **kwargs})
    assert model.name in str(info.value), str(info.value)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_the_good_data_trains(kind):
    """Guard the guard: the unspoiled arguments fit, so each error above comes from the spoiling."""
    model, x, y = MODELS[kind]()
    history = model.fit(x, y, epochs=2, batch_size=4, validation_split=0.25, verbose=0)
    assert history.epoch == [0, 1] and np.all(np.isfinite(history.history["loss"]))
