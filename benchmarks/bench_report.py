"""What bench_train.py prints: the environment, the throughput and memory tables and the notes under them.

Each function takes the results ``bench_train.bench`` returns (a list of dicts, one an
experiment) or the environment ``describe_environment`` gives, and returns text; nothing
here measures.
"""
import os
import platform
from importlib import metadata

from bench_threads import DEFAULT_THREADS, blas_threads  # before NumPy: it sets the BLAS thread count

import numpy as np

import minattn

from bench_memory import MEMORY_BATCHES
from bench_models import FLOATX


def describe_environment(tm, no_torch, jm=None, no_jax=False):
    """The versions, thread counts and frameworks of this run (``tm``, ``jm``: their modules or None)."""
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "autograd": metadata.version("autograd"), "minattn": minattn.__version__,
           "floatx": FLOATX, "layers": "fused" if minattn.fast_enabled() else "traced",
           "cpus": os.cpu_count(), "blas_threads": blas_threads()}
    if tm:
        env.update(torch=tm.torch.__version__, torch_threads=tm.torch.get_num_threads())
    else:
        env["torch"] = "not measured (--no-torch)" if no_torch else "not installed"
    if jm:
        env.update(jax=jm.jax.__version__, jax_backend=jm.jax.default_backend(),
                   xla_flags=os.environ.get("XLA_FLAGS", ""))
    else:
        env["jax"] = "not measured (--no-jax)" if no_jax else "not installed"
    return env


def format_header(env, batches, warmup, repeats, tm=None, jm=None):
    """The two lines above the tables: the environment, then what was timed and how."""
    threads = ("default thread counts (none set; minattn's fit asks OpenBLAS for one thread)"
               if DEFAULT_THREADS else f"{env['blas_threads']} BLAS thread(s)") + (
        f", torch threads {env['torch_threads']}" if tm else "") + (
        f", XLA_FLAGS={env['xla_flags']!r}" if jm else "")
    order = ", ".join(["minattn"] + (["torch"] if tm else []) + (["jax"] if jm else []))
    return ("training throughput -- " + ", ".join(f"{k} {v}" for k, v in env.items()) + "\n"
            f"{batches} timed batches after {warmup} warm-up batches, median of "
            f"{repeats} runs{f' (alternating {order})' if tm or jm else ''}; {threads}; "
            f"Adam, {FLOATX}\n")


def column(value, width, form):
    """``value`` formatted to ``width`` characters, '-' for None (a framework not measured)."""
    return f"{'-' if value is None else format(value, form):>{width}}"


def format_measured_table(results):
    """minattn beside the frameworks measured in this run, torch and jax ('-' for one not measured)."""
    header = (f"{'exp':<4} {'batch':>5} {'params':>7} {'minattn samples/s':>17} {'torch samples/s':>15} "
              f"{'jax samples/s':>13} {'minattn/torch':>13} {'minattn/jax':>11} {'cpu/wall m, t, j':>17}")
    lines = [header, "-" * len(header)]
    for r in results:
        runs = [r["minattn"], r["torch"], r["jax"]]                     # None: not measured
        rates = [column(run and run["samples_per_s"], width, ",.0f")
                 for run, width in zip(runs, (17, 15, 13))]
        torch_ratio = r["ratio_minattn_over_torch"] if r["torch"] else None   # not the reference figure
        loads = ", ".join(column(run and run["cpu_over_wall"], 0, ".2f") for run in runs)
        lines.append(f"{r['experiment']:<4} {r['batch_size']:>5} {r['params']:>7} {' '.join(rates)} "
                     f"{column(torch_ratio, 13, '.2f')} {column(r['ratio_minattn_over_jax'], 11, '.2f')} "
                     f"{loads:>17}")
    return "\n".join(lines)


