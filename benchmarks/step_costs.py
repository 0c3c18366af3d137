"""Two measures of a training step for ``profile_step.py``: its fixed cost, and its matrix products.

* **Python overhead vs arithmetic.** The step is timed at 1/4, 1/2, 1 and 2
  times the batch, and a straight line ``time = fixed + per_sample * batch``
  is fitted (least squares). ``fixed`` is the part that does not grow with
  the batch -- the interpreter, NumPy's dispatch of each call, autograd's
  bookkeeping for the nodes it records; ``per_sample * batch`` is the
  arithmetic and the memory traffic at the real batch size. It is an
  estimate: where the cost per sample changes with the batch (arrays that
  outgrow a cache), the line misses the timings, and the script prints by
  how much.
* **The matmul-bound limit.** Every matrix product one step makes -- each
  Dense's forward product and its two gradient products, each LSTM's
  product per time step forward and backward and its weight-gradient
  product -- is timed alone at its own shape (``np.dot`` of random float32
  matrices). Their sum is the time a step would take if it did nothing but
  its products; ``batch / that time`` is the samples per second no
  implementation of the same products on this machine could beat.
"""
import time

import numpy as np

from minattn.layers import LSTM, Dense

SCALES = (0.25, 0.5, 1, 2)      # batch multiples for the straight-line fit


def fixed_and_per_sample(time_at, batch, calls, repeats):
    """``(fixed us, arithmetic us at batch, largest miss of the line)``: the line fitted to
    ``time_at(b)`` (us) at ``SCALES`` times the batch; the miss is relative to the timing."""
    sizes = np.array([max(1, round(batch * s)) for s in SCALES], dtype=float)
    times = np.array([_median_us(lambda: time_at(int(b)), calls, repeats) for b in sizes])
    per_sample, fixed = np.polyfit(sizes, times, 1)
    miss = np.max(np.abs(fixed + per_sample * sizes - times) / times)
    return float(fixed), float(per_sample * batch), float(miss)


def _median_us(fn, calls, repeats):
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - start) / calls * 1e6)
    return float(np.median(runs))


def matmul_shapes(step, values):
    """``[(m, k, n, times)]``: the products ``(m, k) @ (k, n)`` of one tape-free step.

    Args:
        step: a ``minattn.fast.step.FastStep``.
        values: its forward pass's values by tensor (``step.forward``'s first result).
    """
    shapes = []
    for node, record, wanted, _, _ in step.plan:
        layer, x = node.layer, values[node.inputs[0]]
        if record is None or not isinstance(layer, (Dense, LSTM)):
            continue
        if isinstance(layer, Dense):
            rows, inputs, units = x.size // x.shape[-1], x.shape[-1], layer.units
            shapes += [(rows, inputs, units, 1), (inputs, rows, units, 1)]      # y = x W; dW = x^T dz
            if wanted[0]:
                shapes.append((rows, units, inputs, 1))                         # dx = dz W^T
        else:
            batch, steps, features = x.shape
            units = layer.units
            rows = features + int(layer.use_bias) + units                      # [x_t; 1; h_{t-1}]
            shapes += [(4 * units, rows, batch, steps),                        # z_t = [W; b; U]^T xh_t
                       (rows if wanted[0] else units, 4 * units, batch, steps),   # [dx; -; dh] = [W; b; U] dz
                       (4 * units, steps * batch, rows, 1)]                    # d[W; b; U]^T = dz xh^T
    return shapes


def matmul_us(shapes, dtype, calls, repeats):
    """The time of every product in ``shapes``, each timed alone, added up (us)."""
    rng = np.random.default_rng(0)
    total = 0.0
    for m, k, n, times in shapes:
        a = rng.standard_normal((m, k)).astype(dtype)
        b = rng.standard_normal((k, n)).astype(dtype)
        total += times * _median_us(lambda: np.dot(a, b), calls, repeats)
    return total


def matmul_flops(shapes):
    """Floating-point operations of the products (2 m k n each)."""
    return sum(2 * m * k * n * times for m, k, n, times in shapes)


def time_by_layer(steps, x, y, batch_size, batches):
    """``{layer name: (forward us, backward us)}`` per step, inside ``batches`` real training steps.

    Each record's forward and backward, and each layer autograd records on its
    own, is timed where it runs in the step (so with the caches as the step
    leaves them, not warmed by repetition), by wrapping them for the run.
    """
    from minattn.fast import step as fast_step
    from minattn.fast.table import RECORDS
    totals = {}

    def timed(fn, name, phase):
        start = time.perf_counter()
        result = fn()
        spent = totals.setdefault(name, [0.0, 0.0])
        spent[phase] += time.perf_counter() - start
        return result

    records = list(dict.fromkeys(RECORDS.values()))        # one record may serve two classes
    originals = [(record.forward, record.backward) for record in records]
    with_autograd = fast_step.forward_with_autograd

    def autograd_node(node, *args):
        out, entry = timed(lambda: with_autograd(node, *args), node.layer.name, 0)
        if entry is not None:
            vjp = entry[2]
            entry = entry[:2] + (lambda g: timed(lambda: vjp(g), node.layer.name, 1),) + entry[3:]
        return out, entry

    try:
        for record, (forward, backward) in zip(records, originals):
            record.forward = (lambda f: lambda layer, *a, **k: timed(lambda: f(layer, *a, **k), layer.name, 0))(forward)
            record.backward = (lambda b: lambda layer, *a: timed(lambda: b(layer, *a), layer.name, 1))(backward)
        fast_step.forward_with_autograd = autograd_node
        with steps:
            for i in range(batches):
                batch = slice(i * batch_size, (i + 1) * batch_size)
                steps.train_on_batch([x[batch]], [y[batch]], np.random.default_rng(i))
    finally:
        for record, (forward, backward) in zip(records, originals):
            record.forward, record.backward = forward, backward
        fast_step.forward_with_autograd = with_autograd
    return {name: (f / batches * 1e6, b / batches * 1e6) for name, (f, b) in totals.items()}
