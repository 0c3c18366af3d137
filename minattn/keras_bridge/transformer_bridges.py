"""Bridges for the Transformer layers: one ``register`` each.

``LayerNormalization`` becomes Keras's own, except in a float64 export while
Keras's is float32-accurate there (``ops_position.layer_norm_loses_float64``):
then our ``minattn>LayerNormalization``, which reads back the same. The
keras_hub layers become the ``keras.ops`` layers of ``ops_position.py`` and
``ops_transformer.py`` (keras_hub's arguments and weight order).
"""
from .. import activations as minattn_activations
from .. import layers
from . import ops_position, ops_transformer
from .activations import KERAS_NAMES
from .backend import import_keras
from .registry import also_load, register
from .standard_layers import refuse_settings, where

keras = import_keras()


# -- LayerNormalization --------------------------------------------------------------
def norm_settings(layer):
    axis = layer.axis[0] if len(layer.axis) == 1 else list(layer.axis)
    return dict(axis=axis, epsilon=layer.epsilon, center=layer.center, scale=layer.scale)


def export_layer_norm(layer, dtype):
    if dtype == "float64" and ops_position.layer_norm_loses_float64():
        return ops_position.LayerNormalization(**norm_settings(layer), name=layer.name, dtype=dtype)
    return keras.layers.LayerNormalization(**norm_settings(layer), name=layer.name, dtype=dtype)


def load_layer_norm(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"rms_scaling": False, "beta_regularizer": None, "gamma_regularizer": None,
                            "beta_constraint": None, "gamma_constraint": None})
    axis = tuple(c["axis"]) if isinstance(c["axis"], (list, tuple)) else c["axis"]
    return layers.LayerNormalization(axis=axis, epsilon=c["epsilon"], center=c["center"], scale=c["scale"],
                                     name=kl.name)


register(layers.LayerNormalization, "LayerNormalization", export_layer_norm, load_layer_norm)
also_load("minattn>LayerNormalization", load_layer_norm, layers.LayerNormalization)


# -- keras_hub's position layers ------------------------------------------------------
def export_token_and_position(layer, dtype):
    return ops_position.TokenAndPositionEmbedding(
        vocabulary_size=layer.vocabulary_size, sequence_length=layer.sequence_length,
        embedding_dim=layer.embedding_dim, mask_zero=layer.mask_zero, name=layer.name, dtype=dtype)


def load_token_and_position(kl, node):
    return layers.TokenAndPositionEmbedding(kl.vocabulary_size, kl.sequence_length, kl.embedding_dim,
                                            mask_zero=kl.mask_zero, name=kl.name)


register(layers.TokenAndPositionEmbedding, "minattn>TokenAndPositionEmbedding", export_token_and_position,
         load_token_and_position)
register(layers.SinePositionEncoding, "minattn>SinePositionEncoding",
         lambda layer, dtype: ops_position.SinePositionEncoding(max_wavelength=layer.max_wavelength,
                                                                name=layer.name, dtype=dtype),
         lambda kl, node: layers.SinePositionEncoding(kl.max_wavelength, name=kl.name))


# -- the blocks ----------------------------------------------------------------------
def block_settings(layer):
    """keras_hub's constructor arguments of a minattn Transformer block; refuses what cannot be written."""
    activation = minattn_activations.name_of(layer.activation)
    if activation not in KERAS_NAMES:
        raise ValueError(f"{where(layer)}: activation {activation!r} has no Keras counterpart; use one of "
                         f"{sorted(KERAS_NAMES)}")
    for setting in ("kernel_initializer", "bias_initializer"):
        if not isinstance(getattr(layer, setting), str):
            raise ValueError(f"{where(layer)}: {setting}={getattr(layer, setting)!r} cannot be written to a "
                             "Keras config; give it by name (the weights are copied over anyway)")
    return dict(intermediate_dim=layer.intermediate_dim, num_heads=layer.num_heads, dropout=layer.dropout,
                activation=activation, layer_norm_epsilon=layer.layer_norm_epsilon,
                kernel_initializer=layer.kernel_initializer, bias_initializer=layer.bias_initializer,
                normalize_first=layer.normalize_first)


def block(minattn_class, keras_class):
    def export(layer, dtype):
        return keras_class(**block_settings(layer), name=layer.name, dtype=dtype)

    def load(kl, node):
        return minattn_class(**{s: getattr(kl, s) for s in keras_class.SETTINGS}, name=kl.name)
    register(minattn_class, f"minattn>{keras_class.__name__}", export, load)


block(layers.TransformerEncoder, ops_transformer.TransformerEncoder)
block(layers.TransformerDecoder, ops_transformer.TransformerDecoder)
