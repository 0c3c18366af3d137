"""The one table of which minattn layer becomes which Keras layer, and back.

Each ``Bridge`` knows one pair of classes:

* ``export(layer, dtype) -> keras_layer``: a Keras layer with ``layer``'s
  settings (weights are copied later, in ``get_weights`` order, which is the
  same on both sides);
* ``call(keras_layer, inputs, layer) -> outputs``: how to call it on Keras
  tensors (default ``keras_layer(inputs)``), for layers whose call
  arguments differ (MultiHeadAttention, recurrent layers with a state);
* ``load(keras_layer, node) -> layer``: the minattn layer with the Keras
  layer's settings, from the Keras layer and its call (``node``, for call
  arguments such as ``use_causal_mask``);
  it raises ``ValueError`` for a setting minattn does not have.

Adding a layer is one ``register(...)`` call. The Transformer layers
(``transformer_bridges.py``) show both kinds: LayerNormalization becomes
Keras's own layer, and the keras_hub-style blocks and position layers become
``keras.ops`` layers (``ops_transformer.py``, ``ops_position.py``) with
keras_hub's arguments and weight order (keras_hub itself pulls TensorFlow in)::

    register(layers.TransformerEncoder, "minattn>TransformerEncoder", export, load)

``tests/keras_bridge/test_keras_bridge_layers.py`` fails if a Transformer layer in
``minattn.layers`` has no entry here. ``register`` takes class *names*
on the Keras side, so a module can register without the Keras class being
importable here.
"""
from dataclasses import dataclass
from typing import Callable, Optional


@dataclass
class Bridge:
    minattn_class: type
    keras_class_name: str                 # e.g. "Dense", or "minattn>AttentionPooling" for ours
    export: Callable
    load: Optional[Callable] = None
    call: Optional[Callable] = None


BY_MINATTN = {}        # minattn class -> Bridge
BY_KERAS = {}          # Keras registered name -> Bridge


def register(minattn_class, keras_class_name, export, load=None, call=None):
    """Add (or replace) the bridge between ``minattn_class`` and the Keras class ``keras_class_name``."""
    bridge = Bridge(minattn_class, keras_class_name, export, load, call)
    BY_MINATTN[minattn_class] = bridge
    BY_KERAS[keras_class_name] = bridge
    return bridge


def also_load(keras_class_name, load, minattn_class):
    """Read a second Keras class into ``minattn_class`` (e.g. our ScoredAttention into Attention)."""
    BY_KERAS[keras_class_name] = Bridge(minattn_class, keras_class_name, None, load)


def keras_name_of(keras_layer):
    """The registered name of a Keras layer's class: "Dense", or "minattn>AttentionPooling"."""
    from keras.saving import get_registered_name
    return get_registered_name(type(keras_layer))


def bridge_for_minattn(layer):
    """The Bridge of ``layer``'s class, or a ValueError saying the layer cannot be exported."""
    bridge = BY_MINATTN.get(type(layer))
    if bridge is None:
        raise ValueError(f"{type(layer).__name__} '{layer.name}' has no Keras counterpart in "
                         f"minattn.keras_bridge; exportable layers: "
                         f"{sorted(c.__name__ for c in BY_MINATTN)}")
    return bridge


def bridge_for_keras(keras_layer):
    """The Bridge of a Keras layer's class, or a ValueError saying minattn has no such layer."""
    name = keras_name_of(keras_layer)
    bridge = BY_KERAS.get(name)
    if bridge is None or bridge.load is None:
        raise ValueError(f"Keras layer '{keras_layer.name}' ({name}) has no minattn counterpart; "
                         f"layers minattn can read: {sorted(k for k, b in BY_KERAS.items() if b.load)}")
    return bridge
