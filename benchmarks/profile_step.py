"""Where a training step's time goes, for the articles' four models (E1-E4).

For each model (built and fed exactly as in bench_models.py) it prints

* what autograd records in one step (``minattn.experiments.profiling``): on small
  models each recorded op costs about the same Python bookkeeping whatever its
  size. On the fast path every model takes the one fast step
  (``minattn.fast.step``): the layers with a record run without autograd, and
  only the others are recorded, each on its own -- so it prints the layers of
  each kind and the ops recorded for the second;
* the median time of the pieces of one ``fit`` step: the forward pass, the
  forward and backward pass together, the optimizer's update, and the whole
  step inside ``fit`` (what is left is the loop: batching, checks, metrics,
  progress). On the fast path these are ``FastStep.forward`` and
  ``FastStep.loss_and_gradient``; with ``--traced``,
  ``Compiled.batch_loss``, ``value_and_grad`` of it and ``optimizer.step`` on
  the weight trees -- the readable step;
* on the fast step, the split of forward + backward into the part that
  does not grow with the batch (Python overhead) and the part that does
  (arithmetic), and the matmul-bound limit: the samples per second of a step
  that did nothing but its matrix products (``step_costs.py`` says how);
* with ``--layers``, each layer's forward and backward time inside real
  training steps (``step_costs.time_by_layer``);
* with ``--cprofile N``, the N functions with the most own time (cProfile) in
  a ``fit`` over ``--batches`` batches.

    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --only E2 --cprofile 15
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --traced      # the readable layers
    OPENBLAS_NUM_THREADS=1 python benchmarks/profile_step.py --layers      # and each layer's share
"""
import argparse
import cProfile
import io
import os
import pstats
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_threads import blas_threads  # noqa: E402  (sets the BLAS thread count before NumPy loads)
import bench_models  # noqa: E402
import step_costs  # noqa: E402
from timing import median_us  # noqa: E402

import numpy as np  # noqa: E402
from autograd import value_and_grad  # noqa: E402

import minattn  # noqa: E402
from minattn.experiments.profiling import count_primitives, recorded_primitives  # noqa: E402
from minattn.fast.memory import keep_freed_memory  # noqa: E402
from minattn.fast.step import FastStep  # noqa: E402

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
        self.fast = minattn.fast_enabled()
        self.fast_step = None                           # the fast step, on the fast path
        if self.fast:
            steps = self.fast_step = FastStep(model, compiled)
            self.weights, self.tree = steps.weights.flat, steps.weights.tree
            self.loss = lambda w: steps.forward(self.tree, xb, rng)
            self.loss_and_grad = lambda w: (steps.loss_and_gradient(xb, yb, rng)[0], steps.gradient)
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
        "forward pass" if step.fast_step else "forward + loss": median_us(lambda: step.loss(w), calls, repeats),
        "forward + backward": median_us(lambda: step.loss_and_grad(w), calls, repeats),
        "optimizer update": median_us(lambda: step.update(w, grads, step.state), calls, repeats),
    }
    n = batches * batch_size
    fit_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0)
        fit_times.append((time.perf_counter() - start) / batches * 1e6)
    pieces["whole fit step"] = float(np.median(fit_times))
    pieces["rest of the loop"] = (pieces["whole fit step"] - pieces["forward + backward"]
                                  - pieces["optimizer update"])
    return pieces


def recorded_ops(model, x, y, batch_size):
    """``Counter`` of the primitives autograd records in one step's loss (autograd's tape)."""
    step = StepPieces(model, x, y, batch_size)
    return count_primitives(step.loss, step.weights)


def fast_step_layers(step, x, batch_size):
    """``(layers run by records, {layer: ops autograd records for it})`` for one fast step."""
    values, _ = step.fast_step.forward(step.tree, [x[:batch_size]], minattn.config.rng())
    by_record, by_autograd = [], {}
    for node, record, _, differentiable, _ in step.fast_step.plan:
        layer = node.layer
        if record is not None:
            by_record.append(layer.name)
        elif differentiable and not node.takes_list:
            params = step.tree.get(layer.name, {})
            by_autograd[layer.name] = recorded_primitives(lambda v: layer.forward(params, v),
                                                          values[node.inputs[0]])
    return by_record, by_autograd


def fast_step_costs(model, x, y, batch_size, calls, repeats):
    """The fast step's fixed and per-batch parts, and its matmul-bound limit."""
    steps, rng = FastStep(model, model.compiled), minattn.config.rng()
    fixed, arithmetic, miss = step_costs.fixed_and_per_sample(
        lambda b: steps.loss_and_gradient([x[:b]], [y[:b]], rng), batch_size, calls, repeats)
    values, _ = steps.forward(steps.weights.tree, [x[:batch_size]], rng)
    shapes = step_costs.matmul_shapes(steps, values)
    products = step_costs.matmul_us(shapes, np.float32, calls, repeats)
    return {"fixed": fixed, "arithmetic": arithmetic, "miss": miss, "products": products,
            "mflop": step_costs.matmul_flops(shapes) / 1e6, "limit": batch_size / products * 1e6}


