"""Bridges for the layers Keras 3 has too: same settings, same weights in the same order.

Each pair is an ``export`` (minattn layer -> Keras layer) and a ``load``
(Keras layer and its call -> minattn layer). A Keras setting minattn does not
have (e.g. ``dropout`` inside an LSTM) is refused with a ValueError rather
than dropped.
"""
from .. import layers
from .activations import from_keras_activation, to_keras_activation
from .backend import import_keras
from .registry import register

keras = import_keras()
K = keras.layers


def where(layer):
    """How error messages name a layer: ``Dense 'dense_1'``."""
    return f"{type(layer).__name__} '{layer.name}'"


def refuse_settings(keras_layer, config, defaults):
    """ValueError if ``config`` has a setting minattn cannot follow: ``defaults`` maps it to the only value allowed."""
    for key, allowed in defaults.items():
        if key in config and config[key] not in (allowed if isinstance(allowed, tuple) else (allowed,)):
            raise ValueError(f"Keras layer '{keras_layer.name}' ({type(keras_layer).__name__}): "
                             f"{key}={config[key]!r} has no minattn counterpart (minattn supports "
                             f"{allowed!r}); set it to that before from_keras")


# -- Dense, Activation, Dropout ------------------------------------------------
def export_dense(layer, dtype):
    return K.Dense(layer.units, activation=to_keras_activation(layer.activation, where(layer), dtype),
                   use_bias=layer.use_bias, name=layer.name, dtype=dtype)


def load_dense(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"lora_rank": None, "kernel_regularizer": None, "bias_regularizer": None})
    return layers.Dense(c["units"], activation=from_keras_activation(c["activation"], kl.name),
                        use_bias=c["use_bias"], name=kl.name)


def export_activation(layer, dtype):
    return K.Activation(to_keras_activation(layer.activation, where(layer), dtype), name=layer.name, dtype=dtype)


def load_activation(kl, node):
    return layers.Activation(from_keras_activation(kl.get_config()["activation"], kl.name), name=kl.name)


register(layers.Dense, "Dense", export_dense, load_dense)
register(layers.Activation, "Activation", export_activation, load_activation)
register(layers.Dropout, "Dropout", lambda layer, dtype: K.Dropout(layer.rate, name=layer.name, dtype=dtype),
         lambda kl, node: layers.Dropout(kl.rate, name=kl.name))


# -- merging and reshaping -------------------------------------------------------
def call_elementwise_merge(keras_layer, inputs, layer):
    """Call Keras's Add / Multiply, refusing masks it would combine unlike minattn.

    minattn (as Keras 2) gives the sum the logical and of the inputs' masks
    that are present; Keras 3.15 gives no mask when one input has none and
    the logical or otherwise. They agree when all inputs carry one and the
    same mask, or none.
    """
    masks = [getattr(t, "_keras_mask", None) for t in inputs]
    present = {id(m) for m in masks if m is not None}
    if present and (len(present) > 1 or any(m is None for m in masks)):
        raise ValueError(f"{where(layer)}: its inputs carry different masks ({len(masks) - masks.count(None)} "
                         f"of {len(masks)} masked); Keras 3's {type(keras_layer).__name__} gives no mask when an "
                         "input has none and ors different masks, where minattn ands the masks present. To "
                         "export, give every input the same mask, or add a sine table with "
                         "PositionalEncoding (one layer, mask kept) instead of Add + SinePositionEncoding")
    return keras_layer(inputs)


def simple(minattn_class, keras_class_name, settings=(), call=None):
    """Register a layer whose settings have the same names on both sides."""
    keras_class = getattr(K, keras_class_name)

    def export(layer, dtype):
        return keras_class(**{s: getattr(layer, s) for s in settings}, name=layer.name, dtype=dtype)

    def load(kl, node):
        c = kl.get_config()
        return minattn_class(**{s: _plain(c[s]) for s in settings}, name=kl.name)
    register(minattn_class, keras_class_name, export, load, call)


def _plain(value):
    return tuple(value) if isinstance(value, list) else value


simple(layers.Multiply, "Multiply", call=call_elementwise_merge)
simple(layers.Add, "Add", call=call_elementwise_merge)
for _cls, _settings in ((layers.Concatenate, ("axis",)),
                        (layers.Permute, ("dims",)), (layers.RepeatVector, ("n",)),
                        (layers.Reshape, ("target_shape",)), (layers.Flatten, ()),
                        (layers.GlobalAveragePooling2D, ("keepdims",)),
                        (layers.GlobalAveragePooling1D, ("keepdims",))):
    simple(_cls, _cls.__name__, _settings)


# -- Embedding -------------------------------------------------------------------
def export_embedding(layer, dtype):
    return K.Embedding(layer.input_dim, layer.output_dim, mask_zero=layer.mask_zero, name=layer.name,
                       dtype=dtype)


def load_embedding(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"lora_rank": None, "embeddings_regularizer": None})
    return layers.Embedding(c["input_dim"], c["output_dim"], mask_zero=c["mask_zero"], name=kl.name)


register(layers.Embedding, "Embedding", export_embedding, load_embedding)


# -- convolution and pooling -------------------------------------------------------
def export_conv(layer, dtype):
    return K.Conv2D(layer.filters, layer.kernel_size, strides=layer.strides, padding=layer.padding,
                    activation=to_keras_activation(layer.activation, where(layer), dtype), use_bias=layer.use_bias,
                    name=layer.name, dtype=dtype)


def load_conv(kl, node):
    c = kl.get_config()
    refuse_settings(kl, c, {"dilation_rate": ((1, 1), [1, 1]), "groups": 1, "data_format": "channels_last"})
    return layers.Conv2D(c["filters"], tuple(c["kernel_size"]), strides=tuple(c["strides"]),
                         padding=c["padding"], activation=from_keras_activation(c["activation"], kl.name),
                         use_bias=c["use_bias"], name=kl.name)


register(layers.Conv2D, "Conv2D", export_conv, load_conv)


def pooling(minattn_class):
    keras_class = getattr(K, minattn_class.__name__)

    def export(layer, dtype):
        return keras_class(layer.pool_size, strides=layer.strides, padding=layer.padding, name=layer.name,
                           dtype=dtype)

    def load(kl, node):
        c = kl.get_config()
        refuse_settings(kl, c, {"data_format": "channels_last"})
        return minattn_class(tuple(c["pool_size"]), strides=tuple(c["strides"]), padding=c["padding"],
                             name=kl.name)
    register(minattn_class, minattn_class.__name__, export, load)


pooling(layers.MaxPooling2D)
pooling(layers.AveragePooling2D)
