"""Learning-rate schedules: objects an optimizer takes as its ``learning_rate``, with Keras's names.

A schedule maps the optimizer's step counter to a rate. As in Keras, the
counter a schedule sees is the number of steps already taken: the first
update uses ``schedule(0)``, the t-th ``schedule(t - 1)``. The counter lives
in the optimizer's state, which ``fit`` keeps from one call to the next, so a
second ``fit`` continues the schedule where the first stopped.

    from minattn.optimizers import AdamW
    from minattn.optimizers.schedules import CosineDecay
    rate = CosineDecay(0.0, decay_steps=2000, warmup_target=3e-3, warmup_steps=200)
    model.compile(AdamW(rate, weight_decay=0.01), loss=...)

Provided: ``CosineDecay`` (with optional linear warmup), ``ExponentialDecay``,
``PiecewiseConstantDecay``; write your own by subclassing
``LearningRateSchedule`` and defining ``__call__(step) -> rate``.

Stricter than Keras: step counts must be ints (Keras casts floats), rates
finite and >= 0, ``PiecewiseConstantDecay``'s boundaries increasing, and
``CosineDecay`` refuses ``warmup_steps`` without a ``warmup_target`` (Keras
ignores it). The rate is computed in Python floats (float64); Keras computes
it in its float type (float32 by default), a difference of float32 rounding.
"""
import math

from ..arguments import check_finite, check_int, check_positive, is_int


def check_rate(value, name):
    """``value`` as a finite float >= 0 (a schedule may start or end at 0)."""
    if check_finite(value, name) < 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


class LearningRateSchedule:
    """A rate that depends on the step: subclasses define ``__call__(step) -> float``.

    ``get_config()`` returns the constructor's arguments (Keras's method), so
    ``type(s)(**s.get_config())`` is the same schedule.
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must define __call__(step) -> learning rate")

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} must define get_config()")

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def cosine_fraction(completed, alpha):
    """Cosine decay's multiplier: 1 at ``completed`` = 0, ``alpha`` at 1 (and after)."""
    return (1.0 - alpha) * 0.5 * (1.0 + math.cos(math.pi * completed)) + alpha


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup (Keras's ``CosineDecay``).

    Without ``warmup_target``, at step s:

        rate = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * min(s, decay_steps) / decay_steps)) + alpha)

    With it, for the first ``warmup_steps`` steps the rate rises in a straight
    line from ``initial_learning_rate`` to ``warmup_target``:

        rate = initial_learning_rate + (warmup_target - initial_learning_rate) * s / warmup_steps

    then decays as above from ``warmup_target`` over the next ``decay_steps``
    steps (s counted from the end of the warmup), and stays at
    ``alpha * warmup_target`` after.

    Args:
        initial_learning_rate: the rate at step 0 (>= 0).
        decay_steps: steps the cosine takes to reach its floor, an int > 0.
        alpha: the floor as a fraction of the starting rate, in [0, 1] (default 0).
        name: Keras's name for the schedule (default "CosineDecay").
        warmup_target: the rate the warmup reaches, or None (default): no warmup.
        warmup_steps: the warmup's length in steps, an int >= 0 (default 0).
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = check_rate(initial_learning_rate, "CosineDecay: initial_learning_rate")
        self.decay_steps = check_int(decay_steps, "CosineDecay: decay_steps", low=1)
        self.alpha = check_finite(alpha, "CosineDecay: alpha")
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"CosineDecay: alpha must be a number in [0, 1], got {alpha!r}")
        self.name = name
        self.warmup_target = None if warmup_target is None else check_rate(warmup_target, "CosineDecay: warmup_target")
        self.warmup_steps = check_int(warmup_steps, "CosineDecay: warmup_steps", low=0)
        if self.warmup_target is None and self.warmup_steps:
            raise ValueError(f"CosineDecay: warmup_steps={warmup_steps} needs warmup_target, the rate "
                             "the warmup rises to (Keras would ignore warmup_steps without it)")

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            return self.initial_learning_rate * cosine_fraction(min(step, self.decay_steps) / self.decay_steps,
                                                                self.alpha)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:                       # the straight line up
            rise = self.warmup_target - self.initial_learning_rate
            return rise * (step / self.warmup_steps) + self.initial_learning_rate
        completed = (step - self.warmup_steps) / self.decay_steps
        return self.warmup_target * cosine_fraction(completed, self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class ExponentialDecay(LearningRateSchedule):
    """``rate = initial_learning_rate * decay_rate ** (step / decay_steps)`` (Keras's ``ExponentialDecay``).

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the
    rate drops by ``decay_rate`` once every ``decay_steps`` steps.

    Args:
        initial_learning_rate: the rate at step 0 (>= 0).
        decay_steps: an int > 0.
        decay_rate: the factor per ``decay_steps`` steps, a number > 0.
        staircase: decay in whole steps of ``decay_steps`` (default False).
        name: default "ExponentialDecay".
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        self.initial_learning_rate = check_rate(initial_learning_rate, "ExponentialDecay: initial_learning_rate")
        self.decay_steps = check_int(decay_steps, "ExponentialDecay: decay_steps", low=1)
        self.decay_rate = check_positive(decay_rate, "ExponentialDecay: decay_rate")
        if not isinstance(staircase, bool):
            raise ValueError(f"ExponentialDecay: staircase must be True or False, got {staircase!r}")
        self.staircase, self.name = staircase, name

    def __call__(self, step):
        exponent = float(step) / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial_learning_rate * self.decay_rate ** exponent

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """A rate constant between step boundaries (Keras's ``PiecewiseConstantDecay``).

    ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the
    last boundary. E.g. ``PiecewiseConstantDecay([100, 150], [1e-2, 1e-3, 1e-4])``.

    Args:
        boundaries: increasing ints, at least one.
        values: one more rate than boundaries, each >= 0.
        name: default "PiecewiseConstant".
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if not isinstance(boundaries, (list, tuple)) or not isinstance(values, (list, tuple)) \
                or not boundaries or len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: boundaries must be a non-empty list and values a "
                             f"list one longer, got boundaries={boundaries!r}, values={values!r}")
        if not all(is_int(b) for b in boundaries) or any(b >= c for b, c in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must be increasing ints (step counts), "
                             f"got {boundaries!r}")
        self.boundaries = [int(b) for b in boundaries]
        self.values = [check_rate(v, f"PiecewiseConstantDecay: values[{i}]") for i, v in enumerate(values)]
        self.name = name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": list(self.boundaries), "values": list(self.values), "name": self.name}
