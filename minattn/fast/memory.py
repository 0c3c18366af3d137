"""Keep freed memory in the process, so training does not fault the same pages in again.

A training step allocates the same few hundred-kilobyte arrays (activations,
gates, gradients) and frees them again, thousands of times. glibc's malloc
serves such sizes with fresh ``mmap`` pages or returns them to the system
when freed, so every step pays a page fault per 4 KB touched -- measured at
about 40% of a fused LSTM step here. Raising two glibc thresholds with
``mallopt`` keeps the freed memory for reuse. Only the process's own heap
settings change; elsewhere than Linux with glibc this does nothing.
"""
import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1          # glibc's mallopt parameter numbers
M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD_BYTES = 256 * 2**20     # keep up to 256 MB of freed memory at the heap's top
MMAP_THRESHOLD_BYTES = 32 * 2**20      # serve blocks below 32 MB (glibc's maximum) from the heap

_done = False


def keep_freed_memory():
    """Apply the settings once per process; return True if glibc took them."""
    global _done
    if _done:
        return True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False                  # not glibc: nothing to tune
    _done = bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)) and \
        bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    return _done
