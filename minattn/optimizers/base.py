"""What every optimizer shares: the rate (a number or a schedule), clipping, weight decay, the pure step.

One step, in Keras's order (``BaseOptimizer.apply``), at step t (from 1):

    lr = learning_rate                 a schedule gives schedule(t - 1)
    g  = clip(g)                       clipnorm, clipvalue or global_clipnorm (one at most)
    p  = p - p * weight_decay * lr     decoupled weight decay, weights not excluded
    p, moments = rule(p, g, lr, t)     SGD's or Adam's update

The optimizer holds only settings; the state -- step count ``t``, the
moments as flat vectors, the weights' paths -- is a separate value, so a
step is a pure function (see the package docstring).
"""
import math
import numbers

import numpy as np

from ..arguments import check_finite, check_positive
from ..pytree import flatten, named_leaves, tree_leaves, unflatten
from .clipping import clip_each_norm, clip_global_norm, clip_values
from .schedules import LearningRateSchedule
from .weight_decay import DecayExclusions

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
    """Shared parts: the rate, clipping, weight decay, ``init`` and the pure ``step`` / ``update``.

    A subclass names its moments (``moment_names``) and defines
    ``rule(flat, grads, moments, lr, t) -> (flat, moments)``.

    Args:
        learning_rate: a positive number, or a ``schedules.LearningRateSchedule``.
        weight_decay: None (none) or a number >= 0: ``p -= p * weight_decay * lr``
            each step, before the rule (see ``exclude_from_weight_decay``).
        clipnorm: limit each weight's gradient norm to this (> 0).
        clipvalue: limit each gradient entry to ``[-clipvalue, clipvalue]``.
        global_clipnorm: limit the norm of all gradients together to this.
            At most one of the three clips may be set (as in Keras).
    """
    moment_names = ()

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
        label = type(self).__name__
        self.learning_rate = learning_rate
        self.weight_decay = None if weight_decay is None else check_finite(weight_decay, f"{label}: weight_decay")
        if self.weight_decay is not None and self.weight_decay < 0:
            raise ValueError(f"{label}: weight_decay must be a number >= 0, got {weight_decay!r}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(value is not None for value in clips.values()) > 1:
            raise ValueError(f"{label}: only one of clipnorm, clipvalue and global_clipnorm can be set, got "
                             + ", ".join(f"{key}={value!r}" for key, value in clips.items()))
        for key, value in clips.items():
            setattr(self, key, None if value is None else check_positive(value, f"{label}: {key}"))
        self.exclusions = DecayExclusions()

    # -- the rate ---------------------------------------------------------------------------
    @property
    def learning_rate(self):
        """The rate as given: a positive float (set it between steps, as ``LearningRateScheduler``
        and ``ReduceLROnPlateau`` do) or a schedule (then it cannot be set to a number, as in Keras).
        ``learning_rate_at(step)`` is the number a step uses."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, LearningRateSchedule):
            self._learning_rate = value
            return
        if isinstance(getattr(self, "_learning_rate", None), LearningRateSchedule):
            raise TypeError(f"{type(self).__name__}: this optimizer was created with a learning-rate schedule "
                            f"({self._learning_rate!r}), so its rate cannot be set to {value!r} (as in Keras); "
                            "create it with a number as learning_rate to change the rate during training")
        self._learning_rate = check_positive(
            value, f"{type(self).__name__}: learning_rate (a number, or a schedule from minattn.optimizers.schedules)")

    def learning_rate_at(self, iterations):
        """The rate of the step after ``iterations`` steps taken (a schedule sees ``iterations``, as Keras's)."""
        if not isinstance(self._learning_rate, LearningRateSchedule):
            return self._learning_rate
        rate = self._learning_rate(iterations)
        if not (isinstance(rate, numbers.Real) and not isinstance(rate, bool) and math.isfinite(rate) and rate >= 0):
            raise ValueError(f"{type(self).__name__}: the schedule {self._learning_rate!r} gave the rate "
                             f"{rate!r} at step {iterations}; expected a finite number >= 0")
        return float(rate)

    # -- weight decay -----------------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leave some weights out of weight decay (Keras's method; each call replaces the last).

        Args:
            var_list: weight paths such as ``"dense_1/kernel"`` (Keras: variables).
            var_names: strings searched in each weight's name, e.g. ``["bias", "gamma", "beta"]``.
        See ``minattn.optimizers.weight_decay`` for how names are matched.
        """
        self.exclusions = DecayExclusions(var_list, var_names)

    def decayed(self, flat, lr, state, sizes):
        """``flat - flat * weight_decay * lr`` where the weight is not excluded (a new vector)."""
        if not self.weight_decay:
            return flat
        if not self.exclusions:
            return flat - flat * (self.weight_decay * lr)
        if state.get("paths") is None:
            raise ValueError(f"{type(self).__name__}: exclude_from_weight_decay needs the weights' paths; "
                             "start the state with init(params), not init_flat")
        return flat - flat * self.exclusions.mask(state["paths"], sizes, flat.dtype) * (self.weight_decay * lr)

    # -- clipping ---------------------------------------------------------------------------
    def clip(self, flat_grads, sizes):
        """The gradients after this optimizer's clip, if any (see ``clipping``)."""
        if self.clipnorm is not None:
            return clip_each_norm(flat_grads, sizes, self.clipnorm)
        if self.global_clipnorm is not None:
            return clip_global_norm(flat_grads, self.global_clipnorm)
        if self.clipvalue is not None:
            return clip_values(flat_grads, self.clipvalue)
        return flat_grads

    # -- the state and the step -------------------------------------------------------------
    def init(self, params):
        """The optimizer's state for these weights: ``t = 0``, zero moments as flat vectors, and
        the weights' paths ("layer/weight", in ``tree_leaves`` order) for weight-decay exclusions."""
        return dict(self.init_flat(flatten(params)), paths=tuple(path for path, _ in named_leaves(params)))

    def init_flat(self, flat):
        """The state for a flat weight vector (no paths: nothing can be excluded from weight decay)."""
        return dict({"t": 0}, **{name: np.zeros_like(flat) for name in self.moment_names})

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

    def update(self, flat, flat_grads, state, sizes):
        """The step on flat vectors: returns ``(new flat weights, new state)``, changes nothing.

        Args:
            flat: all weights joined into one 1-D vector.
            flat_grads: their gradients, the same shape.
            state: from ``init`` / ``init_flat`` or the previous update.
            sizes: each weight's element count, in order (for per-weight clipping
                and exclusions; None: one weight).
        """
        lr = self.learning_rate_at(state["t"])
        grads = self.clip(flat_grads, sizes)
        flat = self.decayed(flat, lr, state, sizes)
        t, moments = self.next_step(state)
        flat, moments = self.rule(flat, grads, moments, lr, t)
        return flat, dict(state, t=t, **moments)

    def next_step(self, state):
        """The new step count ``t`` and the moments ``{name: vector}`` to update from: every
        ``FLUSH_EVERY`` steps their subnormal entries are set to 0 first (see ``flushed``)."""
        t = state["t"] + 1
        moments = {name: state[name] for name in self.moment_names}
        if t % FLUSH_EVERY == 0:
            moments = {name: flushed(moment) for name, moment in moments.items()}
        return t, moments

    def rule(self, flat, grads, moments, lr, t):
        raise NotImplementedError(f"{type(self).__name__} must define rule(flat, grads, moments, lr, t)")
