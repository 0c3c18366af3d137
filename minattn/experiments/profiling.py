"""What autograd records: the primitive calls a function makes while traced.

On small models the cost of a training step is mostly autograd's bookkeeping,
about the same for every recorded primitive whatever its size, so the number
of recorded primitives is the first thing to look at when a step is slow
(``benchmarks/profile_step.py`` prints it for the article models).
"""
from collections import Counter

from autograd.tracer import Node, trace


def recorded_primitives(function, x):
    """The names of the autograd primitives recorded, in order, while ``function(x)`` runs.

    ``x`` is traced as ``autograd.grad(function)`` would trace it, so
    operations that do not depend on ``x`` are not recorded (and not counted).

    Args:
        function: a function of one argument (wrap others in a lambda).
        x: its argument: an array or a pytree of arrays.

    Returns:
        A list of primitive names, e.g. ``['take_weight', 'dense', 'multiply', ...]``.
    """
    names = []

    class Recorder(Node):            # autograd makes one node per recorded primitive call
        def __init__(self, value, fun, args, kwargs, parent_argnums, parents):
            names.append(fun.__name__)

        def initialize_root(self):
            pass

    trace(Recorder.new_root(), function, x)
    return names


def count_primitives(function, x):
    """``Counter`` of the names ``recorded_primitives(function, x)`` returns."""
    return Counter(recorded_primitives(function, x))