def format_reference_table(results):
    """minattn beside the reference figures (PyTorch on the CPU, plain autograd) measured earlier."""
    header = (f"{'exp':<4} {'batch':>5} {'params':>7} {'samples/s':>10} {'ms/step':>8} "
              f"{'cpu/wall':>8} {'torch cpu':>10} {'autograd':>9} {'minattn/torch':>13}")
    lines = [header, "-" * len(header)]
    for r in results:
        ours, plain = r["minattn"], r["reference_plain_autograd_samples_per_s"]
        torch_cpu, ratio = r["reference_torch_cpu_samples_per_s"], r["ratio_minattn_over_torch"]
        lines.append(f"{r['experiment']:<4} {r['batch_size']:>5} {r['params']:>7} "
                     f"{ours['samples_per_s']:>10,.0f} {ours['ms_per_step']:>8.2f} "
                     f"{ours['cpu_over_wall']:>8.2f} {(f'{torch_cpu:,}' if torch_cpu else '-'):>10} "
                     f"{(f'{plain:,}' if plain else '-'):>9} {(f'{ratio:.2f}' if ratio else '-'):>13}")
    return "\n".join(lines)


def format_memory_table(results):
    """Each framework's process memory before and after training, and minattn's fit's allocations."""
    frameworks = [f for f in ("minattn", "torch", "jax") if any(f in r["memory"] for r in results)]
    group = f"{'':<4} " + " ".join(f"{f + ' process (MB)':^23}" for f in frameworks)
    header = f"{'exp':<4} " + " ".join(f"{'before':>7} {'peak':>7} {'+train':>7}" for _ in frameworks)
    group, header = group + f" {'minattn fit':>13}", header + f" {'numpy (MB)':>13}"
    lines = [group, header, "-" * len(header)]
    for r in results:
        cells = []
        for f in frameworks:
            m = r["memory"].get(f)
            if m is None:                                   # not measured for this model (jax: E1-E4 only)
                cells.append(f"{'-':>23}")
                continue
            cells.append(f"{m['rss_before_training_mb']:>7.0f} {m['peak_rss_mb']:>7.0f} "
                         f"{m['peak_rss_mb'] - m['rss_before_training_mb']:>+7.0f}")
        lines.append(f"{r['experiment']:<4} {' '.join(cells)} "
                     f"{r['memory']['minattn']['tracemalloc_peak_mb']:>13.2f}")
    return "\n".join(lines)


def format_throughput_note(results, measured):
    """The note under the throughput table; ``measured``: torch or jax timed in this run."""
    if measured:
        checks = {f: max((r[f"{f}_check_max_abs_diff"] for r in results if r[f]), default=None)
                  for f in ("torch", "jax")}
        worst = "; ".join(f"{f}, in {kind}: max |diff| {checks[f]:.1e}"
                          for f, kind in (("torch", "float64"), ("jax", "float32")) if checks[f] is not None)
        note = (f"\nminattn/torch, minattn/jax > 1 mean minattn is faster. All frameworks compute the same "
                f"outputs, loss and gradients from the same initial weights ({worst});\n"
                "minattn runs model.fit (shuffles, per-batch loss/metrics), torch a bare loop, jax one "
                "jax.jit call per step (compiled in the warm-up).")
    else:
        note = ("\ntorch cpu / autograd: reference throughputs of the same models in PyTorch (CPU) "
                "and in plain autograd, measured earlier on this machine, samples/s.")
    return note + "\ncpu/wall well below 1 means other processes took the CPU (rerun)."


def format_memory_note(others):
    """The paragraph above the memory table; ``others``: torch or jax measured too."""
    return (f"\nmemory: each framework trains {MEMORY_BATCHES} batches in a fresh process holding the "
            f"interpreter, NumPy, autograd, minattn,\nthe data and the model"
            f"{' (and torch or jax, in their processes; jax compiles during training)' if others else ''}"
            ": resident memory before training, "
            "peak (VmHWM), and their difference.\nLast column: peak of minattn's NumPy/Python "
            "allocations during one fit (tracemalloc) -- the training working set without the libraries.\n")
