"""Activations by name, both ways, and two registered Keras functions:
minattn's Keras-2 hard sigmoid, and a tanh that keeps float64.

Keras 3.15's ``keras.ops.tanh`` (and ``sin``, ``cos``) return float32 for
a float64 input on JAX; ``tanh_float64`` computes the same function as
``2 sigmoid(2x) - 1`` (sigmoid keeps float64). A float64 export uses it in
place of "tanh" only while ``keras.ops.tanh`` has that fault.
"""
import numpy as np

from .. import activations as minattn_activations
from .backend import import_keras

keras = import_keras()

# minattn name -> the name Keras 3 knows the same function by
KERAS_NAMES = {"linear": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
               "relu6": "relu6", "softmax": "softmax", "hard_sigmoid": "hard_sigmoid",
               "hard_swish": "hard_swish", "gelu": "gelu", "legacy_hard_sigmoid": "minattn>legacy_hard_sigmoid"}
MINATTN_NAMES = {keras_name: name for name, keras_name in KERAS_NAMES.items()}
MINATTN_NAMES["hard_silu"] = "hard_swish"          # Keras 3's other name for it
MINATTN_NAMES["minattn>tanh_float64"] = "tanh"


@keras.saving.register_keras_serializable(package="minattn")
def legacy_hard_sigmoid(x):
    """Keras 2's hard sigmoid ``clip(0.2 x + 0.5, 0, 1)`` (the default of Keras 2's LSTM gates)."""
    return keras.ops.clip(0.2 * x + 0.5, 0.0, 1.0)


@keras.saving.register_keras_serializable(package="minattn")
def tanh_float64(x):
    """tanh as ``2 sigmoid(2x) - 1``: the same function, in the input's float type."""
    return 2.0 * keras.ops.sigmoid(2.0 * x) - 1.0


def tanh_loses_float64():
    """True while ``keras.ops.tanh`` turns a float64 array into float32 (checked, not assumed)."""
    return keras.backend.standardize_dtype(keras.ops.tanh(np.zeros(1)).dtype) != "float64"


def to_keras_activation(function, where, dtype="float32"):
    """The Keras activation (a name, or our registered function) for a minattn activation function."""
    name = minattn_activations.name_of(function)
    if name not in KERAS_NAMES:
        raise ValueError(f"{where}: activation {name!r} has no Keras counterpart; use one of "
                         f"{sorted(KERAS_NAMES)}")
    if name == "tanh" and dtype == "float64" and tanh_loses_float64():
        return tanh_float64
    return legacy_hard_sigmoid if name == "legacy_hard_sigmoid" else KERAS_NAMES[name]


def keras_activation(name):
    """The Keras function for the minattn activation ``name``, keeping float64 (for our keras.ops layers)."""
    function = minattn_activations.get(name, "keras_bridge")
    found = to_keras_activation(function, f"activation {name!r}", "float64")
    return found if callable(found) else keras.activations.get(found)


def from_keras_activation(config_value, where):
    """The minattn activation name for a Keras layer's ``activation`` config entry."""
    if isinstance(config_value, dict):       # a registered function: {"config": "minattn>...", ...}
        config_value = config_value.get("config")
    name = MINATTN_NAMES.get(config_value)
    if name is None:
        raise ValueError(f"{where}: Keras activation {config_value!r} has no minattn counterpart; "
                         f"minattn has {sorted(MINATTN_NAMES)}")
    return name
