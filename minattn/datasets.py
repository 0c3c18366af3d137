"""The articles' toy data sets, seeded and vectorised.

Three generators, one per data recipe in ``shared/EXPERIMENTS.md``:

* ``abs_difference`` -- E1 / E2: ten random digits, target ``|abc - efg| / 1000``
  where ``abc`` are digits 1-3 and ``efg`` digits 5-7 (seed 000, ``create_data``).
* ``planted_time_step`` -- E3: Gaussian sequences whose time step
  ``attention_column`` is overwritten with the binary label
  (seed 002, ``get_data_recurrent``).
* ``planted_column`` -- E4: Gaussian vectors whose column ``attention_column``
  is overwritten with the binary label (seed 004, ``get_data``).

Each function builds its own ``np.random.RandomState(seed)`` -- the legacy
generator behind ``np.random.seed`` that the articles used -- and makes the
same draws, in the same order, as the article's code. So
``np.random.seed(s); article_function(...)`` and ``our_function(..., seed=s)``
give the same numbers (the tests check this), and minattn's global RNG
(``minattn.config.rng()``) is never touched: a data set depends on its seed only.

All arrays are float64; ``fit`` casts them to ``floatx()``.
"""
import numbers

import numpy as np

# E1 / E2 layout: 10 digits; positions 1-3 and 5-7 hold the two 3-digit numbers.
NUM_DIGITS = 10
_FIRST = (1, 2, 3)
_SECOND = (5, 6, 7)
_PLACE = np.array([100, 10, 1])

# The article's notebook (seed 000) calls np.random.seed(1337), then builds its
# 3-Dense model -- each glorot_uniform kernel makes Keras 2 draw one
# np.random.randint(10e6) as a TensorFlow op seed -- and only then calls
# create_data. Skipping these 3 draws reproduces its printed targets exactly.
ARTICLE_E1_KERAS_DRAWS = 3


def _check_int(func, name, value, low, high=None):
    """Return ``value`` as an int if ``low <= value <= high``, else raise ValueError."""
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    expected = f"an int >= {low}" if high is None else f"an int in [{low}, {high}]"
    raise ValueError(f"{func}: expected {name} to be {expected}, got {value!r}")


def _check_seed(func, seed):
    """Seeds are what RandomState accepts as a single int: 0 .. 2**32 - 1."""
    return _check_int(func, "seed", seed, 0, 2**32 - 1)


def _one_hot(digits, depth):
    """(..., ) ints in [0, depth) -> (..., depth) float64 one-hot."""
    out = np.empty(digits.shape + (depth,))              # (..., depth)
    np.equal(digits[..., None], np.arange(depth), out=out)
    return out


def abs_difference(n, seed=1337, *, keras_draws=0):
    """The E1/E2 "abs-difference" task (seed 000's ``create_data``).

    Each sample is ten random digits d0..d9. With ``x1 = 100*d1 + 10*d2 + d3``
    and ``x2 = 100*d5 + 10*d6 + d7`` the target is ``|x1 - x2| / 1000``; the
    other four digits (0, 4, 8, 9) are noise.

    Reproducibility: the article draws its digits in a loop, one
    ``np.random.randint(0, 10, size=10)`` per sample, after
    ``np.random.seed(1337)``. Drawing all ``n * 10`` digits in one call from
    ``RandomState(seed)`` yields exactly the same digits (checked in the tests,
    for both int32 and int64 draws), so this is the article's own data
    generator -- but the article's printed data set is not quite
    ``seed=1337``: its notebook built the Keras model, whose three Dense
    kernels each consumed one ``np.random.randint(10e6)``, between seeding and
    calling ``create_data``. ``abs_difference(n, 1337, keras_draws=3)`` (see
    ``ARTICLE_E1_KERAS_DRAWS``) reproduces the article's data exactly: its
    first ten targets are the printed
    ``[0.483 0.587 0.035 0.009 0.471 0.312 0.319 0.652 0.166 0.746]``.

    Args:
        n: number of samples, int >= 1 (the article uses 300 000).
        seed: int in [0, 2**32 - 1] for ``np.random.RandomState``; default
            1337, the article's seed.
        keras_draws: keyword-only, int >= 0; number of
            ``randint(10e6)`` draws to discard before the digits, emulating
            Keras initialisers that ran on the global RNG first. 0 (default)
            = the plain seeded stream; 3 = the article's printed data.

    Returns:
        X: (n, 10) float64, the digits / 10 (E1's input).
        X_one_hot: (n, 10, 10) float64, ``X_one_hot[i, t, d] = 1`` iff digit
            t of sample i is d (E2's input).
        Y: (n, 1) float64, ``|x1 - x2| / 1000`` in [0, 0.999].
    """
    n = _check_int("abs_difference", "n", n, 1)
    rs = np.random.RandomState(_check_seed("abs_difference", seed))
    keras_draws = _check_int("abs_difference", "keras_draws", keras_draws, 0)
    for _ in range(keras_draws):                         # a handful at most
        rs.randint(10e6)
    digits = rs.randint(0, 10, size=(n, NUM_DIGITS))     # (n, 10) ints
    x1 = digits[:, _FIRST] @ _PLACE                      # (n,)
    x2 = digits[:, _SECOND] @ _PLACE                     # (n,)
    X = digits / 10.0                                    # (n, 10)
    X_one_hot = _one_hot(digits, NUM_DIGITS)             # (n, 10, 10)
    Y = (np.abs(x1 - x2) / 1000.0)[:, None]              # (n, 1)
    return X, X_one_hot, Y


