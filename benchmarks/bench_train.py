"""Training throughput of the articles' four models (E1-E4) and the three Transformers in minattn, beside PyTorch.

Each model is built exactly as its article writes it (see
docs/articles/), compiled with ``Adam()`` in float32, and trained with
``model.fit`` -- the real training path: by default the one fast step
(``minattn.fast.step.FastStep`` on one flat weight buffer: each layer's
record -- its hand-written backward called directly -- and autograd for each
layer without one, e.g. the GPT's attention blocks; then the optimizer's
``update``), with ``--traced`` the readable one (``training.ReadableSteps``), batch after
batch. One warm-up ``fit`` runs first; then ``fit`` runs on exactly
``--batches`` batches, ``--repeats`` times, and the median time is reported.

If PyTorch is installed (it is optional, never a dependency of minattn), the
same run trains the same four models in PyTorch (benchmarks/torch_models.py:
a plain zero_grad / forward / loss / backward / step loop over the same NumPy
data, starting from minattn's initial weights). Before timing, the script
checks that both frameworks give the same outputs, loss and gradients, on
float64 copies of both models (``check_same_model`` says why). The
timed runs alternate -- minattn, torch, minattn, torch, ... -- so both see the
same machine load, and the table shows the ratio of the medians.

If JAX is installed (optional too: ``pip install jax``, the CPU build), the
run also trains the four models as pure JAX functions (benchmarks/jax_models.py:
the layers and Keras's Adam written with ``jax.numpy``, one ``jax.jit`` of the
whole step -- forward, loss, gradient, update), again from minattn's initial
weights and checked against minattn on the first batch before timing. JAX is
the compiled anchor: how far minattn is from a compiler, in the same run. Its
first call compiles; that happens in the warm-up, never in a timed run. The
timed runs alternate minattn, torch, jax.

    python benchmarks/bench_train.py                      # all four, 300 batches each
    python benchmarks/bench_train.py --only E1,E3 --batches 100
    python benchmarks/bench_train.py --no-torch           # minattn (and JAX if installed)
    python benchmarks/bench_train.py --no-torch --no-jax  # minattn only (reference columns)
    python benchmarks/bench_train.py --json bench.json    # also save the numbers
    python benchmarks/bench_train.py --only GPT --batches 50
    python benchmarks/bench_train.py --only GPT,DATES,TEXT --batches 20 --no-memory
    python benchmarks/bench_train.py --default-threads    # no thread count set anywhere

The models and their data are in benchmarks/bench_models.py (GPT is demos/char_gpt.py's
model at the demo's sizes, DATES the dates Transformer, TEXT the review classifier; their
PyTorch twins are in benchmarks/torch_transformers.py), the checks that the frameworks
compute the same in bench_checks.py, the thread counts each framework gets in
bench_threads.py (one BLAS thread unless set; ``--default-threads`` sets none), and what
is printed in bench_report.py.

Memory: for each experiment and framework a fresh Python process (this script
with ``--memory-child``) trains ``MEMORY_BATCHES`` batches and reports its
resident memory before training and its peak, and for minattn the peak of one
``fit``'s NumPy/Python allocations (benchmarks/bench_memory.py says how).
``--no-memory`` skips this.

Each timed run starts after a 0.5 s pause (``settle``), so worker threads the
previous framework left spinning are idle.
"""
import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)          # its sibling modules: bench_*, char_gpt_sizes, torch_models, jax_models
# first: importing bench_threads sets the BLAS thread count, which must happen before NumPy loads
from bench_threads import blas_threads, import_jax_models, import_torch_models  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn.experiments.results import provenance, started  # noqa: E402

from bench_checks import CHECK_TOLERANCE, CHECK_TOLERANCE_FLOAT64, check_same_jax, check_same_model  # noqa: E402
from bench_memory import MEMORY_BATCHES, measure_memory, memory_child, peak_rss_mb  # noqa: E402
from bench_models import (BATCH_SIZE, EXPERIMENTS, FLOATX, JAX_MODELS, first, setup_jax,  # noqa: E402
                          setup_minattn, setup_torch)
