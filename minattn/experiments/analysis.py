"""Asking a trained model which inputs it really uses -- to set beside its attention weights.

Attention weights say how an input is scaled on its way through the network,
not how much the prediction depends on it: the weights are themselves
computed from every input, so information can flow through them. Permutation
importance measures the dependence directly: shuffle one input position
across the samples (breaking its link to the target while keeping its
distribution) and see how much the loss rises.
"""
import numpy as np

from .. import losses


def permutation_importance(model, x, y, loss="mse", seed=0, batch_size=1024):
    """Rise in loss when each position along axis 1 of ``x`` is shuffled across samples.

    Args:
        model: a trained minattn Model with one input and one output.
        x: inputs ``(samples, positions, ...)``; position i is ``x[:, i]``.
        y: targets.
        loss: name or function, as in ``compile``.
        seed: for the shuffles.
        batch_size: for ``predict``.

    Returns:
        ``(baseline_loss, rises)``: the loss on the intact data, and one rise
        per position (about 0 for a position the model ignores).
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"permutation_importance: x has {len(x)} samples, y has {len(y)}")
    loss_fn = losses.get(loss)
    rng = np.random.default_rng(seed)

    def mean_loss(inputs):
        return float(np.mean(loss_fn(y, model.predict(inputs, batch_size=batch_size, verbose=0))))

    baseline = mean_loss(x)
    rises = []
    for position in range(x.shape[1]):
        shuffled = x.copy()
        shuffled[:, position] = x[rng.permutation(len(x)), position]
        rises.append(mean_loss(shuffled) - baseline)
    return baseline, np.array(rises)
