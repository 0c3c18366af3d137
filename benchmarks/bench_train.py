"""Training throughput of the articles' four models (E1-E4) in minattn.

Each model is built exactly as its article writes it (see
shared/EXPERIMENTS.md), compiled with ``Adam()`` in float32, and trained with
``model.fit`` -- the real training path: ``Compiled.loss_and_grad`` (autograd's
``value_and_grad`` of forward pass + loss) then ``optimizer.step``, batch
after batch. One warm-up ``fit`` runs first; then ``fit`` runs on exactly
``--batches`` batches, ``--repeats`` times, and the median time is reported.

    python benchmarks/bench_train.py                      # all four, 300 batches each
    python benchmarks/bench_train.py --only E1,E3 --batches 100
    python benchmarks/bench_train.py --json bench.json    # also save the numbers

For scale, the table repeats the throughput of the same models in PyTorch
(CPU, same machine) and, for E2/E3, in a plain hand-written autograd script.

BLAS threads: these matrices are tiny (at most 64 x 256), so a second BLAS
thread only adds synchronisation -- and on a busy 2-core machine it made E2's
step 10x slower (the backward pass of every ``dot`` multiplies by a transposed
matrix, which OpenBLAS splits over threads). The script therefore asks for one
thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is already set; run
``OPENBLAS_NUM_THREADS=2 python benchmarks/bench_train.py`` to compare.
"""
import argparse
import json
import os
import platform
import resource
import sys
import time
from importlib import metadata

BLAS_THREADS = "1"      # set before NumPy loads (if this script loads it first), unless already set
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, BLAS_THREADS)

import autograd.numpy as anp
import numpy as np

import minattn
from minattn import Input, Model
from minattn.datasets import abs_difference, planted_column, planted_time_step
from minattn.layers import (LSTM, Activation, Dense, Flatten, Lambda, Multiply, Permute,
                            RepeatVector)
from minattn.optimizers import Adam

BATCHES = 300           # timed batches per run
WARMUP = 30             # batches of the untimed warm-up fit
REPEATS = 3             # timed runs per experiment; the median is reported
SEED = 0
FLOATX = "float32"
TIME_STEPS, DIM = 10, 10

BATCH_SIZE = {"E1": 32, "E2": 32, "E3": 64, "E4": 32}
# Reference throughputs (samples/s) of the same models on this machine.
TORCH_CPU = {"E1": 66_000, "E2": 15_700, "E3": 27_700, "E4": 62_000}
PLAIN_AUTOGRAD = {"E2": 4_900, "E3": 9_300}


# -- the models, as the articles write them ------------------------------------
def build_e1():
    """E1 (seed 000): Dense softmax attention over the 10 inputs, then a small MLP; mse."""
    inputs = Input((DIM,))
    attention_probs = Dense(DIM, activation="softmax", name="attention_vec")(inputs)
    attention_mul = Multiply()([inputs, attention_probs])
    hidden = Dense(10, activation="sigmoid")(attention_mul)
    output = Dense(1, activation="sigmoid")(hidden)
    model = Model(inputs, output)
    model.compile(optimizer=Adam(), loss="mse")
    return model


def build_e2():
    """E2 (seed 000): one attention weight per time step, shared by all features, before an LSTM; mse."""
    inputs = Input((TIME_STEPS, DIM))
    a = Permute((2, 1))(inputs)                                           # (DIM, TIME_STEPS)
    a = Dense(TIME_STEPS, activation="softmax")(a)                        # softmax over time
    a = Lambda(lambda x: anp.mean(x, axis=1), name="dim_reduction")(a)    # (TIME_STEPS,)
    a = RepeatVector(DIM)(a)                                              # (DIM, TIME_STEPS)
    a_probs = Permute((2, 1), name="attention_vec")(a)                    # (TIME_STEPS, DIM)
    weighted = Multiply()([inputs, a_probs])
    out = LSTM(64, return_sequences=False)(weighted)
    out = Dense(1, activation="sigmoid")(out)
    model = Model(inputs, out)
    model.compile(optimizer=Adam(), loss="mse")
    return model


