"""Optimizers, written out by hand, over the weights pytree ``{layer: {weight: array}}``.

An optimizer holds only its settings. Its state (step count, moments) is a
separate value, so one training step is a pure function:

    state = optimizer.init(params)
    params, state = optimizer.step(params, grads, state)

Inside, as autograd's own optimizers do, ``step`` flattens the weights and
the gradients into one vector each and applies the update, ``update``, to
whole vectors -- the maths is written once, there. (The fast path keeps its
weights in one flat buffer all along and calls ``update`` directly.)

Keras's names, arguments and defaults: ``SGD``, ``Adam``, ``AdamW``, each
with ``weight_decay``, ``clipnorm``, ``clipvalue`` and ``global_clipnorm``,
and a ``learning_rate`` that is a number or a schedule
(``minattn.optimizers.schedules``). Not provided: Keras's ``use_ema``,
``loss_scale_factor``, ``gradient_accumulation_steps`` and ``name`` (passing
one is a TypeError naming it).

The code: ``base.py`` -- the step every optimizer shares (rate, clipping,
weight decay, state); ``sgd.py``, ``adam.py`` -- the update rules;
``clipping.py``, ``weight_decay.py``, ``schedules.py`` -- the parts.
"""
from . import schedules
from .adam import Adam, AdamW
from .base import FLUSH_EVERY, Optimizer, flushed
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "schedules", "get"]

BY_NAME = {"adam": Adam, "adamw": AdamW, "sgd": SGD}


def get(optimizer):
    """An optimizer from a name ("adam", "adamw", "sgd": default settings) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in BY_NAME:
        return BY_NAME[optimizer.lower()]()
    raise ValueError(f"compile: unknown optimizer {optimizer!r}; expected one of "
                     f"{sorted(BY_NAME)} or an instance such as minattn.optimizers.Adam()")
