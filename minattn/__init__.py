"""minattn: attention, and the deep-learning engine under it, in pure NumPy + autograd.

    from minattn import Input, Model
    from minattn.layers import Dense, Multiply
    from minattn.optimizers import Adam
"""
from . import activations, fused, gradcheck, initializers, layers, losses, metrics, optimizers
from .config import floatx, fused as fused_enabled, rng, set_floatx, set_fused, set_random_seed
from .layers.input_layer import Input
from .layers.vocabulary import clear_session
from .model import Model
from .training import History

__version__ = "0.1.0"

__all__ = ["Input", "Model", "History", "floatx", "set_floatx", "set_random_seed", "rng", "set_fused",
           "fused_enabled",
           "clear_session", "activations", "gradcheck", "initializers", "layers", "losses",
           "metrics", "optimizers"]
