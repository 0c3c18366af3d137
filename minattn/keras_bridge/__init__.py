"""Carry a minattn model into Keras 3 (on JAX) and bring Keras models back.

    from minattn.keras_bridge import to_keras, from_keras
    keras_model = to_keras(model)          # same graph, layer names and weights
    keras_model.save("model.keras")        # plain Keras from here on
    model = from_keras(keras_model)        # and back, to read and gradient-check it

Needs the optional extra: ``pip install -e ".[keras]"`` (Keras 3 + JAX, no
TensorFlow). ``import minattn`` never imports this package. The layers that
Keras has too become Keras's own; minattn's own attention layers become
the ``keras.ops`` layers of ``ops_*.py`` (the Transformer blocks with
keras_hub's arguments and weight order), registered so the ``.keras`` file
loads wherever ``minattn.keras_bridge`` is imported. ``registry.py`` is the
table of which layer becomes which; docs/scale-out.md is the guide.
"""
from . import custom_bridges, standard_layers, standard_sequence, transformer_bridges  # noqa: F401  (fill the registry)
from .backend import import_keras
from .exporting import to_keras
from .importing import from_keras
from .registry import BY_KERAS, BY_MINATTN, register

__all__ = ["to_keras", "from_keras", "register", "import_keras", "BY_MINATTN", "BY_KERAS"]
