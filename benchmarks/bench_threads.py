"""The thread counts bench_train.py gives NumPy, PyTorch and XLA, and the optional frameworks' modules.

Importing this file sets the BLAS thread count, so it must be imported before NumPy loads
(bench_train.py and bench_models.py import it first).

BLAS threads: these matrices are tiny (at most 64 x 256), so a second BLAS
thread only adds synchronisation -- and on a busy 2-core machine it made E2's
step 10x slower (the backward pass of every ``dot`` multiplies by a transposed
matrix, which OpenBLAS splits over threads). The benchmark therefore asks for one
thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is already set, and gives
PyTorch the same number of intra-op threads (``torch.set_num_threads``); run
``OPENBLAS_NUM_THREADS=2 python benchmarks/bench_train.py`` to compare.
With one BLAS thread, XLA's CPU code is asked for one thread too
(``--xla_cpu_multi_thread_eigen=false`` is added to XLA_FLAGS unless that
flag is already there). JAX has no switch for the size of its runtime's own
thread pool, which follows the CPUs the process may use: ``taskset -c 0``
pins everything to one core. The cpu/wall column shows what each framework used.
``--default-threads`` sets none of this: NumPy, PyTorch and XLA run as a user
who sets nothing gets them (minattn's ``fit`` still asks OpenBLAS for one
thread itself while it trains).
"""
import importlib.util
import os
import sys

BLAS_THREADS = "1"      # set before NumPy loads (if the benchmark loads it first), unless already set
DEFAULT_THREADS = "--default-threads" in sys.argv      # read before argparse: NumPy loads after this file
if not DEFAULT_THREADS:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, BLAS_THREADS)

XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"   # XLA_FLAGS entry when one BLAS thread is asked


def blas_threads():
    """BLAS threads NumPy uses (set at the top of this file unless given); torch gets as many.

    None with ``--default-threads``: nothing is set, each library runs as a user gets it.
    """
    return None if DEFAULT_THREADS else int(os.environ["OPENBLAS_NUM_THREADS"])


def import_torch_models(threads):
    """benchmarks/torch_models.py with ``threads`` intra-op threads, or None without PyTorch."""
    try:
        import torch  # noqa: F401  (only to see whether it is installed)
    except ImportError:
        return None
    import torch_models
    if threads is not None:
        torch_models.set_num_threads(threads)
    return torch_models


def import_jax_models(threads):
    """benchmarks/jax_models.py, XLA asked for one thread when ``threads`` is 1; None without JAX.

    XLA reads XLA_FLAGS when JAX starts its backend, so the flag is set before JAX loads.
    """
    if importlib.util.find_spec("jax") is None:
        return None
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_ONE_THREAD}".strip()
    import jax_models
    return jax_models
