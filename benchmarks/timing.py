"""The one timing rule the benchmark scripts share."""
import timeit

import numpy as np


def median_us(fn, calls, repeats):
    """Median over ``repeats`` of the mean time of ``calls`` calls of ``fn()``, in microseconds."""
    return float(np.median([timeit.timeit(fn, number=calls) / calls for _ in range(repeats)])) * 1e6
