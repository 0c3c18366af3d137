"""Why Adam flushes subnormal moments: one update, with normal and with subnormal moments.

A moment whose gradient stays at 0 decays towards 0 through float32's
subnormal range (below 1.2e-38), where x86 arithmetic is far slower. This
times ``Adam.update`` over E2's 19 375 weights (float32, zero gradients, as
for a dead unit) with every moment normal, then with every moment subnormal,
and the cost of one ``flushed`` copy of a moment vector -- which Adam
does every ``FLUSH_EVERY`` steps (see minattn/optimizers/base.py).

    python benchmarks/time_adam.py
"""
import argparse

import numpy as np

from minattn.optimizers import FLUSH_EVERY, Adam, flushed
from timing import median_us

WEIGHTS = 19_375        # E2's weight count
CALLS = 300
REPEATS = 5


def time_update(moment, calls, repeats):
    """Median microseconds of one Adam update whose moments all start at ``moment``."""
    adam = Adam()
    flat, grads = np.zeros(WEIGHTS, np.float32), np.zeros(WEIGHTS, np.float32)
    state = adam.init_flat(flat)
    state["m"][:], state["v"][:], state["t"] = moment, moment, 1   # t = 1: no flush inside
    sizes = np.array([WEIGHTS])
    return median_us(lambda: adam.update(flat, grads, state, sizes), calls, repeats)


def time_flush(calls, repeats):
    moments = np.full(WEIGHTS, 1e-3, np.float32)
    return median_us(lambda: flushed(moments), calls, repeats)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args(argv)
    normal = time_update(np.float32(1e-3), args.calls, args.repeats)
    subnormal = time_update(np.float32(1e-40), args.calls, args.repeats)
    flush = time_flush(args.calls, args.repeats)
    print(f"Adam.update over {WEIGHTS} float32 weights, zero gradients; medians of {args.repeats} x {args.calls} calls")
    print(f"    moments normal (1e-3)      {normal:8.1f} us")
    print(f"    moments subnormal (1e-40)  {subnormal:8.1f} us   ({subnormal / normal:.0f}x)")
    print(f"    one flushed copy           {flush:8.1f} us   (two every {FLUSH_EVERY} steps)")


if __name__ == "__main__":
    main()
