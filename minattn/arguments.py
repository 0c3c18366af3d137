"""Checks of plain arguments -- counts, fractions, rates -- shared by fit, the optimizers and the callbacks.

Each returns the value as a Python ``int`` or ``float`` and raises
``ValueError`` naming the argument and the value. NumPy scalars are numbers
(``np.float32(1e-3)``, ``np.int64(32)``); ``True`` / ``False`` are not, and
neither are NaN or infinity.
"""
import math
import numbers


def check_int(value, name, low=0):
    """``value`` as an int >= ``low`` (an integer type: 2.0 and True are refused)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def check_positive_int(value, name):
    """``value`` as an int >= 1."""
    return check_int(value, name, low=1)


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
