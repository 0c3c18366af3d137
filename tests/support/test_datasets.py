"""Tests for minattn.datasets: shapes, values, seeding, fidelity to the articles, errors."""

import numpy as np
import pytest

from minattn.datasets import (
    ARTICLE_E1_KERAS_DRAWS,
    abs_difference,
    planted_column,
    planted_time_step,
)


@pytest.fixture
def global_np_random():
    """Let a test use np.random.seed like the articles, then restore the global state."""
    state = np.random.get_state()
    yield np.random
    np.random.set_state(state)


# --- the articles' generators, re-typed as loops for comparison ---------------

def _article_create_data(n, dtype=int):
    """seed 000's create_data: one randint(0, 10, size=10) per sample."""
    rows = np.stack([np.random.randint(0, 10, 10, dtype=dtype) for _ in range(n)])
    x1 = rows[:, 1] * 100 + rows[:, 2] * 10 + rows[:, 3]
    x2 = rows[:, 5] * 100 + rows[:, 6] * 10 + rows[:, 7]
    return rows / 10, np.abs(x1 - x2) / 1000


def _article_get_data_recurrent(n, time_steps, input_dim, attention_column=2):
    x = np.random.normal(loc=0, scale=10, size=(n, time_steps, input_dim))
    y = np.random.randint(low=0, high=2, size=(n, 1))
    x[:, attention_column, :] = np.tile(y[:], (1, input_dim))
    return x, y


def _article_get_data(n, input_dim, attention_column=1):
    x = np.random.standard_normal(size=(n, input_dim))
    y = np.random.randint(low=0, high=2, size=(n, 1))
    x[:, attention_column] = y[:, 0]
    return x, y


# --- abs_difference -----------------------------------------------------------

def test_abs_difference_shapes_and_dtypes():
    X, X_one_hot, Y = abs_difference(50)
    assert X.shape == (50, 10) and X_one_hot.shape == (50, 10, 10) and Y.shape == (50, 1)
    assert X.dtype == X_one_hot.dtype == Y.dtype == np.float64


def test_abs_difference_values():
    X, X_one_hot, Y = abs_difference(5000, seed=3)
    digits = np.rint(X * 10).astype(int)
    np.testing.assert_allclose(X * 10, digits, atol=1e-12)   # X is digits / 10
    assert digits.min() == 0 and digits.max() == 9           # all digits occur
    x1 = 100 * digits[:, 1] + 10 * digits[:, 2] + digits[:, 3]
    x2 = 100 * digits[:, 5] + 10 * digits[:, 6] + digits[:, 7]
    np.testing.assert_allclose(Y[:, 0], np.abs(x1 - x2) / 1000, rtol=0, atol=1e-15)
    assert Y.min() >= 0 and Y.max() <= 0.999


