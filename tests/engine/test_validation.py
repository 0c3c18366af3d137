"""Bad input is refused where it enters, with the model, the input and the value named."""
import numpy as np
import pytest

import minattn
from minattn import Input, Model, losses
from minattn.layers import Dense
from minattn.optimizers import SGD, Adam


def classifier(classes=3):
    inputs = Input((4,))
    model = Model(inputs, Dense(classes, activation="softmax", name="probs")(inputs), name="clf")
    model.compile("adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def regressor(name="reg"):
    inputs = Input((3,))
    model = Model(inputs, Dense(1, name="out")(inputs), name=name)
    model.compile(SGD(0.01), loss="mse")
    return model


X4 = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)


# -- sparse labels -------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, shown", [(3, "3"), (-1, "-1"), (1.5, "1.5"), (np.nan, "nan")])
def test_sparse_labels_out_of_range_negative_or_fractional_are_refused(bad, shown):
    model = classifier(classes=3)
    y = np.array([0, 1, 2, 0, 1, 2], dtype=float)
    y[4] = bad
    for call in (lambda: model.fit(X4, y, verbose=0), lambda: model.evaluate(X4, y)):
        with pytest.raises(ValueError) as err:
            call()
        message = str(err.value)
        assert "'clf'" in message and "'probs'" in message and "(4,)" in message
        assert f"label {shown}" in message or (bad is np.nan and "nan" in message)


def test_sparse_labels_are_checked_when_the_loss_is_called_directly():
    probs = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: label 3 at index \(1,\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 3]), probs)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(np.array([0, 2]), probs), np.log(3), rtol=1e-6)


