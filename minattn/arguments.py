"""Checks of plain arguments -- counts, axes, fractions, rates -- shared by the layers, fit, the
optimizers, the callbacks and the data generators.

Each returns the value as a Python ``int`` or ``float`` and raises
``ValueError`` naming who asks, the argument and the value, e.g.
``Dense 'dense_1': units must be a positive int, got 2.0``. NumPy scalars are
numbers (``np.float32(1e-3)``, ``np.int64(32)``); ``True`` / ``False`` are not,
a float is not an int (not even ``2.0``), and NaN or infinity is not finite.

``name`` is the whole prefix of the message: ``"fit: epochs"``, or for a layer
``f"{layer_label(layer)}: units"``.
"""
import math
import numbers


def is_int(value):
    """True for a Python or NumPy integer; False for a bool, a float (even 2.0) or anything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def int_range(low=None, high=None):
    """How a message says which ints are allowed: 'a positive int', 'an int in [0, 9]', ..."""
    if high is not None:
        return f"an int in [{low}, {high}]" if low is not None else f"an int <= {high}"
    return {None: "an int", 0: "a non-negative int", 1: "a positive int"}.get(low, f"an int >= {low}")


def check_int(value, name, low=0, high=None):
    """``value`` as an int with ``low <= value <= high`` (None: no limit on that side).

    Raises:
        ValueError: ``name must be an int >= low, got value`` (also for bools and floats).
    """
    if is_int(value) and (low is None or value >= low) and (high is None or value <= high):
        return int(value)
    raise ValueError(f"{name} must be {int_range(low, high)}, got {value!r}")


def check_positive_int(value, name):
    """``value`` as an int >= 1."""
    return check_int(value, name, low=1)


def check_int_tuple(value, name, allow_none=False):
    """``value`` (a tuple or list of ints, e.g. a shape or an axis order) as a tuple of ints.

    Args:
        allow_none: also accept ``None`` entries (sizes known only at run time).

    Raises:
        ValueError: ``name must be a tuple of ints, got value`` for anything
            else -- a bare number, a string, a float entry such as ``2.0``.
    """
    entries_ok = isinstance(value, (tuple, list)) and all(
        is_int(v) or (allow_none and v is None) for v in value)
    if not entries_ok:
        what = "ints or None" if allow_none else "ints"
        raise ValueError(f"{name} must be a tuple of {what}, got {value!r}")
    return tuple(None if v is None else int(v) for v in value)


def check_finite(value, name):
    """``value`` as a finite float (NumPy scalars accepted; bools, NaN and inf refused)."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def check_positive(value, name):
    """``value`` as a finite float > 0."""
    if check_finite(value, name) <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_fraction(value, name):
    """``value`` as a float in [0, 1)."""
    if not 0.0 <= check_finite(value, name) < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    return float(value)