def test_abs_difference_one_hot_matches_digits():
    X, X_one_hot, _ = abs_difference(2000, seed=4)
    assert set(np.unique(X_one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(X_one_hot.sum(axis=-1), 1.0)
    np.testing.assert_array_equal(X_one_hot.argmax(axis=-1), np.rint(X * 10))


def test_abs_difference_matches_article_loop(global_np_random):
    """One (n, 10) draw == the article's n draws of size 10, on int64 and int32 (Windows)."""
    X, _, Y = abs_difference(300, seed=1337)
    for dtype in (np.int64, np.int32):
        global_np_random.seed(1337)
        X_art, Y_art = _article_create_data(300, dtype)
        np.testing.assert_array_equal(X, X_art)
        np.testing.assert_array_equal(Y[:, 0], Y_art)


def test_abs_difference_reproduces_article_printed_targets(global_np_random):
    """Seed 1337 after the 3 Keras initialiser draws gives the article's printed data."""
    printed = [0.483, 0.587, 0.035, 0.009, 0.471, 0.312, 0.319, 0.652, 0.166, 0.746]
    _, _, Y = abs_difference(10, 1337, keras_draws=ARTICLE_E1_KERAS_DRAWS)
    np.testing.assert_allclose(Y[:, 0], printed, atol=1e-12)
    _, _, Y_plain = abs_difference(10, 1337)
    assert not np.allclose(Y_plain[:, 0], printed)
    global_np_random.seed(1337)                         # the notebook's order
    for _ in range(3):                                  # 3 Dense kernels in Keras 2
        global_np_random.randint(10e6)
    _, Y_art = _article_create_data(10)
    np.testing.assert_array_equal(Y[:, 0], Y_art)


def test_abs_difference_seeding():
    a, b = abs_difference(100, seed=7), abs_difference(100, seed=7)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    c = abs_difference(100, seed=8)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(abs_difference(100)[0], abs_difference(100, keras_draws=1)[0])


def test_abs_difference_does_not_touch_global_rng():
    state = np.random.get_state()
    abs_difference(10)
    after = np.random.get_state()
    np.testing.assert_array_equal(state[1], after[1])
    assert state[2] == after[2]


def test_abs_difference_makes_the_articles_full_size_right():
    """300 000 samples, as E1 uses (its speed is the demos' business, not a timed test's)."""
    X, X_one_hot, Y = abs_difference(300_000)
    assert X.shape == (300_000, 10) and X_one_hot.shape == (300_000, 10, 10) and Y.shape == (300_000, 1)
    rows = np.random.default_rng(3).integers(0, 300_000, size=50)
    digits = np.rint(X[rows] * 10).astype(int)                          # X is digit / 10
    abc = digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]         # the positions the article reads
    efg = digits[:, 5] * 100 + digits[:, 6] * 10 + digits[:, 7]
    np.testing.assert_allclose(Y[rows, 0], np.abs(abc - efg) / 1000, rtol=0, atol=1e-15)
    assert np.array_equal(np.argmax(X_one_hot[rows], axis=-1), digits)


# --- planted_time_step --------------------------------------------------------

def test_planted_time_step_shapes_and_plant():
    x, y = planted_time_step(4000, seed=1)
    assert x.shape == (4000, 10, 2) and y.shape == (4000, 1)
    assert x.dtype == y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(x[:, 2, :], np.broadcast_to(y, (4000, 2)))
    noise = np.delete(x, 2, axis=1)                      # (n, 9, 2)
    assert abs(noise.mean()) < 0.5 and 9.5 < noise.std() < 10.5   # Normal(0, 10)
    assert 0.45 < y.mean() < 0.55


def test_planted_time_step_other_sizes():
    x, y = planted_time_step(30, time_steps=5, input_dim=3, attention_column=4, seed=2)
    assert x.shape == (30, 5, 3)
    np.testing.assert_array_equal(x[:, 4, :], np.broadcast_to(y, (30, 3)))
    assert not np.array_equal(x[:, 0, :], np.broadcast_to(y, (30, 3)))


# --- planted_column -----------------------------------------------------------

def test_planted_column_shapes_and_plant():
    x, y = planted_column(10_000, seed=1)
    assert x.shape == (10_000, 4) and y.shape == (10_000, 1)
    assert x.dtype == y.dtype == np.float64
    assert set(np.unique(y)) == {0.0, 1.0}
    np.testing.assert_array_equal(x[:, 1], y[:, 0])
    noise = np.delete(x, 1, axis=1)
    assert abs(noise.mean()) < 0.05 and 0.95 < noise.std() < 1.05   # standard normal
    assert 0.45 < y.mean() < 0.55


def test_planted_column_other_column():
    x, y = planted_column(40, input_dim=6, attention_column=5, seed=3)
    assert x.shape == (40, 6)
    np.testing.assert_array_equal(x[:, 5], y[:, 0])
    assert not np.array_equal(x[:, 1], y[:, 0])


# --- both planted generators: the article's numbers, and their seeding -------------

@pytest.mark.parametrize("ours, article, seed", [
    (lambda seed: planted_time_step(200, 10, 2, 2, seed=seed),
     lambda: _article_get_data_recurrent(200, 10, 2, attention_column=2), 5),
    (lambda seed: planted_column(300, 4, 1, seed=seed), lambda: _article_get_data(300, 4, attention_column=1), 9),
], ids=["planted_time_step", "planted_column"])
def test_planted_data_matches_article(global_np_random, ours, article, seed):
    x, y = ours(seed)
    global_np_random.seed(seed)
    x_art, y_art = article()
    np.testing.assert_array_equal(x, x_art)
    np.testing.assert_array_equal(y, y_art)


@pytest.mark.parametrize("make", [planted_time_step, planted_column])
def test_planted_data_seeding(make):
    a, b = make(50), make(50)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], make(50, seed=1)[0])


# --- argument errors ----------------------------------------------------------

@pytest.mark.parametrize("call, func, bad", [
    (lambda: abs_difference(0), "abs_difference", "0"),
    (lambda: abs_difference(2.5), "abs_difference", "2.5"),
    (lambda: abs_difference(True), "abs_difference", "True"),
    (lambda: abs_difference("10"), "abs_difference", "'10'"),
    (lambda: abs_difference(10, seed=-1), "abs_difference", "-1"),
    (lambda: abs_difference(10, seed=1.0), "abs_difference", "1.0"),
    (lambda: abs_difference(10, keras_draws=-1), "abs_difference", "-1"),
    (lambda: planted_time_step(-3), "planted_time_step", "-3"),
    (lambda: planted_time_step(5, time_steps=0), "planted_time_step", "0"),
    (lambda: planted_time_step(5, input_dim=0), "planted_time_step", "0"),
    (lambda: planted_time_step(5, attention_column=10), "planted_time_step", "10"),
    (lambda: planted_time_step(5, attention_column=-1), "planted_time_step", "-1"),
    (lambda: planted_time_step(5, seed=2**32), "planted_time_step", str(2**32)),
    (lambda: planted_column(0), "planted_column", "0"),
    (lambda: planted_column(5, input_dim=0), "planted_column", "0"),
    (lambda: planted_column(5, attention_column=4), "planted_column", "4"),
    (lambda: planted_column(5, input_dim=2, attention_column=2), "planted_column", "2"),
    (lambda: planted_column(5, seed=None), "planted_column", "None"),
])
def test_bad_arguments_raise(call, func, bad):
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    assert message.startswith(func + ":")
    assert "must be" in message and message.endswith("got " + bad)


def test_numpy_integers_accepted():
    x, y = planted_column(np.int64(3), input_dim=np.int32(2), attention_column=np.int64(0))
    assert x.shape == (3, 2)
