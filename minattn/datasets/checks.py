"""Argument checks shared by the data generators: a clear ValueError naming the function."""
import numbers


def check_int(func, name, value, low, high=None):
    """Return ``value`` as an int if it is an int (not a bool) with ``low <= value <= high``.

    Args:
        func: the function asking, for the message (e.g. "abs_difference").
        name: the argument's name.
        low: the smallest value allowed.
        high: the largest value allowed, or None for no limit.

    Raises:
        ValueError: ``func: expected name to be an int >= low, got value``.
    """
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    expected = f"an int >= {low}" if high is None else f"an int in [{low}, {high}]"
    raise ValueError(f"{func}: expected {name} to be {expected}, got {value!r}")


def check_seed(func, seed):
    """Seeds are what ``np.random.RandomState`` accepts as a single int: 0 .. 2**32 - 1."""
    return check_int(func, "seed", seed, 0, 2**32 - 1)
