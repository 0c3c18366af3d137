"""Optimizers, written out by hand, over the weights pytree ``{layer: {weight: array}}``.

An optimizer holds only its settings. Its state (step count, moments) is a
separate value, so one training step is a pure function:

    state = optimizer.init(params)
    params, state = optimizer.step(params, grads, state)
"""
import numpy as np


def tree_map(fn, *trees):
    """Apply ``fn`` leaf by leaf to nested dicts of the same structure."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: tree_map(fn, *(t[key] for t in trees)) for key in first}
    return fn(*trees)


def tree_leaves(tree):
    """The arrays of a nested dict, in order."""
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in tree_leaves(value)]
    return [tree]


def _check_positive(name, value, where):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f"{where}: {name} must be a positive number, got {value!r}")


class Optimizer:
    """Shared settings: gradient clipping (``clipnorm`` per weight, as Keras)."""

    def __init__(self, learning_rate, clipnorm=None):
        _check_positive("learning_rate", learning_rate, type(self).__name__)
        if clipnorm is not None:
            _check_positive("clipnorm", clipnorm, type(self).__name__)
        self.learning_rate = float(learning_rate)
        self.clipnorm = clipnorm

    def clip(self, grads):
        """Rescale each weight's gradient to norm <= clipnorm (no-op without clipnorm)."""
        if self.clipnorm is None:
            return grads

        def clip_one(g):
            norm = np.sqrt(np.sum(np.square(g)))
            return g * (self.clipnorm / norm) if norm > self.clipnorm else g
        return tree_map(clip_one, grads)


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (Keras's rule).

    ``velocity = momentum * velocity - lr * g``; ``p = p + velocity``
    (plain SGD: ``p = p - lr * g``).

    Args:
        learning_rate: default 0.01.
        momentum: default 0.
        clipnorm: optional per-weight gradient norm limit.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.momentum = float(momentum)

    def init(self, params):
        return {"velocity": tree_map(np.zeros_like, params)}

    def step(self, params, grads, state):
        grads = self.clip(grads)
        velocity = tree_map(lambda v, g: self.momentum * v - self.learning_rate * g,
                            state["velocity"], grads)
        params = tree_map(lambda p, v: (p + v).astype(p.dtype), params, velocity)
        return params, {"velocity": velocity}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with Keras's update rule and defaults.

    At step t, for each weight p with gradient g:

        m = beta_1 m + (1 - beta_1) g
        v = beta_2 v + (1 - beta_2) g^2
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p = p - alpha * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 1e-3.
        beta_1, beta_2: moment decay rates, default 0.9 and 0.999.
        epsilon: default 1e-7 (Keras's; the paper's 1e-8).
        clipnorm: optional per-weight gradient norm limit.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        for name, beta in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Adam: {name} must be in [0, 1), got {beta!r}")
        _check_positive("epsilon", epsilon, "Adam")
        self.beta_1, self.beta_2, self.epsilon = float(beta_1), float(beta_2), float(epsilon)

    def init(self, params):
        return {"t": 0, "m": tree_map(np.zeros_like, params), "v": tree_map(np.zeros_like, params)}

    def step(self, params, grads, state):
        grads = self.clip(grads)
        t = state["t"] + 1
        b1, b2 = self.beta_1, self.beta_2
        m = tree_map(lambda m_, g: b1 * m_ + (1.0 - b1) * g, state["m"], grads)
        v = tree_map(lambda v_, g: b2 * v_ + (1.0 - b2) * g * g, state["v"], grads)
        alpha = self.learning_rate * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        params = tree_map(lambda p, m_, v_: (p - alpha * m_ / (np.sqrt(v_) + self.epsilon)).astype(p.dtype),
                          params, m, v)
        return params, {"t": t, "m": m, "v": v}


_BY_NAME = {"adam": Adam, "sgd": SGD}


def get(optimizer):
    """An optimizer from a name ("adam", "sgd": default settings) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in _BY_NAME:
        return _BY_NAME[optimizer.lower()]()
    raise ValueError(f"compile: unknown optimizer {optimizer!r}; expected one of "
                     f"{sorted(_BY_NAME)} or an instance such as minattn.optimizers.Adam()")
