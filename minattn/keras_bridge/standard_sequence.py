"""Bridges for the sequence layers Keras 3 has too: LSTM, GRU, Bidirectional,
Attention (the "dot" score) and MultiHeadAttention.

Weights need no reordering: minattn keeps Keras's layouts (LSTM gates
i, f, c, o; GRU z, r, h with a (2, 3 units) bias when ``reset_after``;
Bidirectional forward then backward; MultiHeadAttention's eight arrays).

Known difference, by design of the two libraries: at a *masked query step*
minattn's MultiHeadAttention outputs 0, Keras's an average over the keys.
Both pass the query mask on, so a layer that reads the mask (pooling, a
recurrent layer) ignores those steps either way.
"""
import functools

import numpy as np

from .. import layers
from .activations import from_keras_activation, to_keras_activation
from .backend import import_keras
from .registry import register
from .standard_layers import refuse_settings, where

keras = import_keras()
K = keras.layers

RNN_REFUSED = {"dropout": 0.0, "recurrent_dropout": 0.0, "stateful": False, "unroll": False,
               "kernel_regularizer": None, "recurrent_regularizer": None, "bias_regularizer": None}


# -- LSTM and GRU ------------------------------------------------------------------
def recurrent_settings(layer, dtype):
    """The settings LSTM and GRU share, as Keras arguments."""
    return dict(activation=to_keras_activation(layer.activation, where(layer), dtype),
                recurrent_activation=to_keras_activation(layer.recurrent_activation, where(layer), dtype),
                use_bias=layer.use_bias, return_sequences=layer.return_sequences,
                return_state=layer.return_state, go_backwards=layer.go_backwards)


def export_lstm(layer, dtype, name=None):
    return K.LSTM(layer.units, unit_forget_bias=layer.unit_forget_bias, name=name or layer.name,
                  dtype=dtype, **recurrent_settings(layer, dtype))


def export_gru(layer, dtype, name=None):
    return K.GRU(layer.units, reset_after=layer.reset_after, name=name or layer.name, dtype=dtype,
                 **recurrent_settings(layer, dtype))


def load_recurrent(kl, name=None):
    """minattn LSTM or GRU with the Keras layer's settings."""
    c = kl.get_config()
    refuse_settings(kl, c, RNN_REFUSED)
    shared = dict(activation=from_keras_activation(c["activation"], kl.name),
                  recurrent_activation=from_keras_activation(c["recurrent_activation"], kl.name),
                  use_bias=c["use_bias"], return_sequences=c["return_sequences"],
                  return_state=c["return_state"], go_backwards=c["go_backwards"], name=name or kl.name)
    if isinstance(kl, K.LSTM):
        return layers.LSTM(c["units"], unit_forget_bias=c["unit_forget_bias"], **shared)
    return layers.GRU(c["units"], reset_after=c["reset_after"], **shared)


def call_recurrent(keras_layer, inputs, layer):
    """``[x, *states]`` in minattn is ``layer(x, initial_state=states, mask=x's mask)`` in Keras.

    Keras fills in ``mask`` by itself only for a call on one tensor, so with
    initial states the sequence's mask is passed by hand (as a Keras user must).
    """
    if isinstance(inputs, list):
        x = inputs[0]
        return keras_layer(x, initial_state=inputs[1:], mask=getattr(x, "_keras_mask", None))
    return keras_layer(inputs)


register(layers.LSTM, "LSTM", export_lstm, lambda kl, node: load_recurrent(kl), call_recurrent)
register(layers.GRU, "GRU", export_gru, lambda kl, node: load_recurrent(kl), call_recurrent)


def export_bidirectional(layer, dtype):
    inner = layer.forward_layer                      # the wrapped layer's settings, go_backwards as given
    name = inner.name[len("forward_"):]
    make = export_lstm if isinstance(inner, layers.LSTM) else export_gru
    return K.Bidirectional(make(inner, dtype, name=name), merge_mode=layer.merge_mode, name=layer.name,
                           dtype=dtype)


def load_bidirectional(kl, node):
    inner = load_recurrent(kl.forward_layer, name=kl.forward_layer.name[len("forward_"):])
    return layers.Bidirectional(inner, merge_mode=kl.merge_mode, name=kl.name)


register(layers.Bidirectional, "Bidirectional", export_bidirectional, load_bidirectional, call_recurrent)


# -- Attention ("dot" score) --------------------------------------------------------
def call_attention(keras_layer, inputs, layer):
    return keras_layer(inputs, use_causal_mask=layer.causal,
                       return_attention_scores=layer.return_attention_scores)


def load_attention(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"use_scale": False, "score_mode": "dot", "dropout": 0.0})
    kwargs = node.arguments.kwargs
    return layers.Attention("dot", causal=bool(kwargs.get("use_causal_mask", False)),
                            return_attention_scores=bool(kwargs.get("return_attention_scores", False)),
                            name=kl.name)


# -- MultiHeadAttention ----------------------------------------------------------------
@functools.cache
def keras_mha_takes_value_dim():
    """Whether this Keras's MultiHeadAttention runs with value_dim != key_dim (3.15 fails on it)."""
    try:
        K.MultiHeadAttention(1, 1, value_dim=2)(np.zeros((1, 2, 2), "float32"), np.zeros((1, 2, 2), "float32"))
    except Exception:          # whatever Keras raises, the layer cannot be used that way
        return False
    return True


def export_mha(layer, dtype):
    if layer.value_dim != layer.key_dim and not keras_mha_takes_value_dim():
        raise ValueError(f"{where(layer)}: value_dim={layer.value_dim} differs from key_dim={layer.key_dim}, "
                         f"and Keras {keras.__version__}'s MultiHeadAttention fails on that when called; "
                         "use value_dim=None (= key_dim) to export")
    return K.MultiHeadAttention(layer.num_heads, layer.key_dim, value_dim=layer.value_dim,
                                use_bias=layer.use_bias, name=layer.name, dtype=dtype)


def call_mha(keras_layer, inputs, layer):
    query, value, *key = inputs
    return keras_layer(query, value, key[0] if key else None, use_causal_mask=layer.causal,
                       return_attention_scores=layer.return_attention_scores)


def load_mha(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"dropout": 0.0, "output_shape": None, "attention_axes": (None, (1,), [1]),
                            "use_gate": False, "sliding_window": None})
    kwargs = node.arguments.kwargs
    if kwargs.get("attention_mask") is not None:
        raise ValueError(f"Keras layer '{kl.name}' (MultiHeadAttention): an explicit attention_mask "
                         "has no minattn counterpart; use masks from the inputs or use_causal_mask")
    return layers.MultiHeadAttention(c["num_heads"], c["key_dim"], value_dim=c["value_dim"],
                                     use_bias=c["use_bias"],
                                     causal=bool(kwargs.get("use_causal_mask", False)),
                                     return_attention_scores=bool(kwargs.get("return_attention_scores", False)),
                                     name=kl.name)


register(layers.MultiHeadAttention, "MultiHeadAttention", export_mha, load_mha, call_mha)
