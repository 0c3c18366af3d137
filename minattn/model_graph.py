"""What a ``Model`` is made of, read from its tensors: the tensors checked, the nodes between them.

``Model.__init__`` takes the nodes its outputs need; ``Model.add_loss`` the
nodes an added term needs; ``Model.set_params`` checks a weights tree against
the model's with ``check_params``.
"""
import numpy as np

from .graph import SymbolicTensor
from .layers.input_layer import InputLayer
from .pytree import named_leaves


def as_tensor_list(tensors, what):
    """``tensors`` (one or a list) as a list of symbolic tensors; ``TypeError`` / ``ValueError`` otherwise."""
    items = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(f"Model: {what} must be tensors from Input() or from calling a layer, "
                            f"got {type(t).__name__}")
    if not items:
        raise ValueError(f"Model: no {what} given")
    return items


def collect_nodes(model, tensors, what, every_input=False):
    """Every node of ``model`` between its inputs and ``tensors``, in creation order.

    Raises ValueError if ``what`` (e.g. "the outputs") needs an input that is
    not one of the model's, or, with ``every_input``, if an input is unused.
    """
    input_nodes = {t.node for t in model.inputs}
    seen, stack = set(), [t.node for t in tensors]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if node in input_nodes:
            continue
        if isinstance(node.layer, InputLayer):
            raise ValueError(f"Model '{model.name}': graph disconnected -- {what} need "
                             f"input '{node.layer.name}', which is not among the model's inputs "
                             f"{[t.layer.name for t in model.inputs]}")
        stack.extend(t.node for t in node.inputs)
    missing = input_nodes - seen
    if every_input and missing:
        raise ValueError(f"Model '{model.name}': input(s) {[n.layer.name for n in missing]} "
                         "are not used by any output")
    return sorted(seen, key=lambda node: node.id)


def check_params(model, params):
    """Raise ``ValueError`` unless ``params`` has every weight of ``model`` at its shape
    (nested layers' weights too: 'forward_lstm_1/kernel')."""
    for name, weights in model.params.items():
        if name not in params:
            raise ValueError(f"Model '{model.name}': no weights given for layer '{name}'")
        for key, old in named_leaves(weights):
            new = params[name]
            for part in key.split("/"):
                new = new.get(part) if isinstance(new, dict) else None
            if new is None or np.shape(new) != old.shape:
                raise ValueError(f"Model '{model.name}': weight '{name}/{key}' must have shape "
                                 f"{old.shape}, got {None if new is None else np.shape(new)}")
