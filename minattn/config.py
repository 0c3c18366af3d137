"""Global settings: the float type of new weights and data, and the random seed.

minattn keeps exactly two pieces of global state, both here:

* ``floatx()`` -- the dtype that new weights are created in and that ``fit``
  casts data to ("float32" by default, like Keras; gradient checks use
  "float64").
* ``rng()`` -- one ``numpy.random.Generator`` that weight initialisation,
  shuffling and dropout all draw from, so ``set_random_seed(seed)`` makes a
  whole run repeatable: same seed, same weights, same losses.
"""
import random

import numpy as np

EPSILON = 1e-7             # Keras's K.epsilon(): the clip of probabilities, the guard of divisions

_FLOATX = "float32"
_RNG = np.random.default_rng()


def floatx():
    """Return the current default float type as a string ("float32" or "float64")."""
    return _FLOATX


def set_floatx(dtype):
    """Set the float type of weights created from now on and of data in ``fit``.

    Args:
        dtype: "float32" (default, fast) or "float64" (exact; gradient checks).
    """
    global _FLOATX
    if dtype not in ("float32", "float64"):
        raise ValueError(f"set_floatx: expected 'float32' or 'float64', got {dtype!r}")
    _FLOATX = dtype


def set_random_seed(seed):
    """Seed everything random in minattn (and Python's and NumPy's global RNGs).

    Like ``keras.utils.set_random_seed``: call it once before building a model
    and two runs give identical weights, batches and losses.
    """
    global _RNG
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"set_random_seed: expected a non-negative int, got {seed!r}")
    _RNG = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def rng():
    """Return minattn's random generator (reseeded by ``set_random_seed``)."""
    return _RNG


_FUSED = False


def fused():
    """True when layers run as fused single ops (see ``minattn.fused``)."""
    return _FUSED


def set_fused(flag=True):
    """Switch between the traced layers (default: every small op recorded by
    autograd, the code to read) and the fused ones (whole layers as single ops
    with hand-written gradients, several times faster). Both give the same
    numbers up to float rounding; the tests check it.
    """
    global _FUSED
    _FUSED = bool(flag)
