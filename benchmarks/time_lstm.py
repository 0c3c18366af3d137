"""Time the fast LSTM kernel's forward and backward pass alone, on the article models' shapes.

E2 runs an LSTM(64) over 10 steps of 10 features, batch 32; E3 an LSTM(32)
over 10 steps of 2 features, batch 64. For each, this prints the median time
of ``minattn.fast.lstm``'s forward pass (``lstm_forward``: plain NumPy, nothing
recorded) and of its backward pass (``lstm_backward``, given a gradient at
the last h only, as E2 has; and at every h, as E3 has), in float32 with one
BLAS thread -- the pieces of the "where the time goes" paragraph of
docs/performance.md. Use it to A/B a change to ``minattn/fast/lstm.py``: run it
before and after, on the same machine.

    python benchmarks/time_lstm.py
    python benchmarks/time_lstm.py --calls 200 --repeats 9
"""
import argparse
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before NumPy loads, as bench_train.py

import numpy as np  # noqa: E402

from minattn.fast.lstm import lstm_backward, lstm_forward  # noqa: E402
from minattn.fast.memory import keep_freed_memory  # noqa: E402
from timing import median_us  # noqa: E402

SHAPES = {"E2": dict(batch=32, steps=10, features=10, units=64),      # name: LSTM sizes
          "E3": dict(batch=64, steps=10, features=2, units=32)}
CALLS = 500          # calls per timing
REPEATS = 7          # timings; the median is reported


def lstm_arguments(batch, steps, features, units, seed=0):
    """Seeded float32 inputs, weights and zero initial states of one LSTM call."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    kernel = (0.1 * rng.standard_normal((features, 4 * units))).astype(np.float32)
    recurrent = (0.1 * rng.standard_normal((units, 4 * units))).astype(np.float32)
    bias = np.zeros(4 * units, np.float32)
    h0 = np.zeros((batch, units), np.float32)
    return x, kernel, recurrent, bias, h0, h0.copy()


def time_one(shape, calls, repeats):
    """Median microseconds of the forward pass and of the two backward passes."""
    args = lstm_arguments(**shape)                                      # no mask, tanh and sigmoid
    saved = lstm_forward(*args)
    hs, h_last, c_last = saved["outputs"]
    rng = np.random.default_rng(1)
    last_only = (np.zeros_like(hs), rng.standard_normal(h_last.shape).astype(np.float32),
                 np.zeros_like(c_last))
    every_h = (rng.standard_normal(hs.shape).astype(np.float32),) + last_only[1:]
    return {
        "forward": median_us(lambda: lstm_forward(*args), calls, repeats),
        "backward (grad at last h)": median_us(
            lambda: lstm_backward(*args, saved, last_only), calls, repeats),
        "backward (grad at every h)": median_us(
            lambda: lstm_backward(*args, saved, every_h), calls, repeats),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=CALLS, help=f"calls per timing (default {CALLS})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"timings per piece (default {REPEATS})")
    args = parser.parse_args(argv)
    keep_freed_memory()                  # as fit does: no page faults on every call
    print(f"fast LSTM kernel alone, float32, {os.environ['OPENBLAS_NUM_THREADS']} BLAS thread(s); "
          f"medians of {args.repeats} timings of {args.calls} calls")
    for name, shape in SHAPES.items():
        sizes = ", ".join(f"{k} {v}" for k, v in shape.items())
        print(f"\n{name} ({sizes})")
        for piece, us in time_one(shape, args.calls, args.repeats).items():
            print(f"    {piece:28s} {us:7.1f} us")


if __name__ == "__main__":
    main()
