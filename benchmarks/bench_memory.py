"""The memory each framework takes to train a benchmark model, each in a fresh process.

For each experiment and framework a fresh Python process (bench_train.py with
``--memory-child``, which calls ``memory_child``) trains ``MEMORY_BATCHES`` batches and reports its
resident memory before training and its peak (VmHWM, else ``ru_maxrss``) -- both include
the interpreter, NumPy, autograd and minattn (the data comes from
minattn.datasets), plus PyTorch or JAX in their processes (the jax process
compiles its step during those batches, so its peak includes XLA's compiler). For minattn it also
reports the peak of the NumPy/Python allocations made during one ``fit``
(``tracemalloc``), i.e. the training working set without the libraries.
"""
import json
import os
import resource
import subprocess
import sys
import tracemalloc

from bench_threads import DEFAULT_THREADS, blas_threads, import_jax_models, import_torch_models  # before NumPy

import minattn

from bench_models import BATCH_SIZE, FLOATX, setup_jax, setup_minattn, setup_torch

MEMORY_BATCHES = 50     # batches trained by each memory-measuring child process
BENCH_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_train.py")   # runs memory_child


def peak_rss_mb():
    """Peak resident memory of this process so far, in MB.

    Linux's /proc VmHWM where available: ``ru_maxrss`` survives ``exec``, so
    a child started from a big parent would report the parent's peak.
    """
    kib = proc_status_kib("VmHWM")
    if kib is not None:
        return kib / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux, bytes on macOS
    return peak / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0)


def current_rss_mb():
    """Resident memory now, in MB (Linux /proc); the peak so far where /proc is missing."""
    kib = proc_status_kib("VmRSS")
    return kib / 1024.0 if kib is not None else peak_rss_mb()


def proc_status_kib(field):
    """A memory field of /proc/self/status in KiB, or None off Linux."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_child(framework, name, batches):
    """In a fresh process: train ``batches`` batches; return its memory figures (MB)."""
    batch_size = BATCH_SIZE[name]
    minattn.set_floatx(FLOATX)
    tm = import_torch_models(blas_threads()) if framework == "torch" else None
    jm = import_jax_models(blas_threads()) if framework == "jax" else None
    model, x, y = setup_minattn(name, batches * batch_size)
    trainer = setup_torch(tm, name, model, x, y) if tm else setup_jax(jm, name, model, x, y) if jm else None
    before, peak_before = current_rss_mb(), peak_rss_mb()
    if trainer:
        trainer.run(batches)
    else:
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    out = {"rss_before_training_mb": before, "peak_rss_before_training_mb": peak_before,
           "peak_rss_mb": peak_rss_mb()}
    if not trainer:                       # after the peak is read: tracemalloc costs memory itself
        tracemalloc.start()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2.0 ** 20
        tracemalloc.stop()
    return out


def measure_memory(framework, name, batches=MEMORY_BATCHES):
    """Run ``memory_child`` in a fresh interpreter, through bench_train.py's command line
    (same environment, so same threads)."""
    command = [sys.executable, BENCH_SCRIPT, "--memory-child", f"{framework}:{name}",
               "--batches", str(batches)] + ([] if minattn.fast_enabled() else ["--traced"]) + (
               ["--default-threads"] if DEFAULT_THREADS else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])

