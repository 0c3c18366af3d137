"""``to_keras(model)``: the same graph, layer names and weights, as a Keras 3 functional model."""
import numpy as np

from .. import config
from ..layers.input_layer import InputLayer
from ..layers import Lambda
from .backend import use_dtype, import_keras
from .lambdas import export_lambda
from .registry import bridge_for_minattn

keras = import_keras()


def model_dtype(model):
    """The float type of the model's weights (minattn's floatx when it has none)."""
    dtypes = {np.asarray(w).dtype.name for w in model.get_weights()}
    if len(dtypes) > 1:
        raise ValueError(f"Model '{model.name}': weights of several float types {sorted(dtypes)}; "
                         "build the model under one minattn.set_floatx")
    return dtypes.pop() if dtypes else config.floatx()


def keras_input(tensor, dtype):
    layer = tensor.layer
    return keras.Input(shape=tensor.shape, name=layer.name, dtype=layer.dtype or dtype)


def to_keras(model, lambdas=None, drop_added_losses=False):
    """A Keras 3 functional ``keras.Model`` equal to ``model``: same graph, names and weights.

    Args:
        model: a minattn ``Model``.
        lambdas: optional ``{lambda_layer_name: keras layer or keras.ops function}``
            for Lambda layers whose function cannot be carried over by itself
            (see ``lambdas.py``).
        drop_added_losses: ``add_loss`` terms do not carry over; a model with
            some is refused unless this is True (then only the outputs' loss
            trains in Keras).

    Returns:
        A ``keras.Model`` whose ``predict`` equals ``model.predict`` (to float
        rounding), built in the model's float type (float64 turns on JAX's x64).

    Raises:
        ValueError: A layer without Keras counterpart, a Lambda that
            cannot be translated, or a layer called with call arguments
            (``mask=``, ``use_causal_mask=``, ...; not carried over yet),
            named with what to do.
    """
    if model.added_losses and not drop_added_losses:
        raise ValueError(f"Model '{model.name}': its add_loss terms do not carry over to Keras; "
                         "call to_keras(model, drop_added_losses=True) to export without them")
    dtype = model_dtype(model)
    use_dtype(dtype)
    lambdas = dict(lambdas or {})
    values = {t: keras_input(t, dtype) for t in model.inputs}
    made = {}                                                      # minattn layer -> Keras layer (shared once)
    for node in model.nodes:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        if node.call_kwargs:                                       # never dropped on the way over
            raise ValueError(f"{type(layer).__name__} '{layer.name}' was called with call arguments "
                             f"{sorted(node.call_kwargs)}, which to_keras does not carry over; build the "
                             "model without them (e.g. the constructor's causal=) to export it")
        inputs = [values[t] for t in node.inputs]
        inputs = inputs if node.takes_list else inputs[0]
        if isinstance(layer, Lambda):
            keras_layer = made.get(layer) or export_lambda(layer, node, dtype, lambdas.pop(layer.name, None))
            outputs = keras_layer(inputs)
        else:
            bridge = bridge_for_minattn(layer)
            keras_layer = made.get(layer) or bridge.export(layer, dtype)
            outputs = bridge.call(keras_layer, inputs, layer) if bridge.call else keras_layer(inputs)
        made[layer] = keras_layer
        outputs = list(outputs) if node.returns_list else [outputs]
        for tensor, value in zip(node.outputs, outputs):
            values[tensor] = value
    if lambdas:
        raise ValueError(f"to_keras: lambdas given for {sorted(lambdas)}, which are not Lambda layers of "
                         f"model '{model.name}'")
    outputs = [values[t] for t in model.outputs]
    keras_model = keras.Model([values[t] for t in model.inputs] if len(model.inputs) > 1 else values[model.inputs[0]],
                              outputs if len(outputs) > 1 else outputs[0], name=model.name)
    for layer, keras_layer in made.items():
        if layer.params:
            keras_layer.set_weights(layer.get_weights())
    return keras_model
