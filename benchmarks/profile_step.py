"""Where a training step's time goes, for the articles' four models (E1-E4).

For each model (built and fed exactly as in bench_train.py) it prints

* the autograd primitives recorded in one step (``minattn.experiments.profiling``), by
  name: on small models each costs about the same Python bookkeeping whatever
  its size, so their number is the first thing to look at;
* the median time of the pieces of one ``fit`` step: the forward pass and
  loss without recording, the same with autograd's ``value_and_grad``
  (forward + backward), the optimizer's update, and the whole step inside
  ``fit`` (what is left is the loop: batching, checks, metrics, progress).
  On the fast path (the default) these are ``FastSteps.flat_loss``, its
  ``loss_and_grad`` and ``optimizer.update`` on the flat buffer; with
  ``--traced``, ``Compiled.batch_loss``, ``value_and_grad`` of it and
  ``optimizer.step`` on the weight trees -- the readable step;
* with ``--cprofile N``, the N functions with the most own time (cProfile) in
  a ``fit`` over ``--batches`` batches.

    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --only E2 --cprofile 15
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --traced      # the readable layers
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_train  # noqa: E402  (sets the BLAS thread count before NumPy loads)
from timing import median_us  # noqa: E402

import numpy as np  # noqa: E402
from autograd import value_and_grad  # noqa: E402

import minattn  # noqa: E402
from minattn.experiments.profiling import count_primitives  # noqa: E402
from minattn.fast.memory import keep_freed_memory  # noqa: E402
from minattn.fast.training import FastSteps  # noqa: E402

BATCHES = 300        # batches of the timed fit (and of the cProfile run)
CALLS = 300          # calls per timing of one piece
REPEATS = 5          # timings per piece; the median is reported


class StepPieces:
    """The pieces of one training step on the path in force, for the first batch.

    ``loss(w)`` is the forward pass and loss, ``loss_and_grad(w)`` the same
    with its gradient, ``update(w, grads)`` the optimizer's rule, each at
    the weights ``w`` (the flat buffer on the fast path, the weights tree on
    the readable one).
    """

    def __init__(self, model, x, y, batch_size):
        compiled, rng = model.compiled, minattn.config.rng()
        xb, yb = [x[:batch_size]], [y[:batch_size]]
        self.fast = minattn.fused_enabled()
        if self.fast:
            steps = FastSteps(model, compiled)
            self.weights = steps.weights.flat.copy()
            self.loss = lambda w: steps.flat_loss(w, xb, yb, rng, {})
            self.loss_and_grad = lambda w: steps.loss_and_grad(w, xb, yb, rng, {})
            sizes = steps.weights.sizes
            self.update = lambda w, g, state: compiled.optimizer.update(w, g, state, sizes)
            self.state = compiled.optimizer.init(steps.weights.tree)
        else:
            self.weights = model.params
            self.loss = lambda w: compiled.batch_loss(w, xb, yb, rng)
            self.loss_and_grad = lambda w: value_and_grad(compiled.batch_loss)(w, xb, yb, rng)
            self.update = compiled.optimizer.step
            self.state = compiled.optimizer.init(model.params)


def step_pieces(model, x, y, batch_size, batches, calls, repeats):
    """Median microseconds of each piece of a training step (see the module docstring)."""
    step = StepPieces(model, x, y, batch_size)
    w = step.weights
    grads = step.loss_and_grad(w)[1]
    pieces = {
        "forward + loss": median_us(lambda: step.loss(w), calls, repeats),
        "value_and_grad": median_us(lambda: step.loss_and_grad(w), calls, repeats),
        "optimizer update": median_us(lambda: step.update(w, grads, step.state), calls, repeats),
    }
    n = batches * batch_size
    fit_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0)
        fit_times.append((time.perf_counter() - start) / batches * 1e6)
    pieces["whole fit step"] = float(np.median(fit_times))
    pieces["rest of the loop"] = (pieces["whole fit step"] - pieces["value_and_grad"]
                                  - pieces["optimizer update"])
    return pieces


def recorded_ops(model, x, y, batch_size):
    """``Counter`` of the primitives autograd records in one step's loss."""
    step = StepPieces(model, x, y, batch_size)
    return count_primitives(step.loss, step.weights)


def cprofile_fit(model, x, y, batch_size, batches, top):
    """cProfile's table of the ``top`` functions by own time in one ``fit`` over ``batches``."""
    n = batches * batch_size
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(name, args):
    batch_size = bench_train.BATCH_SIZE[name]
    model, x, y = bench_train.setup_minattn(name, (args.batches + 1) * batch_size)
    model.fit(x[:10 * batch_size], y[:10 * batch_size], batch_size=batch_size, epochs=1, verbose=0)
    ops = recorded_ops(model, x, y, batch_size)
    views = ops.pop("take_weight", 0)
    print(f"{name} (batch {batch_size}, {model.count_params()} weights): "
          f"{sum(ops.values()) + views} recorded ops per step, {views} of them weight views")
    print("    " + ", ".join(f"{op} x{count}" if count > 1 else op for op, count in ops.most_common()))
    pieces = step_pieces(model, x, y, batch_size, args.batches, args.calls, args.repeats)
    for piece, micros in pieces.items():
        print(f"    {piece:<18} {micros:8.0f} us")
    if args.cprofile:
        print(cprofile_fit(model, x, y, batch_size, args.batches, args.cprofile))
    print()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(bench_train.EXPERIMENTS),
                        help="comma-separated experiments, e.g. E2,E3")
    parser.add_argument("--batches", type=int, default=BATCHES, help="batches of the timed fit")
    parser.add_argument("--calls", type=int, default=CALLS, help="calls per timing of one piece")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timings per piece (median)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print cProfile's N functions with the most own time")
    parser.add_argument("--traced", action="store_true", help="profile the traced layers")
    args = parser.parse_args(argv)
    args.names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.names if s not in bench_train.EXPERIMENTS]
    if unknown or not args.names:
        parser.error(f"--only: unknown experiment(s) {unknown}; choose from {list(bench_train.EXPERIMENTS)}")
    if min(args.batches, args.calls, args.repeats) < 1 or args.cprofile < 0:
        parser.error("--batches, --calls and --repeats must be >= 1, --cprofile >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    minattn.set_fused(not args.traced)
    minattn.set_floatx(bench_train.FLOATX)
    keep_freed_memory()                   # as the fast fit does, so the pieces timed alone match the step
    print(f"one training step, {'readable (traced)' if args.traced else 'fast'} path, "
          f"{bench_train.blas_threads()} BLAS thread(s), float32, Adam; medians of {args.repeats} timings\n")
    for name in args.names:
        report(name, args)


if __name__ == "__main__":
    main()
