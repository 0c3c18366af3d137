"""minattn: attention, and the deep-learning engine under it, in pure NumPy + autograd.

    from minattn import Input, Model
    from minattn.layers import Dense, Multiply
    from minattn.optimizers import Adam

Models run on the fast path by default (``minattn/fast/``: hand-written
kernels, a flat weight buffer in ``fit``); ``minattn.set_fused(False)``, or
``with minattn.traced():`` for a block, runs the readable path instead --
every layer's ``apply`` and ``fit``'s ``value_and_grad`` then
``optimizer.step``. The two meet at one seam, ``Layer.forward``.
``docs/start-here.md`` gives the order to read the engine in.
"""
from . import activations, callbacks, gradcheck, initializers, layers, losses, metrics, optimizers, saving
from .config import floatx, fused as fused_enabled, rng, set_floatx, set_fused, set_random_seed, traced
from .fast import kernels as _register_fast_kernels  # noqa: F401  (registers the fast kernels)
from .fast import rules as _register_fast_rules  # noqa: F401  (and the tape-free step's rules)
from .layers.input_layer import Input
from .layers.vocabulary import clear_session
from .model import Model
from .callbacks import History

__version__ = "0.1.0"

__all__ = ["Input", "Model", "History", "floatx", "set_floatx", "set_random_seed", "rng", "set_fused",
           "fused_enabled", "traced",
           "clear_session", "activations", "callbacks", "gradcheck", "initializers", "layers", "losses",
           "metrics", "optimizers", "saving"]
