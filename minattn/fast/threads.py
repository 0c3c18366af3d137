"""One BLAS thread while the fast path trains: small matrices lose time to a second thread.

The article models multiply matrices of at most 64 x 256. Splitting such a
product over two threads costs more in synchronisation than it saves, and on
a busy 2-core machine it made E2's step up to 10x slower (the backward pass
of every product multiplies by a transposed matrix, which OpenBLAS splits
over threads). So ``fit`` on the fast path asks NumPy's OpenBLAS for one
thread while it trains and gives the previous count back afterwards -- the
user sets nothing. The environment variable ``OPENBLAS_NUM_THREADS``, if
set, is respected: then nothing changes. Where NumPy does not use OpenBLAS
(or the library cannot be found) this does nothing.
"""
import contextlib
import ctypes
import os

_SET_NAMES = ("openblas_set_num_threads", "scipy_openblas_set_num_threads64_",
              "openblas_set_num_threads64_", "scipy_openblas_set_num_threads")
_GET_NAMES = tuple(name.replace("_set_", "_get_") for name in _SET_NAMES)
_library = []            # [(set, get)] once looked up; [None] when there is no OpenBLAS


def _openblas():
    """``(set_num_threads, get_num_threads)`` of the OpenBLAS NumPy loaded, or None."""
    if not _library:
        _library.append(_find_openblas())
    return _library[0]


def _find_openblas():
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "openblas" in line.lower()
                            and line.split()[-1].startswith("/")})
    except OSError:
        return None                                   # not Linux: leave BLAS alone
    for path in paths:
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in zip(_SET_NAMES, _GET_NAMES):
            if hasattr(library, set_name) and hasattr(library, get_name):
                set_threads, get_threads = getattr(library, set_name), getattr(library, get_name)
                set_threads.argtypes, set_threads.restype = [ctypes.c_int], None
                get_threads.argtypes, get_threads.restype = [], ctypes.c_int
                return set_threads, get_threads
    return None


def blas_threads():
    """The number of threads OpenBLAS uses now, or None if it cannot be told."""
    openblas = _openblas()
    return None if openblas is None else int(openblas[1]())


@contextlib.contextmanager
def one_blas_thread():
    """Inside the block OpenBLAS uses one thread (unless ``OPENBLAS_NUM_THREADS`` is set)."""
    openblas = _openblas()
    if openblas is None or "OPENBLAS_NUM_THREADS" in os.environ:
        yield
        return
    set_threads, get_threads = openblas
    previous = get_threads()
    set_threads(1)
    try:
        yield
    finally:
        set_threads(previous)
