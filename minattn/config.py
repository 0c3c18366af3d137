"""Global settings: the float type of new weights and data, and the random seed.

minattn keeps exactly three pieces of global state, all here:

* ``floatx()`` -- the dtype that new weights are created in and that ``fit``
  casts data to ("float32" by default, like Keras; gradient checks use
  "float64").
* ``rng()`` -- one ``numpy.random.Generator`` that weight initialisation,
  shuffling and dropout all draw from, so ``set_random_seed(seed)`` makes a
  whole run repeatable: same seed, same weights, same losses.
* ``fast_enabled()`` -- whether the fast path runs (the default) or the
  readable one (``set_fast(False)``, or ``with readable():`` for a block).
  This is the one switch, read in one place for the layers
  (``fast.table.record_for``) and one for ``fit`` (``training.fit``); the
  previous release's names ``set_fused``, ``traced`` and ``fused`` are
  aliases of it for one more release.
"""
import contextlib
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


_FAST = True


def fast_enabled():
    """True when the fast path is on (the default): the graph runs the layers' records
    (``minattn.fast.table``) and ``fit`` the fast step (``minattn.fast.step``)."""
    return _FAST


def set_fast(flag=True):
    """Choose the fast path (True, the default) or the readable path (False).

    The fast path runs every layer that has a record (``minattn.fast``: a
    forward and a hand-written backward pass) as one op, and ``fit`` as one
    tape-free step on one flat weight buffer: several times faster. The
    readable path runs each layer's ``apply`` -- every small op recorded by
    autograd -- and ``fit`` as ``value_and_grad`` then ``optimizer.step`` on
    weight trees: the code to read and step through, and the one to
    gradient-check. Both give the same numbers to float rounding; the tests
    check it. Eager calls ``layer(array)`` always run ``apply``.
    """
    global _FAST
    _FAST = bool(flag)


@contextlib.contextmanager
def readable():
    """``with minattn.readable():`` -- the readable path inside the block, the previous setting after."""
    previous = _FAST
    set_fast(False)
    try:
        yield
    finally:
        set_fast(previous)


# The names of the previous release, kept for one more: the same switch.
fused = fast_enabled           # deprecated alias of fast_enabled
set_fused = set_fast           # deprecated alias of set_fast
traced = readable              # deprecated alias of readable