from bench_report import (describe_environment, format_header, format_measured_table,  # noqa: E402
                          format_memory_note, format_memory_table, format_reference_table,
                          format_throughput_note)

BATCHES = 300           # timed batches per run
WARMUP = 30             # batches of the untimed warm-up (each framework)
REPEATS = 3             # timed runs per experiment and framework; the median is reported
SETTLE_SECONDS = 0.5    # pause before each timed run (see settle)
# Reference throughputs (samples/s) of the same models, shown when torch is not measured:
# PyTorch on the CPU and a plain hand-written autograd script, measured earlier on this machine.
TORCH_CPU = {"E1": 66_000, "E2": 15_700, "E3": 27_700, "E4": 62_000}
PLAIN_AUTOGRAD = {"E2": 4_900, "E3": 9_300}


# -- timing ----------------------------------------------------------------------------
def time_minattn(model, x, y, batch_size):
    """(wall seconds, cpu seconds, last loss) of one ``fit`` epoch over ``x``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start, time.process_time() - start_cpu, history.history["loss"][-1]


def time_trainer(trainer, batches):
    """(wall seconds, cpu seconds, last loss) of ``batches`` torch or jax training steps."""
    start_cpu = time.process_time()
    seconds = trainer.run(batches)
    return seconds, time.process_time() - start_cpu, trainer.last_loss


def summarise(runs, samples, batches):
    """Median throughput of a list of (wall, cpu, loss) runs."""
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    seconds = float(np.median(walls))
    return {"seconds": seconds, "all_seconds": walls, "samples_per_s": samples / seconds,
            "ms_per_step": 1000.0 * seconds / batches,
            "cpu_over_wall": float(np.sum(cpus) / np.sum(walls)), "last_loss": runs[-1][2]}


def settle():
    """Pause before a timed run: worker threads that the previous framework left spinning
    (OpenMP's and XLA's wait actively for a while after their work) go idle first."""
    time.sleep(SETTLE_SECONDS)


def bench(name, batches, warmup, repeats, tm=None, jm=None):
    """Warm up, then time ``batches`` batches ``repeats`` times, alternating minattn, torch and jax."""
    batch_size = BATCH_SIZE[name]
    n_timed, n_warm = batches * batch_size, warmup * batch_size
    model, x, y = setup_minattn(name, max(n_timed, n_warm))
    trainer = setup_torch(tm, name, model, first(x, n_timed), y[:n_timed]) if tm else None
    check = check_same_model(tm, model, trainer, x, y) if tm else None
    jm = jm if name in JAX_MODELS else None
    jax_trainer = setup_jax(jm, name, model, x[:n_timed], y[:n_timed]) if jm else None
    jax_check = check_same_jax(jm, model, name, x, y) if jm else None
    if n_warm:
        model.fit(first(x, n_warm), y[:n_warm], batch_size=batch_size, epochs=1, verbose=0)
        if trainer:
            trainer.run(warmup)
    if jax_trainer:
        jax_trainer.run(max(warmup, 1))                 # the first call compiles: never timed
    ours, theirs, jax_runs = [], [], []
    for _ in range(repeats):
        settle()
        ours.append(time_minattn(model, first(x, n_timed), y[:n_timed], batch_size))
        if trainer:
            settle()
            theirs.append(time_trainer(trainer, batches))
        if jax_trainer:
            settle()
            jax_runs.append(time_trainer(jax_trainer, batches))
    result = {"experiment": name, "batch_size": batch_size, "batches": batches,
              "params": model.count_params(), "minattn": summarise(ours, n_timed, batches),
              "torch": summarise(theirs, n_timed, batches) if trainer else None,
              "torch_check_max_abs_diff": check,
              "jax": summarise(jax_runs, n_timed, batches) if jax_trainer else None,
              "jax_check_max_abs_diff": jax_check,
              "reference_torch_cpu_samples_per_s": TORCH_CPU.get(name),
              "reference_plain_autograd_samples_per_s": PLAIN_AUTOGRAD.get(name)}
    torch_rate = result["torch"]["samples_per_s"] if trainer else TORCH_CPU.get(name)
    result["ratio_minattn_over_torch"] = (result["minattn"]["samples_per_s"] / torch_rate
                                          if torch_rate else None)
    result["ratio_against"] = "torch measured in this run" if trainer else "reference torch figure"
    result["ratio_minattn_over_jax"] = (result["minattn"]["samples_per_s"] / result["jax"]["samples_per_s"]
                                        if jax_trainer else None)
    return result


# -- the command line ------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=BATCHES, help="timed batches per run")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed warm-up batches")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs (median reported)")
    parser.add_argument("--only", default=",".join(EXPERIMENTS),
                        help="comma-separated experiments, e.g. E1,E3")
    parser.add_argument("--no-torch", action="store_true",
                        help="do not measure PyTorch even if it is installed")
    parser.add_argument("--no-jax", action="store_true",
                        help="do not measure JAX even if it is installed")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the per-framework memory measurement (fresh processes)")
    parser.add_argument("--traced", action="store_true",
                        help="time minattn's traced layers (the code to read) instead of the fused ones")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--default-threads", action="store_true",
                        help="set no thread counts: BLAS, torch and XLA as a user gets them "
                             "(minattn's fit still asks OpenBLAS for one thread itself)")
    parser.add_argument("--memory-child", metavar="FRAMEWORK:EXP", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.names if s not in EXPERIMENTS]
    if unknown or not args.names:
        parser.error(f"--only: unknown experiment(s) {unknown}; choose from {list(EXPERIMENTS)}")
    if args.batches < 1 or args.warmup < 0 or args.repeats < 1:
        parser.error("--batches and --repeats must be >= 1, --warmup >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    started()                                               # the commit (and a dirty tree) as the run begins
    minattn.set_fast(not args.traced)
    if args.memory_child:                                   # internal: see bench_memory.measure_memory
        framework, name = args.memory_child.split(":")
        print(json.dumps(memory_child(framework, name, args.batches)))
        return None

    minattn.set_floatx(FLOATX)
    tm = None if args.no_torch else import_torch_models(blas_threads())
    jm = None if args.no_jax else import_jax_models(blas_threads())
    env = describe_environment(tm, args.no_torch, jm, args.no_jax)
    print(format_header(env, args.batches, args.warmup, args.repeats, tm, jm))

    results = [bench(name, args.batches, args.warmup, args.repeats, tm, jm) for name in args.names]
    print(format_measured_table(results) if tm or jm else format_reference_table(results))
    print(format_throughput_note(results, measured=bool(tm or jm)))

    if not args.no_memory:
        frameworks = ["minattn"] + (["torch"] if tm else []) + (["jax"] if jm else [])
        for r in results:                                   # jax: the models jax_models.py has
            r["memory"] = {f: measure_memory(f, r["experiment"]) for f in frameworks if r[f] or f == "minattn"}
        print(format_memory_note(others=bool(tm or jm)))
        print(format_memory_table(results))
    peak = peak_rss_mb()
    print(f"\npeak memory of this process (VmHWM, everything above together): {peak:.0f} MB")

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"provenance": provenance(__file__, argv), "env": env, "batches": args.batches, "warmup": args.warmup,
                       "repeats": args.repeats, "memory_batches": MEMORY_BATCHES,
                       "check_tolerance": {"torch_float64": CHECK_TOLERANCE_FLOAT64, "jax_float32": CHECK_TOLERANCE},
                       "peak_rss_mb": peak, "results": {r["experiment"]: r for r in results}}, handle, indent=2)
        print(f"results written to {args.json}")
    return results


if __name__ == "__main__":
    main()
