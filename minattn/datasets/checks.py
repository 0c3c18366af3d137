"""The data generators' one argument check of their own: the seed.

Counts and sizes are checked with ``minattn.arguments.check_int`` (a clear
ValueError naming the function, the argument and the value).
"""
from ..arguments import check_int


def check_seed(func, seed):
    """Seeds are what ``np.random.RandomState`` accepts as a single int: 0 .. 2**32 - 1."""
    return check_int(seed, f"{func}: seed", 0, 2**32 - 1)
