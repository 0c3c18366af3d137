"""Permutation importance finds the inputs a model uses and ignores the rest."""
import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.experiments import analysis
from minattn.layers import Dense


def _model_reading_only_column_0():
    """A linear model whose weights make the output depend on column 0 alone."""
    minattn.set_random_seed(0)
    inputs = Input((3,))
    output = Dense(1)(inputs)
    model = Model(inputs, output)
    model.set_weights([np.array([[2.0], [0.0], [0.0]]), np.zeros(1)])
    return model


def test_importance_is_large_for_the_used_column_and_zero_for_ignored_ones():
    model = _model_reading_only_column_0()
    x = np.random.default_rng(1).standard_normal((2000, 3))
    y = 2.0 * x[:, :1]
    baseline, rises = analysis.permutation_importance(model, x, y, loss="mse")
    assert baseline == pytest.approx(0.0, abs=1e-9)
    # shuffling column 0: E[(2 x - 2 x')^2] = 8 for independent standard normals
    assert rises[0] == pytest.approx(8.0, rel=0.15)
    assert np.allclose(rises[1:], 0.0, atol=1e-9)


def test_importance_along_time_steps_of_sequences():
    minattn.set_random_seed(0)
    inputs = Input((4, 2))
    model = Model(inputs, Dense(1)(minattn.layers.Flatten()(inputs)))
    kernel = np.zeros((8, 1))
    kernel[2 * 2] = 1.0                      # reads only time step 2, feature 0
    model.set_weights([kernel, np.zeros(1)])
    x = np.random.default_rng(2).standard_normal((1000, 4, 2))
    _, rises = analysis.permutation_importance(model, x, x[:, 2, :1])
    assert np.argmax(rises) == 2 and np.allclose(np.delete(rises, 2), 0.0, atol=1e-9)


def test_importance_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="samples"):
        analysis.permutation_importance(_model_reading_only_column_0(), np.zeros((5, 3)), np.zeros((4, 1)))
