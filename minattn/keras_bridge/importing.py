"""``from_keras(keras_model)``: a minattn ``Model`` with the same graph, layer names and weights.

The Keras graph is walked back from the outputs (each Keras tensor knows the
layer call that made it: ``tensor._keras_history`` and ``layer._inbound_nodes``,
Keras 3's own record of its functional graph, which has no public name); each layer is rebuilt by its bridge and called on
the minattn tensors in the same order, so the forward pass can be read,
gradient-checked and plotted in minattn.
"""
import numpy as np

from .. import config
from ..layers.input_layer import Input
from ..layers import Lambda
from ..model import Model
from .backend import import_keras
from .lambdas import import_lambda, same_result, trial_inputs
from .registry import bridge_for_keras

keras = import_keras()


def keras_tensors(value):
    """The Keras tensors in a call argument (a tensor, a list of them, or anything else), in order."""
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in keras_tensors(item)]
    return [value] if isinstance(value, keras.KerasTensor) else []


def call_tensors(node):
    """The tensors a layer was called on, and whether the first argument was a list."""
    args, kwargs = node.arguments.args, node.arguments.kwargs
    tensors = keras_tensors(list(args))
    for key in ("key", "initial_state"):                       # MultiHeadAttention, LSTM / GRU
        tensors += keras_tensors(kwargs.get(key))
    first_is_list = bool(args) and isinstance(args[0], (list, tuple))
    return tensors, first_is_list


def check_dtype(keras_model):
    dtypes = {keras.backend.standardize_dtype(w.dtype) for w in keras_model.weights}
    if dtypes and dtypes != {config.floatx()}:
        raise ValueError(f"Keras model '{keras_model.name}' has {sorted(dtypes)} weights but minattn's "
                         f"floatx is {config.floatx()!r}; call minattn.set_floatx({sorted(dtypes)[0]!r}) first")


class Reader:
    """Rebuild a Keras graph in minattn, one layer call at a time."""

    def __init__(self):
        self.tensors = {}        # id(Keras tensor) -> minattn SymbolicTensor
        self.layers = {}         # Keras layer -> minattn layer (a shared layer is rebuilt once)

    def tensor(self, keras_tensor):
        key = id(keras_tensor)
        if key not in self.tensors:
            self.read_call(keras_tensor)
        return self.tensors[key]

    def read_call(self, keras_tensor):
        operation, node_index, _ = keras_tensor._keras_history
        node = operation._inbound_nodes[node_index]
        if isinstance(operation, keras.layers.InputLayer):
            dtype = keras.backend.standardize_dtype(keras_tensor.dtype)
            self.tensors[id(keras_tensor)] = Input(tuple(keras_tensor.shape[1:]), name=operation.name,
                                                   dtype=None if dtype.startswith("float") else dtype)
            return
        tensors, first_is_list = call_tensors(node)
        inputs = [self.tensor(t) for t in tensors]
        layer = self.layers.get(operation) or self.make_layer(operation, node)
        self.layers[operation] = layer
        result = layer(inputs if first_is_list or len(inputs) > 1 else inputs[0])
        results = result if isinstance(result, list) else [result]
        for keras_output, output in zip(node.outputs, results):
            self.tensors[id(keras_output)] = output

    @staticmethod
    def make_layer(keras_layer, node):
        if isinstance(keras_layer, keras.layers.Lambda):
            return import_lambda(keras_layer)
        return bridge_for_keras(keras_layer).load(keras_layer, node)


def check_lambdas(reader):
    """Each rebuilt Lambda gives the Keras Lambda's numbers on a trial input, or a ValueError."""
    for keras_layer, layer in reader.layers.items():
        if isinstance(layer, Lambda):
            takes_list = isinstance(layer.input_shape, list)
            trial = trial_inputs(layer.input_shape, takes_list)
            try:
                agree = same_result(keras_layer.function(trial), layer.function(trial))
            except Exception as err:                  # the autograd version cannot run it
                agree, why = False, f"{type(err).__name__}: {err}"
            else:
                why = "different numbers on a trial input"
            if not agree:
                raise ValueError(f"Keras Lambda '{keras_layer.name}' cannot be read into minattn "
                                 f"({why}); rebuild it with layers.Lambda(your_autograd_function)")


def from_keras(keras_model):
    """A minattn ``Model`` equal to the Keras functional ``keras_model``: same graph, names and weights.

    Args:
        keras_model: a Keras 3 functional model whose layers all have minattn
            counterparts (see ``minattn.keras_bridge.registry``).

    Returns:
        A minattn ``Model``; build it under the float type of the Keras
        weights (``minattn.set_floatx``).

    Raises:
        ValueError: A layer or setting minattn does not have, named.
    """
    check_dtype(keras_model)
    reader = Reader()
    outputs = [reader.tensor(t) for t in keras_model.outputs]
    inputs = [reader.tensor(t) for t in keras_model.inputs]
    check_lambdas(reader)
    model = Model(inputs if len(inputs) > 1 else inputs[0], outputs if len(outputs) > 1 else outputs[0],
                  name=keras_model.name)
    for keras_layer, layer in reader.layers.items():
        if layer.params:
            layer.set_weights([np.asarray(w) for w in keras_layer.get_weights()])
    return model