def test_valid_sparse_labels_with_a_class_axis_train():
    model = classifier()
    history = model.fit(X4, np.array([[0], [1], [2], [0], [1], [2]]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# -- finiteness after the cast ----------------------------------------------------------------------
def test_a_value_beyond_float32_is_refused_for_a_float32_model():
    model = regressor()
    x = np.zeros((4, 3))
    x[2, 1] = 1e39                                      # finite in float64, inf in float32
    for call in (lambda: model.predict(x), lambda: model.fit(x, np.zeros((4, 1)), verbose=0)):
        with pytest.raises(ValueError, match=r"'reg' x for 'input_1'.*1e\+39 at index \(2, 1\).*float32"):
            call()


def test_the_same_value_is_fine_for_a_float64_model(float64):
    model = regressor()
    x = np.zeros((4, 3))
    x[2, 1] = 1e39
    assert np.all(np.isfinite(model.predict(x)))


# -- one float type per model -----------------------------------------------------------------------
def test_mixed_float_types_are_refused_at_compile_and_at_fit():
    inputs = Input((3,))
    hidden = Dense(2, name="wide")
    minattn.set_floatx("float64")
    h = hidden(inputs)
    minattn.set_floatx("float32")
    model = Model(inputs, Dense(1, name="narrow")(h))
    with pytest.raises(ValueError, match=r"mixes weight dtypes.*float32: \['narrow'\].*float64: \['wide'\]"):
        model.compile("sgd", loss="mse")
    same = regressor()
    same.set_params({"out": {"kernel": np.zeros((3, 1)), "bias": np.zeros(1, np.float32)}})   # float64 kernel
    with pytest.raises(ValueError, match="fit: model 'reg' mixes weight dtypes"):
        same.fit(np.zeros((2, 3)), np.zeros((2, 1)), verbose=0)


@pytest.mark.parametrize("fused", [True, False])
def test_fit_keeps_a_float64_model_float64(fused):
    minattn.set_floatx("float64")
    model = regressor()
    minattn.set_floatx("float32")                     # the global default changed after building
    minattn.set_fused(fused)
    model.fit(np.ones((4, 3), np.float32), np.ones((4, 1), np.float32), verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(np.ones((2, 3), np.float32)).dtype == np.float64


# -- numbers given as arguments ---------------------------------------------------------------------
def test_hyperparameters_accept_numpy_scalars():
    adam = Adam(learning_rate=np.float32(1e-3), beta_1=np.float64(0.8), epsilon=np.float32(1e-6),
                clipnorm=np.int64(2))
    assert adam.learning_rate == pytest.approx(1e-3) and type(adam.learning_rate) is float
    assert SGD(np.float16(0.5), momentum=np.float32(0.5)).momentum == 0.5


@pytest.mark.parametrize("make, name", [
    (lambda: Adam(learning_rate=float("inf")), "learning_rate"),
    (lambda: Adam(learning_rate=float("nan")), "learning_rate"),
    (lambda: Adam(learning_rate=True), "learning_rate"),
    (lambda: Adam(learning_rate="0.001"), "learning_rate"),
    (lambda: Adam(beta_1=1.0), "beta_1"),
    (lambda: Adam(beta_2=np.nan), "beta_2"),
    (lambda: Adam(epsilon=0), "epsilon"),
    (lambda: SGD(momentum=True), "momentum"),
    (lambda: SGD(momentum=-0.1), "momentum"),
    (lambda: SGD(clipnorm=float("inf")), "clipnorm"),
])
def test_bad_hyperparameters_are_refused_with_their_name(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_learning_rate_set_later_is_checked_too():
    adam = Adam()
    with pytest.raises(ValueError, match="learning_rate"):
        adam.learning_rate = float("inf")
    assert adam.learning_rate == 1e-3


@pytest.mark.parametrize("kwargs, shown", [({"epochs": 2.0}, "epochs"), ({"epochs": True}, "epochs"),
                                           ({"batch_size": np.float32(8)}, "batch_size"),
                                           ({"validation_split": True}, "validation_split"),
                                           ({"validation_split": np.nan}, "validation_split")])
def test_integer_and_fraction_arguments_of_fit(kwargs, shown):
    with pytest.raises(ValueError, match=shown):
        regressor().fit(np.zeros((8, 3)), np.zeros((8, 1)), verbose=0, **kwargs)


def test_numpy_integers_and_floats_are_fine_for_fit():
    history = regressor().fit(np.zeros((8, 3)), np.zeros((8, 1)), epochs=np.int64(2), batch_size=np.int32(4),
                              validation_split=np.float32(0.25), verbose=0)
    assert history.epoch == [0, 1]


# -- metrics, complex and nested data -----------------------------------------------------------------
def test_metrics_as_a_bare_string_is_an_error_as_in_keras_3():
    inputs = Input((3,))
    model = Model(inputs, Dense(1, activation="sigmoid")(inputs))
    with pytest.raises(ValueError, match=r"metrics=\['accuracy'\]"):
        model.compile("adam", loss="binary_crossentropy", metrics="accuracy")


def test_a_metric_function_is_logged_under_its_name():
    def doubled_error(y_true, y_pred):
        return 2 * np.abs(y_true - y_pred).mean(axis=-1)
    model = regressor()
    model.compile("sgd", loss="mse", metrics=[doubled_error])
    history = model.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)
    assert sorted(history.history) == ["doubled_error", "loss"]


def test_complex_data_is_refused():
    with pytest.raises(ValueError, match=r"'reg' x for 'input_1'.*complex"):
        regressor().predict(np.ones((2, 3)) * 1j)


def test_nested_lists_are_one_array_for_a_single_input_model():
    model = regressor()
    rows = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    np.testing.assert_array_equal(model.predict(rows), model.predict(np.array(rows)))
    np.testing.assert_array_equal(model.predict([np.array(rows)]), model.predict(np.array(rows)))
    one_sample = [[1.0, 2.0, 3.0]]                       # one sample, not a list holding one input
    assert model.predict(one_sample).shape == (1, 1)
    loss = model.evaluate(rows, [[1.0], [2.0]])
    assert loss == pytest.approx(model.evaluate(np.array(rows), np.array([[1.0], [2.0]])))


def test_nested_lists_per_input_for_a_two_input_model():
    a, b = Input((2,)), Input((1,))
    from minattn.layers import Concatenate
    model = Model([a, b], Dense(1)(Concatenate()([a, b])))
    out = model.predict([[[1.0, 2.0], [3.0, 4.0]], [[5.0], [6.0]]])
    np.testing.assert_array_equal(out, model.predict([np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0], [6.0]])]))
    with pytest.raises(ValueError, match="expected 2 x array"):
        model.predict([[1.0, 2.0, 3.0]] * 3)
