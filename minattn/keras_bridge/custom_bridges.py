"""Bridges for minattn's own layers: each becomes the ``keras.ops`` layer of the same name
(``ops_attention.py``, ``ops_pooling.py``, ``ops_vision.py``) with the same settings,
and comes back from it. ``Attention`` becomes Keras's own ``Attention`` for the
"dot" score and our ``ScoredAttention`` for the others.
"""
from .. import layers
from . import ops_attention, ops_pooling, ops_vision
from .backend import import_keras
from .registry import also_load, register
from .standard_sequence import call_attention, load_attention


def custom(minattn_class, keras_class, settings, minattn_settings=None, to_keras=None):
    """Register ``minattn_class`` <-> our Keras ``keras_class`` with ``settings`` copied both ways.

    ``to_keras(layer)`` gives the settings when they are not plain attributes
    of the minattn layer of the same names.
    """
    def export(layer, dtype):
        values = to_keras(layer) if to_keras else {s: getattr(layer, s) for s in settings}
        return keras_class(**values, name=layer.name, dtype=dtype)

    def load(kl, node):
        values = {s: getattr(kl, s) for s in settings}
        values = minattn_settings(values) if minattn_settings else values
        return minattn_class(**values, name=kl.name)
    register(minattn_class, f"minattn>{keras_class.__name__}", export, load)


custom(layers.AttentionPooling, ops_pooling.AttentionPooling, ("use_bias", "return_attention"))
custom(layers.AttentionWithContext, ops_pooling.AttentionWithContext, ("context", "use_bias", "return_attention"))
custom(layers.StructuredSelfAttention, ops_pooling.StructuredSelfAttention, ("da", "r", "return_attention"))
custom(layers.KeyValueAttention, ops_attention.KeyValueAttention, ("window", "units", "return_attention"))
custom(layers.PositionalEncoding, ops_attention.PositionalEncoding, ("max_wavelength",))
custom(layers.SqueezeExcite, ops_vision.SqueezeExcite, ("ratio", "gate", "return_weights"),
       to_keras=lambda layer: {"ratio": layer.ratio, "gate": layer.gate_name,
                               "return_weights": layer.return_weights})


def spatial_transformer_settings(layer):
    if layer.layers:
        raise ValueError(f"SpatialTransformer '{layer.name}': a localisation network of layers "
                         f"({[inner.name for inner in layer.layers]}) cannot be exported yet; build it "
                         "with Dense sizes instead (localization=(32,)), or export the layers "
                         "outside the SpatialTransformer")
    return {"units": list(layer.units), "output_size": layer.output_size, "return_theta": layer.return_theta}


custom(layers.SpatialTransformer, ops_vision.SpatialTransformer, ("units", "output_size", "return_theta"),
       minattn_settings=lambda v: {"localization": tuple(v["units"]),
                                   "output_size": None if v["output_size"] is None else tuple(v["output_size"]),
                                   "return_theta": v["return_theta"]},
       to_keras=spatial_transformer_settings)


# -- Attention: Keras's own for "dot", ours for the other scores --------------------
def export_attention(layer, dtype):
    score = layer.score.name
    if score == "dot":
        return import_keras().layers.Attention(name=layer.name, dtype=dtype)
    if score is None:
        raise ValueError(f"Attention '{layer.name}': a custom Score object cannot be exported; "
                         "use one of the named scores")
    return ops_attention.ScoredAttention(score=score, units=layer.score.units, causal=layer.causal,
                                         return_attention_scores=layer.return_attention_scores,
                                         name=layer.name, dtype=dtype)


def call_any_attention(keras_layer, inputs, layer):
    if isinstance(keras_layer, ops_attention.ScoredAttention):
        return keras_layer(inputs)
    return call_attention(keras_layer, inputs, layer)


def load_scored_attention(kl, node):
    return layers.Attention(kl.score, units=kl.units, causal=kl.causal,
                            return_attention_scores=kl.return_attention_scores, name=kl.name)


register(layers.Attention, "Attention", export_attention, load_attention, call_any_attention)
also_load("minattn>ScoredAttention", load_scored_attention, layers.Attention)
