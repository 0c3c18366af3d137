"""Optimizers, written out by hand, over the weights pytree ``{layer: {weight: array}}``.

An optimizer holds only its settings. Its state (step count, moments) is a
separate value, so one training step is a pure function:

    state = optimizer.init(params)
    params, state = optimizer.step(params, grads, state)

Inside, as autograd's own optimizers do, ``step`` flattens the weights and
the gradients into one vector each and applies the update rule, ``update``,
to whole vectors -- the maths is written once, there. (The fast path keeps
its weights in one flat buffer all along and calls ``update`` directly.)
Every ``FLUSH_EVERY`` steps the moments' subnormal entries are set to 0
(``Optimizer.next_step``, ``flushed``): arithmetic on them is very slow.
"""
import numpy as np

from .arguments import check_fraction, check_positive
from .pytree import flatten, tree_leaves, unflatten

FLUSH_EVERY = 100       # steps between flushes of subnormal moments to zero (see flushed)


def flushed(array):
    """A copy of ``array`` with its subnormal entries set to 0.

    A moment whose gradient stays at 0 decays geometrically (Adam's m by 0.9 a
    step, v by 0.999) and on its way to 0 passes through float32's subnormal
    range, below 1.2e-38. x86 processors do arithmetic on subnormal numbers
    about a hundred times slower than on normal ones, so a few such entries
    slow the whole update: a dead ReLU unit's weights, or a rare word's
    embedding row, can get there in long runs. A subnormal moment moves a
    weight by less than 1e-30, so 0 does the same job.
    (``python benchmarks/time_adam.py`` times the difference.)

    Args:
        array: a float array (a moment vector); it is not changed.
    """
    return np.where(np.abs(array) < np.finfo(array.dtype).tiny, np.zeros((), array.dtype), array)


class Optimizer:
    """Shared parts: settings checks, per-weight gradient clipping, the pure ``step``."""

    def __init__(self, learning_rate, clipnorm=None):
        self.learning_rate = learning_rate
        self.clipnorm = None if clipnorm is None else check_positive(clipnorm, f"{type(self).__name__}: clipnorm")

    @property
    def learning_rate(self):
        """The step size, a positive finite float; set it between steps (``LearningRateScheduler`` does)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = check_positive(value, f"{type(self).__name__}: learning_rate")

    def init(self, params):
        """The optimizer's state for these weights (moments as flat vectors)."""
        return self.init_flat(flatten(params))

    def step(self, params, grads, state):
        """Pure update: returns new weights and new state, changes neither argument.

        Args:
            params: the weights pytree ``{layer: {weight: array}}``.
            grads: the gradients, a pytree shaped like ``params``.
            state: from ``init`` or the previous ``step``.
        """
        flat = flatten(params)
        sizes = np.array([np.size(leaf) for leaf in tree_leaves(params)])
        new_flat, state = self.update(flat, flatten(grads, dtype=flat.dtype), state, sizes)
        return unflatten(new_flat, params), state

    @staticmethod
    def next_step(state, *moments):
        """The new step count ``t`` and the moments to update from: every ``FLUSH_EVERY``
        steps their subnormal entries are set to 0 first (see ``flushed``)."""
        t = state["t"] + 1
        if t % FLUSH_EVERY == 0:
            moments = [flushed(moment) for moment in moments]
        return t, moments

    def clip(self, flat_grads, sizes):
        """Rescale each weight's gradient to norm <= clipnorm (Keras's per-weight clipnorm)."""
        if self.clipnorm is None:
            return flat_grads
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        norms = np.sqrt(np.add.reduceat(flat_grads.astype(np.float64) ** 2, starts))   # one per weight
        scales = np.where(norms > self.clipnorm, self.clipnorm / np.maximum(norms, 1e-300), 1.0)
        return flat_grads * np.repeat(scales, sizes).astype(flat_grads.dtype)


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
        self.momentum = check_fraction(momentum, "SGD: momentum")

    def init_flat(self, flat):
        return {"t": 0, "velocity": np.zeros_like(flat)}

    def update(self, flat, flat_grads, state, sizes):
        """The rule on flat vectors: returns ``(new flat weights, new state)``, changes nothing."""
        grads = self.clip(flat_grads, sizes)
        t, (velocity,) = self.next_step(state, state["velocity"])
        velocity = self.momentum * velocity - self.learning_rate * grads    # v = momentum v - lr g
        return flat + velocity, {"t": t, "velocity": velocity}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with Keras's update rule and defaults.

    At step t, for each weight p with gradient g:

        m = beta_1 m + (1 - beta_1) g
        v = beta_2 v + (1 - beta_2) g^2
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p = p - alpha * m / (sqrt(v) + epsilon)

    Args:
        learning_rate: default 1e-3.
        beta_1: decay rate of the first moment m, default 0.9.
        beta_2: decay rate of the second moment v, default 0.999.
        epsilon: default 1e-7 (Keras's; the paper's 1e-8).
        clipnorm: optional per-weight gradient norm limit.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, clipnorm=None):
        super().__init__(learning_rate, clipnorm)
        self.beta_1 = check_fraction(beta_1, "Adam: beta_1")
        self.beta_2 = check_fraction(beta_2, "Adam: beta_2")
        self.epsilon = check_positive(epsilon, "Adam: epsilon")

    def init_flat(self, flat):
        return {"t": 0, "m": np.zeros_like(flat), "v": np.zeros_like(flat)}

    def update(self, flat, flat_grads, state, sizes):
        """The rule on flat vectors (m, v like ``flat``): returns ``(new flat weights, new state)``,
        changes nothing."""
        g = self.clip(flat_grads, sizes)
        b1, b2 = self.beta_1, self.beta_2
        t, (m, v) = self.next_step(state, state["m"], state["v"])
        m = b1 * m + (1.0 - b1) * g                          # m = b1 m + (1 - b1) g
        v = b2 * v + (1.0 - b2) * (g * g)                    # v = b2 v + (1 - b2) g^2
        alpha = float(self.learning_rate * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t))
        return flat - alpha * m / (np.sqrt(v) + self.epsilon), {"t": t, "m": m, "v": v}


_BY_NAME = {"adam": Adam, "sgd": SGD}


def get(optimizer):
    """An optimizer from a name ("adam", "sgd": default settings) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in _BY_NAME:
        return _BY_NAME[optimizer.lower()]()
    raise ValueError(f"compile: unknown optimizer {optimizer!r}; expected one of "
                     f"{sorted(_BY_NAME)} or an instance such as minattn.optimizers.Adam()")
