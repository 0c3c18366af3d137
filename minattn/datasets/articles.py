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
import numpy as np

from ..arguments import check_int
from .checks import check_seed

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
    n = check_int(n, "abs_difference: n", 1)
    rs = np.random.RandomState(check_seed("abs_difference", seed))
    keras_draws = check_int(keras_draws, "abs_difference: keras_draws", 0)
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
    n = check_int(n, f"{func}: n", 1)
    time_steps = check_int(time_steps, f"{func}: time_steps", 1)
    input_dim = check_int(input_dim, f"{func}: input_dim", 1)
    column = check_int(attention_column, f"{func}: attention_column", 0, time_steps - 1)
    rs = np.random.RandomState(check_seed(func, seed))
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
    n = check_int(n, f"{func}: n", 1)
    input_dim = check_int(input_dim, f"{func}: input_dim", 1)
    column = check_int(attention_column, f"{func}: attention_column", 0, input_dim - 1)
    rs = np.random.RandomState(check_seed(func, seed))
    x = rs.standard_normal(size=(n, input_dim))           # (n, input_dim)
    y = rs.randint(0, 2, size=(n, 1)).astype(np.float64)  # (n, 1)
    x[:, column] = y[:, 0]
    return x, y


# ---------------------------------------------------------------------------
# Synthetic images for the vision-attention demos (SE, STN). Not from the
# articles (which describe these constructs without data): minattn's own,
# seeded, drawn with NumPy, nothing downloaded.
# ---------------------------------------------------------------------------
def _stroke_patterns(length):
    """Four ``(length, length)`` strokes, one per class: -, |, \\, /."""
    horizontal = np.zeros((length, length))
    horizontal[length // 2, :] = 1.0
    diagonal = np.eye(length)
    return np.stack([horizontal, horizontal.T, diagonal, diagonal[:, ::-1]])     # (4, L, L)


def channel_planted_images(n, size=12, channels=8, informative=(1, 4, 6), stroke=5, noise=0.5, seed=0):
    """Images whose class is drawn only in some channels; the others carry decoys.

    Each of the 4 classes is a stroke of ``stroke`` pixels: horizontal,
    vertical, diagonal or anti-diagonal. Every channel of a ``size x size``
    image holds one stroke at a random place plus Gaussian noise of standard
    deviation ``noise``. In the ``informative`` channels the stroke is the
    image's class; in every other channel it is a stroke of an independent
    random class (a decoy). All channels look alike one by one; only the
    informative ones agree with the label, so a model does best by weighting
    them up -- channel attention's job.

    Args:
        n: number of images, int >= 1.
        size: image height and width, int >= stroke.
        channels: int >= 1.
        informative: the channels that carry the class (indices, at least one).
        stroke: stroke length in pixels, int >= 2.
        noise: standard deviation of the added noise, >= 0.
        seed: int in [0, 2**32 - 1] for ``np.random.RandomState``.

    Returns:
        x: (n, size, size, channels) float64.
        y: (n,) int labels in 0..3.
    """
    func = "channel_planted_images"
    n = check_int(n, f"{func}: n", 1)
    stroke = check_int(stroke, f"{func}: stroke", 2)
    size = check_int(size, f"{func}: size", stroke)
    channels = check_int(channels, f"{func}: channels", 1)
    informative = sorted({check_int(c, f"{func}: an informative channel", 0, channels - 1) for c in informative})
    if not informative or noise < 0:
        raise ValueError(f"{func}: expected at least one informative channel and noise >= 0, "
                         f"got informative={informative!r}, noise={noise!r}")
    rs = np.random.RandomState(check_seed(func, seed))
    y = rs.randint(0, 4, size=n)                                      # (n,)
    classes = rs.randint(0, 4, size=(n, channels))                    # decoys everywhere ...
    classes[:, informative] = y[:, None]                              # ... but the label here
    rows = rs.randint(0, size - stroke + 1, size=(n, channels))
    cols = rs.randint(0, size - stroke + 1, size=(n, channels))
    patterns = _stroke_patterns(stroke)                               # (4, L, L)
    x = noise * rs.standard_normal((n, size, size, channels))
    ii, cc = np.meshgrid(np.arange(n), np.arange(channels), indexing="ij")   # (n, channels) each
    for di in range(stroke):                                          # loop over stroke pixels only
        for dj in range(stroke):
            x[ii, rows + di, cols + dj, cc] += patterns[classes, di, dj]
    return x, y


# A 5 x 7 bitmap font for the digits 0-9 (1 = ink), rows top to bottom.
_DIGIT_ROWS = [
    ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
    ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
]
DIGIT_FONT = np.array([[[float(c) for c in row] for row in digit] for digit in _DIGIT_ROWS])   # (10, 7, 5)


def digit_glyphs(n, canvas=32, scale=(1.5, 2.5), max_rotation=30.0, noise=0.05, seed=0):
    """Digits 0-9 from a 5 x 7 bitmap font, placed at random on a larger canvas.

    Each digit is scaled by a random factor in ``scale`` (pixels per font
    cell, so a glyph is 7 * scale pixels tall), rotated by a random angle in
    ``[-max_rotation, max_rotation]`` degrees and put at a random position
    where it fits wholly on the ``canvas x canvas`` image; pixels are drawn
    by bilinear interpolation of the font, then Gaussian noise of standard
    deviation ``noise`` is added. The classifier must find a small glyph
    somewhere on the canvas: what a spatial transformer is for.

    Args:
        n: number of images, int >= 1.
        canvas: image height and width, int >= 16.
        scale: (low, high) glyph scale, pixels per font cell.
        max_rotation: largest rotation in degrees.
        noise: standard deviation of the added noise, >= 0.
        seed: int in [0, 2**32 - 1] for ``np.random.RandomState``.

    Returns:
        x: (n, canvas, canvas, 1) float64, ink about 1 on 0.
        y: (n,) int digits.
    """
    func = "digit_glyphs"
    n = check_int(n, f"{func}: n", 1)
    canvas = check_int(canvas, f"{func}: canvas", 16)
    low, high = scale
    if not 0 < low <= high or 7 * high * 1.3 > canvas or noise < 0:
        raise ValueError(f"{func}: expected 0 < scale[0] <= scale[1] with the glyph (7 * scale * 1.3 "
                         f"pixels) fitting in canvas {canvas}, and noise >= 0; got scale={scale!r}, "
                         f"noise={noise!r}")
    rs = np.random.RandomState(check_seed(func, seed))
    y = rs.randint(0, 10, size=n)
    s = rs.uniform(low, high, size=n)
    angle = np.deg2rad(rs.uniform(-max_rotation, max_rotation, size=n))
    radius = 0.5 * np.hypot(5, 7) * s                                 # the rotated glyph fits in this circle
    cy = rs.uniform(radius, canvas - 1 - radius)                      # glyph centre, pixels
    cx = rs.uniform(radius, canvas - 1 - radius)
    # canvas pixel -> font coordinates: undo the translation, rotation and scale
    rr, cc = np.meshgrid(np.arange(canvas), np.arange(canvas), indexing="ij")
    dy = rr.ravel()[None, :] - cy[:, None]                            # (n, P)
    dx = cc.ravel()[None, :] - cx[:, None]
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    fy = (cos * dy - sin * dx) / s[:, None] + 3.0                     # font row (0..6), centre 3
    fx = (sin * dy + cos * dx) / s[:, None] + 2.0                     # font column (0..4), centre 2
    font = np.pad(DIGIT_FONT, ((0, 0), (1, 1), (1, 1)))[y]            # (n, 9, 7): zero border
    fy, fx = np.clip(fy + 1.0, 0.0, 7.999), np.clip(fx + 1.0, 0.0, 5.999)   # into the padded font
    y0, x0 = np.floor(fy).astype(int), np.floor(fx).astype(int)
    wy, wx = fy - y0, fx - x0
    rows = np.arange(n)[:, None]
    ink = ((1 - wy) * (1 - wx) * font[rows, y0, x0] + (1 - wy) * wx * font[rows, y0, x0 + 1]
           + wy * (1 - wx) * font[rows, y0 + 1, x0] + wy * wx * font[rows, y0 + 1, x0 + 1])
    x = ink.reshape(n, canvas, canvas, 1) + noise * rs.standard_normal((n, canvas, canvas, 1))
    return x, y
