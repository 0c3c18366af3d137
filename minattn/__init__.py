"""minattn: attention, and the deep-learning engine under it, in pure NumPy + autograd.

    from minattn import Input, Model
    from minattn.layers import Dense, Multiply
    from minattn.optimizers import Adam

Models run on the fast path by default (``minattn/fast/``: one record -- a
forward and a hand-written backward pass -- per fast op, one tape-free step
in ``fit`` on a flat weight buffer); ``minattn.set_fast(False)``, or
``with minattn.readable():`` for a block, runs the readable path instead --
every layer's ``apply`` and ``fit``'s ``value_and_grad`` then
``optimizer.step``. The code that runs the graph chooses (``Model.apply``,
``fit``); the layers never import the fast wing. (``set_fused``, ``traced``
and ``fused_enabled`` are the previous release's names of the same switch.)
``docs/start-here.md`` gives the order to read the engine in.
"""
from . import activations, callbacks, gradcheck, initializers, layers, losses, metrics, optimizers, saving
from .config import fast_enabled, floatx, readable, rng, set_fast, set_floatx, set_random_seed
from .config import fused as fused_enabled, set_fused, traced      # deprecated aliases, one release
from .layers.input_layer import Input
from .layers.vocabulary import clear_session
from .model import Model
from .callbacks import History

__version__ = "0.1.0"

__all__ = ["Input", "Model", "History", "floatx", "set_floatx", "set_random_seed", "rng", "set_fast",
           "fast_enabled", "readable", "set_fused", "fused_enabled", "traced",
           "clear_session", "activations", "callbacks", "gradcheck", "initializers", "layers", "losses",
           "metrics", "optimizers", "saving"]
