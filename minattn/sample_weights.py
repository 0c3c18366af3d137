"""``sample_weight`` and ``class_weight`` of ``fit`` / ``evaluate``, as Keras 3 reads them.

Both end as one weight array per model output, given to the loss
(``losses.batch_mean``: ``sum(w * loss) / number of losses``):

* ``sample_weight``: an array of shape ``(samples,)`` -- or the per-sample
  loss's shape, e.g. ``(samples, steps)`` for a sequence output -- used for
  every output, or a list with one such array per output;
* ``class_weight``: ``{class id: weight}`` for a single-output model; each
  sample gets the weight of its class, read from the target as Keras does --
  the index of the largest entry of a one-hot row, else the target rounded to
  an int (sparse labels, binary 0/1 targets). Classes not in the dict weigh 1.

Giving both is an error, as in Keras. Weights must be finite and >= 0.
"""
import numpy as np

from .arguments import check_finite, is_int
from .data_checks import as_list, model_float_type


def class_weights_to_sample_weights(y, class_weight, where):
    """One weight per sample from ``{class: weight}`` and the targets ``y`` (Keras's rule)."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"{where}: class_weight must be a dict {{class id: weight}}, "
                        f"got {type(class_weight).__name__}")
    for key, value in class_weight.items():
        if not is_int(key):
            raise ValueError(f"{where}: class_weight keys must be int class ids, got {key!r}")
        if check_finite(value, f"{where}: class_weight[{key}]") < 0:
            raise ValueError(f"{where}: class_weight[{key}] must be >= 0, got {value!r}")
    labels = np.asarray(y)
    if labels.ndim == 2:                                   # one-hot rows, or one column of labels
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else labels[:, 0]
    if labels.ndim != 1:
        raise ValueError(f"{where}: class_weight needs one class per sample (targets of shape "
                         f"(samples,), (samples, 1) or one-hot (samples, classes)), got targets of "
                         f"shape {np.shape(y)}; use sample_weight instead")
    classes = np.round(labels).astype(np.int64)
    return np.array([class_weight.get(int(c), 1.0) for c in classes])


def check_weights(model, weights, y_pred_shape, n, where):
    """One output's sample weights as a float array of the model's type, checked."""
    try:
        weights = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: sample_weight must be an array of numbers: {err}") from err
    loss_shape = (n,) + tuple(y_pred_shape[:-1])              # one loss per sample (and step)
    if weights.shape not in ((n,), loss_shape):
        raise ValueError(f"{where}: sample_weight must have shape ({n},) (one weight per sample) or "
                         f"{loss_shape} (the per-sample losses'), got {weights.shape}")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"{where}: sample_weight must be finite and >= 0")
    return weights.astype(model_float_type(model))


def sample_weights_for(model, sample_weight, class_weight, ys, n, where):
    """``None`` (no weights) or one checked weight array per output."""
    if sample_weight is None and class_weight is None:
        return None
    if sample_weight is not None and class_weight is not None:
        raise ValueError(f"{where}: give class_weight or sample_weight, not both (as in Keras)")
    shapes = [tensor.shape for tensor in model.outputs]
    if class_weight is not None:
        if len(ys) != 1:
            raise ValueError(f"{where}: class_weight is only supported for a model with one output "
                             "(as in Keras); give sample_weight, one array per output")
        sample_weight = class_weights_to_sample_weights(ys[0], class_weight, where)
    per_output = as_list(sample_weight) if len(ys) > 1 else [sample_weight]
    if len(per_output) == 1 and len(ys) > 1:
        per_output = per_output * len(ys)                    # one array weights every output
    if len(per_output) != len(ys):
        raise ValueError(f"{where}: sample_weight must be one array, or one per output "
                         f"({len(ys)}), got {len(per_output)}")
    return [check_weights(model, w, shape, n, where) for w, shape in zip(per_output, shapes)]