def build_e3():
    """E3 (seed 002): LSTM(32) then attention_3d_block over time; binary cross-entropy."""
    inputs = Input((TIME_STEPS, 2))
    lstm_out = LSTM(32, return_sequences=True)(inputs)                    # (TIME_STEPS, 32)
    a = Permute((2, 1))(lstm_out)                                         # (32, TIME_STEPS)
    a = Dense(TIME_STEPS, activation="softmax")(a)                        # softmax over time
    a_probs = Permute((2, 1), name="attention_vec")(a)                    # (TIME_STEPS, 32)
    mul = Multiply(name="attention_mul")([lstm_out, a_probs])
    out = Dense(1, activation="sigmoid")(Flatten()(mul))
    model = Model(inputs, out)
    model.compile(optimizer=Adam(), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def build_e4():
    """E4 (seed 004): two stacked Dense attention blocks, 369 weights; binary cross-entropy.

    The article prints only the summary; dense_2's activation is not shown,
    so it is left linear here (it does not change the cost of a step).
    """
    inputs = Input((4,))
    a = Dense(4, use_bias=False)(inputs)                                  # 16 weights
    a = Activation("softmax", name="attention_vec")(a)
    mul = Multiply()([inputs, a])
    h = Dense(16)(mul)                                                    # 80 weights
    a = Dense(16, use_bias=False)(h)                                      # 256 weights
    a = Activation("softmax", name="attention_vec1")(a)
    mul = Multiply()([h, a])
    out = Dense(1, activation="sigmoid")(mul)                             # 17 weights
    model = Model(inputs, out)
    assert model.count_params() == 369, model.count_params()
    model.compile(optimizer=Adam(), loss="binary_crossentropy", metrics=["accuracy"])
    return model


# -- the data ------------------------------------------------------------------------
def data_e1(n):
    x, _, y = abs_difference(n)
    return x, y


def data_e2(n):
    _, x_one_hot, y = abs_difference(n)
    return x_one_hot, y


def data_e3(n):
    return planted_time_step(n, time_steps=TIME_STEPS, input_dim=2, attention_column=2)


def data_e4(n):
    return planted_column(n, input_dim=4, attention_column=1)


EXPERIMENTS = {"E1": (build_e1, data_e1), "E2": (build_e2, data_e2),
               "E3": (build_e3, data_e3), "E4": (build_e4, data_e4)}


# -- measuring -------------------------------------------------------------------------
def peak_rss_mb():
    """Peak resident memory of this process so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0)


def bench(name, batches, warmup, repeats):
    """Warm up, then time ``fit`` on exactly ``batches`` batches; return a result dict."""
    build, data = EXPERIMENTS[name]
    batch_size = BATCH_SIZE[name]
    minattn.set_random_seed(SEED)
    model = build()
    n_timed, n_warm = batches * batch_size, warmup * batch_size
    x, y = data(max(n_timed, n_warm))
    x, y = x.astype(FLOATX), y.astype(FLOATX)           # fit would cast; do it once here
    if n_warm:
        model.fit(x[:n_warm], y[:n_warm], batch_size=batch_size, epochs=1, verbose=0)
    times, cpu_times, loss = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        history = model.fit(x[:n_timed], y[:n_timed], batch_size=batch_size, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - start_cpu)
        loss = history.history["loss"][-1]
    seconds = float(np.median(times))
    rate = n_timed / seconds
    return {"experiment": name, "batch_size": batch_size, "batches": batches,
            "params": model.count_params(), "seconds": seconds, "all_seconds": times,
            "samples_per_s": rate, "ms_per_step": 1000.0 * seconds / batches,
            "cpu_over_wall": float(np.sum(cpu_times) / np.sum(times)),
            "torch_cpu_samples_per_s": TORCH_CPU.get(name),
            "plain_autograd_samples_per_s": PLAIN_AUTOGRAD.get(name),
            "ratio_to_torch": rate / TORCH_CPU[name] if name in TORCH_CPU else None,
            "last_loss": loss, "peak_rss_mb_so_far": peak_rss_mb()}


def format_table(results):
    header = (f"{'exp':<4} {'batch':>5} {'params':>7} {'samples/s':>10} {'ms/step':>8} "
              f"{'cpu/wall':>8} {'torch cpu':>10} {'autograd':>9} {'minattn/torch':>13}")
    lines = [header, "-" * len(header)]
    for r in results:
        plain = r["plain_autograd_samples_per_s"]
        lines.append(f"{r['experiment']:<4} {r['batch_size']:>5} {r['params']:>7} "
                     f"{r['samples_per_s']:>10,.0f} {r['ms_per_step']:>8.2f} {r['cpu_over_wall']:>8.2f} "
                     f"{r['torch_cpu_samples_per_s']:>10,} "
                     f"{(f'{plain:,}' if plain else '-'):>9} {r['ratio_to_torch']:>13.2f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=BATCHES, help="timed batches per run")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed warm-up batches")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs (median reported)")
    parser.add_argument("--only", default=",".join(EXPERIMENTS),
                        help="comma-separated experiments, e.g. E1,E3")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in names if s not in EXPERIMENTS]
    if unknown or not names:
        parser.error(f"--only: unknown experiment(s) {unknown}; choose from {list(EXPERIMENTS)}")
    if args.batches < 1 or args.warmup < 0 or args.repeats < 1:
        parser.error("--batches and --repeats must be >= 1, --warmup >= 0")

    minattn.set_floatx(FLOATX)
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "autograd": metadata.version("autograd"), "minattn": minattn.__version__,
           "floatx": FLOATX, "cpus": os.cpu_count(),
           "blas_threads": os.environ["OPENBLAS_NUM_THREADS"]}
    print("minattn training throughput -- " + ", ".join(f"{k} {v}" for k, v in env.items()))
    print(f"{args.batches} timed batches after {args.warmup} warm-up batches, "
          f"median of {args.repeats} runs; model.fit(verbose=0), Adam(), {FLOATX}\n")
    results = []
    for name in names:
        results.append(bench(name, args.batches, args.warmup, args.repeats))
    print(format_table(results))
    peak = peak_rss_mb()
    print(f"\npeak memory (ru_maxrss): {peak:.0f} MB")
    print("torch cpu / autograd: the same models in PyTorch (CPU) and in plain autograd on this "
          "machine, samples/s;\ncpu/wall well below 1 means other processes took the CPU (rerun).")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"env": env, "batches": args.batches, "warmup": args.warmup,
                       "repeats": args.repeats, "peak_rss_mb": peak, "results": results},
                      handle, indent=2)
        print(f"results written to {args.json}")
    return results


if __name__ == "__main__":
    main()