def planted_time_step(n, time_steps=10, input_dim=2, attention_column=2, seed=0):
    """The E3 data (seed 002's ``get_data_recurrent``): a label planted in one time step.

    ``x`` is Gaussian noise with mean 0 and standard deviation 10 (the
    article's ``np.random.normal(loc=0, scale=10, ...)``), the label ``y`` is
    a fair coin, and every feature of time step ``attention_column`` is
    overwritten with ``y`` -- so only that step carries information.

    Draw order as in the article (all of ``x``, then all of ``y``), so
    ``np.random.seed(s)`` + the article's function gives the same ``(x, y)``
    as ``seed=s`` here. The article sets no seed for this experiment, so the
    default ``seed=0`` is minattn's choice; its data cannot be reproduced.
    E3 also draws 300 fresh test samples: use another seed for them.

    Args:
        n: number of sequences, int >= 1 (the article uses 100 000).
        time_steps: sequence length, int >= 1 (article: 10).
        input_dim: features per time step, int >= 1 (article: 2).
        attention_column: the planted time step, int in [0, time_steps - 1]
            (article: 2).
        seed: int in [0, 2**32 - 1] for ``np.random.RandomState``; default 0.

    Returns:
        x: (n, time_steps, input_dim) float64.
        y: (n, 1) float64 labels, 0.0 or 1.0; ``x[:, attention_column, :] == y``.
    """
    func = "planted_time_step"
    n = _check_int(func, "n", n, 1)
    time_steps = _check_int(func, "time_steps", time_steps, 1)
    input_dim = _check_int(func, "input_dim", input_dim, 1)
    column = _check_int(func, "attention_column", attention_column, 0, time_steps - 1)
    rs = np.random.RandomState(_check_seed(func, seed))
    x = rs.normal(loc=0.0, scale=10.0, size=(n, time_steps, input_dim))
    y = rs.randint(0, 2, size=(n, 1)).astype(np.float64)  # (n, 1)
    x[:, column, :] = y                                   # broadcast over input_dim
    return x, y


def planted_column(n, input_dim=4, attention_column=1, seed=0):
    """The E4 data (seed 004's ``get_data``): a label planted in one column.

    ``x`` is standard normal, the label ``y`` a fair coin, and column
    ``attention_column`` of ``x`` is overwritten with ``y``.

    Draw order as in the article (``x`` then ``y``), so ``np.random.seed(s)``
    + the article's function gives the same ``(x, y)`` as ``seed=s`` here.
    The article sets no seed, so the default ``seed=0`` is minattn's choice;
    its data cannot be reproduced.

    Args:
        n: number of samples, int >= 1 (the article uses 10 000).
        input_dim: columns, int >= 1 (article: 4).
        attention_column: the planted column, int in [0, input_dim - 1]
            (article: 1).
        seed: int in [0, 2**32 - 1] for ``np.random.RandomState``; default 0.

    Returns:
        x: (n, input_dim) float64.
        y: (n, 1) float64 labels, 0.0 or 1.0; ``x[:, attention_column] == y[:, 0]``.
    """
    func = "planted_column"
    n = _check_int(func, "n", n, 1)
    input_dim = _check_int(func, "input_dim", input_dim, 1)
    column = _check_int(func, "attention_column", attention_column, 0, input_dim - 1)
    rs = np.random.RandomState(_check_seed(func, seed))
    x = rs.standard_normal(size=(n, input_dim))           # (n, input_dim)
    y = rs.randint(0, 2, size=(n, 1)).astype(np.float64)  # (n, 1)
    x[:, column] = y[:, 0]
    return x, y
