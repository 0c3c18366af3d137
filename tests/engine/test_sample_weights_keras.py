"""sample_weight and class_weight give Keras 3's numbers: the same loss from ``evaluate`` and
the same weights after ``fit`` (plain SGD, no shuffling), for sparse, one-hot, binary and
regression targets. Skipped without the ``[keras]`` extra."""
import contextlib
import os

import numpy as np
import pytest

pytest.importorskip("jax", reason='needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

import minattn  # noqa: E402
from minattn import Input, Model  # noqa: E402
from minattn.layers import Dense  # noqa: E402
from minattn.optimizers import SGD  # noqa: E402

N, FEATURES = 24, 4
CASES = {   # loss -> (units, activation, targets)
    "sparse_categorical_crossentropy": (3, "softmax", lambda r: r.integers(0, 3, N)),
    "categorical_crossentropy": (3, "softmax", lambda r: np.eye(3)[r.integers(0, 3, N)]),
    "binary_crossentropy": (1, "sigmoid", lambda r: r.integers(0, 2, (N, 1)).astype(float)),
    "mse": (2, None, lambda r: r.standard_normal((N, 2))),
}


def twin_models(loss):
    """The same one-layer model in minattn and in Keras, with the same weights, compiled with SGD."""
    units, activation, make_y = CASES[loss]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, FEATURES)).astype(np.float32)
    y = make_y(rng)
    minattn.clear_session()
    minattn.set_random_seed(0)
    inputs = Input((FEATURES,))
    ours = Model(inputs, Dense(units, activation=activation)(inputs))
    ours.compile(SGD(learning_rate=0.5), loss=loss)
    theirs = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(units, activation=activation)])
    theirs.set_weights(ours.get_weights())
    theirs.compile(keras.optimizers.SGD(learning_rate=0.5), loss=loss)
    return ours, theirs, x, y


@pytest.mark.parametrize("readable", [False, True], ids=["fast", "readable"])
@pytest.mark.parametrize("loss", sorted(CASES))
def test_sample_weight_loss_and_training_equal_keras(loss, readable):
    ours, theirs, x, y = twin_models(loss)
    weights = np.random.default_rng(7).uniform(0, 3, N)
    np.testing.assert_allclose(ours.evaluate(x, y, sample_weight=weights, verbose=0),
                               theirs.evaluate(x, y, sample_weight=weights, verbose=0), rtol=1e-5)
    theirs.fit(x, y, 8, 2, verbose=0, shuffle=False, sample_weight=weights)     # Keras's order: batch 8, 2 epochs
    with (minattn.traced() if readable else contextlib.nullcontext()):
        ours.fit(x, y, 8, 2, verbose=0, shuffle=False, sample_weight=weights)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy",
                                  "binary_crossentropy"])
def test_class_weight_training_equals_keras(loss):
    ours, theirs, x, y = twin_models(loss)
    class_weight = {0: 0.5, 1: 2.0}                     # class 2 (where there is one) weighs 1
    histories = [model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, class_weight=class_weight)
                 for model in (ours, theirs)]
    np.testing.assert_allclose(histories[0].history["loss"], histories[1].history["loss"], rtol=1e-5)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