def cprofile_fit(model, x, y, batch_size, batches, top):
    """cProfile's table of the ``top`` functions by own time in one ``fit`` over ``batches``."""
    n = batches * batch_size
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, x[:n], y[:n], batch_size=batch_size, epochs=1, verbose=0)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def report(name, args):
    minattn.clear_session()                    # layer names from _1 for each model
    batch_size = bench_models.BATCH_SIZE[name]
    model, x, y = bench_models.setup_minattn(name, (args.batches + 1) * batch_size)
    model.fit(x[:10 * batch_size], y[:10 * batch_size], batch_size=batch_size, epochs=1, verbose=0)
    step = StepPieces(model, x, y, batch_size)
    header = f"{name} (batch {batch_size}, {model.count_params()} weights): "
    if step.fast_step is not None:
        by_record, by_autograd = fast_step_layers(step, x, batch_size)
        recorded = sum(len(ops) for ops in by_autograd.values())
        print(header + f"one fast step: {len(by_record)} layers run by their records, "
              f"{len(by_autograd)} through autograd ({recorded} recorded ops)")
        for layer, ops in by_autograd.items():
            print(f"    {layer}: {', '.join(ops)}")
    else:
        ops = recorded_ops(model, x, y, batch_size)
        print(header + f"{sum(ops.values())} recorded ops per step")
        print("    " + ", ".join(f"{op} x{count}" if count > 1 else op for op, count in ops.most_common()))
    pieces = step_pieces(model, x, y, batch_size, args.batches, args.calls, args.repeats)
    for piece, micros in pieces.items():
        print(f"    {piece:<18} {micros:8.0f} us")
    if step.fast_step is not None:
        costs = fast_step_costs(model, x, y, batch_size, args.calls // 3 or 1, args.repeats)
        print(f"    forward + backward, split by batch size: {costs['fixed']:.0f} us fixed (Python "
              f"overhead), {costs['arithmetic']:.0f} us growing with the batch (arithmetic); the line "
              f"misses the timings by up to {costs['miss']:.0%}")
        print(f"    matrix products: {costs['mflop']:.1f} MFLOP, {costs['products']:.0f} us timed alone "
              f"-> matmul-bound limit {costs['limit']:,.0f} samples/s "
              f"(the whole fit step reaches {batch_size / pieces['whole fit step'] * 1e6 / costs['limit']:.0%})")
        if args.layers:
            by_layer = step_costs.time_by_layer(FastStep(model, model.compiled), x, y, batch_size, args.batches)
            print("    by layer, inside the step (forward / backward, us): " + ", ".join(
                f"{name} {f:.0f} / {b:.0f}" for name, (f, b) in
                sorted(by_layer.items(), key=lambda item: -sum(item[1]))))
    if args.cprofile:
        print(cprofile_fit(model, x, y, batch_size, args.batches, args.cprofile))
    print()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default=",".join(bench_models.EXPERIMENTS),
                        help="comma-separated experiments, e.g. E2,E3")
    parser.add_argument("--batches", type=int, default=BATCHES, help="batches of the timed fit")
    parser.add_argument("--calls", type=int, default=CALLS, help="calls per timing of one piece")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timings per piece (median)")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N",
                        help="also print cProfile's N functions with the most own time")
    parser.add_argument("--traced", action="store_true", help="profile the traced layers")
    parser.add_argument("--layers", action="store_true",
                        help="on the fast step, also time each layer inside real training steps")
    args = parser.parse_args(argv)
    args.names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.names if s not in bench_models.EXPERIMENTS]
    if unknown or not args.names:
        parser.error(f"--only: unknown experiment(s) {unknown}; choose from {list(bench_models.EXPERIMENTS)}")
    if min(args.batches, args.calls, args.repeats) < 1 or args.cprofile < 0:
        parser.error("--batches, --calls and --repeats must be >= 1, --cprofile >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    minattn.set_fast(not args.traced)
    minattn.set_floatx(bench_models.FLOATX)
    keep_freed_memory()                   # as the fast fit does, so the pieces timed alone match the step
    print(f"one training step, {'readable (traced)' if args.traced else 'fast'} path, "
          f"{blas_threads()} BLAS thread(s), float32, Adam; medians of {args.repeats} timings\n")
    for name in args.names:
        report(name, args)


if __name__ == "__main__":
    main()
