"""Keras 3's arguments of the model's methods that are not data: ``verbose``, ``batch_size``, and
the ones minattn does not offer.

``Model.fit``, ``evaluate``, ``predict``, ``compile``, ``save_weights``,
``load_weights`` and ``summary`` take Keras 3's arguments in Keras's order, so
a call written for Keras means the same here. An argument minattn has no
use for is accepted only at its Keras default (``steps_per_epoch=None``,
``jit_compile="auto"``); any other value is a ``ValueError`` naming it --
never accepted and silently ignored.
"""
from .arguments import check_int, check_positive_int

DEFAULT_BATCH_SIZE = 32          # Keras's batch_size=None


def verbose_level(verbose, where):
    """Keras's ``verbose``: "auto" is 1; 0 silent, 1 a progress bar, 2 one line (per epoch)."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, str):
        raise ValueError(f"{where}: verbose must be 'auto', 0, 1 or 2, got {verbose!r}")
    return check_int(verbose, f"{where}: verbose", low=0, high=2)


def batch_size_or_default(batch_size, where):
    """Keras's ``batch_size``: None means 32; else a positive int."""
    return DEFAULT_BATCH_SIZE if batch_size is None else check_positive_int(batch_size, f"{where}: batch_size")


def refuse_unless_default(where, given, why="minattn does not offer it"):
    """Raise ``ValueError`` for the first argument in ``given`` not at its Keras default.

    Args:
        where: who asks, e.g. ``"Model 'model_1' fit"``.
        given: ``{name: (value, default)}``; a default may be a tuple of accepted values.
        why: what the message says after naming the argument.
    """
    for name, (value, default) in given.items():
        accepted = default if isinstance(default, tuple) else (default,)
        if not any(value is ok or (type(value) is type(ok) and value == ok) for ok in accepted):
            shown = " or ".join(repr(ok) for ok in accepted)
            raise ValueError(f"{where}: {name}={value!r} is not supported ({why}); leave it at {shown}")


def refuse_extra_keywords(where, kwargs):
    """``TypeError`` naming the first keyword a method does not know (Keras's ``**kwargs`` rest)."""
    if kwargs:
        raise TypeError(f"{where}: got an unexpected keyword argument {sorted(kwargs)[0]!r}")


def check_compile_options(where, loss_weights, weighted_metrics, run_eagerly, steps_per_execution,
                          jit_compile, auto_scale_loss):
    """``compile``'s execution options: what minattn honours, and the rest refused by name.

    minattn always runs eagerly in NumPy, with no compilation and no loss
    scaling, so ``run_eagerly`` (True or False), ``jit_compile`` "auto" or
    False and ``auto_scale_loss`` (True or False) all describe what it does.
    """
    refuse_unless_default(where, {
        "loss_weights": (loss_weights, None), "weighted_metrics": (weighted_metrics, (None, [], ())),
        "steps_per_execution": (steps_per_execution, 1), "jit_compile": (jit_compile, ("auto", False)),
        "run_eagerly": (run_eagerly, (False, True)), "auto_scale_loss": (auto_scale_loss, (True, False))})
