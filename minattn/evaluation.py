"""``evaluate`` and ``predict`` (and the data preparation ``fit`` shares with them).

Both run the model's pure ``apply`` (``training=False``: Dropout off)
``batch_size`` samples at a time. ``evaluate``'s loss is computed as ``fit``'s
(``losses.batch_mean``, with the ``add_loss`` terms and any sample weights),
averaged over the batches weighted by their sizes.
"""
import numpy as np

from . import losses
from .data_checks import (as_list, check_lengths, check_x_shapes, check_y_shapes, model_float_type,
                          prepare_arrays)
from .method_arguments import (batch_size_or_default, refuse_extra_keywords, refuse_unless_default,
                               verbose_level)
from .progress import ProgressLine
from .sample_weights import sample_weights_for

__all__ = ["evaluate", "predict"]


def require_compiled(model, what):
    if model.compiled is None:
        raise RuntimeError(f"Model '{model.name}': call compile(optimizer, loss) before {what}")
    return model.compiled


def prepare_xy(model, x, y):
    """The checked, cast arrays ``(xs, ys, number of samples)``."""
    if x is None or y is None:
        raise ValueError(f"Model '{model.name}': x and y must be given (arrays; minattn takes no "
                         "datasets or generators)")
    sparse = [i for i, fn in enumerate(model.compiled.losses) if losses.is_sparse(fn)]
    xs = prepare_arrays(model, x, model.inputs, "x")
    ys = prepare_arrays(model, y, model.outputs, "y", sparse=sparse)
    check_x_shapes(model, xs)
    check_y_shapes(model, ys, model.compiled.losses)
    return xs, ys, check_lengths(model, {"x": xs, "y": ys})


def logs_from(compiled, values):
    names = ["loss"] + compiled.metric_names
    return {name: float(v) for name, v in zip(names, values)}


def evaluate_arrays(model, data, batch_size):
    """The logs (loss with the ``add_loss`` terms, metrics) over prepared ``(xs, ys, weights or None)``."""
    compiled = model.compiled
    xs, ys, ws = data
    n = len(ys[0])
    sums = np.zeros(1 + len(compiled.metrics))
    params = model.params
    for start in range(0, n, batch_size):
        batch = slice(start, start + batch_size)
        xb, yb = [a[batch] for a in xs], [a[batch] for a in ys]
        wb = [w[batch] for w in ws] if ws is not None else [None] * len(yb)
        outputs, added = model.apply_with_losses(params, *xb)
        preds = as_list(outputs)
        loss = sum(float(losses.batch_mean(fn, y, p, w)) for fn, y, p, w in zip(compiled.losses, yb, preds, wb))
        loss += sum(float(term) for term in added)              # add_loss terms, as in fit
        sums += len(yb[0]) * np.array([loss] + compiled.metric_values(yb, preds))
    return logs_from(compiled, sums / n)


def evaluate(model, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
             callbacks=None, return_dict=False, **kwargs):
    """``Model.evaluate`` (see its docstring): the loss, ``[loss, metric, ...]``, or a dict."""
    where = f"Model '{model.name}' evaluate"
    refuse_extra_keywords(where, kwargs)
    refuse_unless_default(where, {"steps": (steps, None), "callbacks": (callbacks, (None, [], ()))},
                          "minattn evaluates arrays whole and its callbacks have no test hooks")
    require_compiled(model, "evaluate")
    batch_size = batch_size_or_default(batch_size, where)
    verbose = verbose_level(verbose, where)
    xs, ys, n = prepare_xy(model, x, y)
    ws = sample_weights_for(model, sample_weight, None, ys, n, where)
    progress = ProgressLine(n, verbose)
    logs = evaluate_arrays(model, (xs, ys, ws), batch_size)
    progress.finish(logs)
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def predict(model, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
    """``Model.predict`` (see its docstring): the outputs for ``x``, in the model's float type."""
    where = f"Model '{model.name}' predict"
    refuse_unless_default(where, {"steps": (steps, None), "callbacks": (callbacks, (None, [], ()))},
                          "minattn predicts arrays whole and its callbacks have no predict hooks")
    batch_size = batch_size_or_default(batch_size, where)
    verbose = verbose_level(verbose, where)
    xs = prepare_arrays(model, x, model.inputs, "x")
    check_x_shapes(model, xs)
    n = check_lengths(model, {"x": xs})
    progress = ProgressLine(n, verbose)
    params = model.params
    chunks = [as_list(model.apply(params, *[a[s:s + batch_size] for a in xs]))
              for s in range(0, n, batch_size)]
    outputs = [as_model_float(np.concatenate([c[i] for c in chunks]), model) for i in range(len(model.outputs))]
    progress.finish({})
    return outputs[0] if len(outputs) == 1 else outputs


def as_model_float(array, model):
    """Float outputs in the model's float type (integer inputs promote NumPy's matmul to float64)."""
    float_type = model_float_type(model)
    if np.issubdtype(array.dtype, np.floating) and array.dtype != float_type:
        return array.astype(float_type)
    return array
