"""Symbolic tensors and nodes: how calling layers on ``Input`` builds a graph.

``Input((10,))`` returns a ``SymbolicTensor``: a shape and the ``Node`` that
made it, no data. Calling a layer on symbolic tensors builds the layer (its
weights) for their shapes and records a new ``Node`` (layer, parent tensors,
output tensors). ``Model(inputs, outputs)`` later walks these nodes back from
the outputs; nodes are numbered in creation order, which is always a valid
order to run them in (a node's parents exist before it).
"""
import itertools

from .layers.base import Layer, show_shape

_NODE_IDS = itertools.count()


class SymbolicTensor:
    """A placeholder for an array in the graph: its shape (no batch axis) and origin."""

    def __init__(self, shape, node, index):
        self.shape = tuple(shape)
        self.node = node          # the Node that outputs this tensor
        self.index = index        # which of the node's outputs it is

    @property
    def layer(self):
        return self.node.layer

    def __repr__(self):
        return f"<SymbolicTensor shape={show_shape(self.shape)} from '{self.node.layer.name}'>"


class Node:
    """One call of a layer: its inputs, its outputs, and whether it took a list."""

    def __init__(self, layer, inputs, takes_list, output_shape):
        self.id = next(_NODE_IDS)
        self.layer = layer
        self.inputs = inputs              # list of SymbolicTensor
        self.takes_list = takes_list      # apply(params, [a, b]) rather than apply(params, a)
        self.returns_list = isinstance(output_shape, list)
        shapes = output_shape if self.returns_list else [output_shape]
        self.outputs = [SymbolicTensor(s, self, i) for i, s in enumerate(shapes)]
        self.index_in_layer = len(layer.inbound_nodes)
        layer.inbound_nodes.append(self)

    def result(self):
        """What the call returned: the output tensor, or the list of them."""
        return self.outputs if self.returns_list else self.outputs[0]


def call_symbolic(layer, inputs):
    """Build ``layer`` for the inputs' shapes and record the call as a Node."""
    takes_list = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if takes_list else [inputs]
    shapes = [t.shape for t in tensors] if takes_list else tensors[0].shape
    return Node(layer, tensors, takes_list, layer.build(shapes)).result()


class InputLayer(Layer):
    """The layer behind ``Input``: no weights; it only names the model's entry point."""

    def __init__(self, shape, name=None, dtype=None):
        super().__init__(name=name)
        self.params, self.input_shape, self.output_shape = {}, tuple(shape), tuple(shape)
        self.dtype = dtype

    def apply(self, params, x):
        return x


def Input(shape, name=None, dtype=None):
    """Start a model: a symbolic tensor of the given shape (batch axis left out).

    Args:
        shape: tuple of ints (or None for a size known only at run time), e.g.
            ``(10,)`` for vectors of 10 features, ``(None, 2)`` for sequences
            of any length with 2 features.
        name: optional layer name (default ``input_1``, ``input_2``, ...).
        dtype: optional dtype the data is cast to ("int32" for token ids);
            by default floating data is cast to ``minattn.floatx()``.

    Returns:
        A ``SymbolicTensor`` to call layers on.

    Example:
        >>> inputs = Input((10,))
        >>> inputs.shape
        (10,)
    """
    if isinstance(shape, int):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not all(
            d is None or (isinstance(d, int) and d > 0) for d in shape):
        raise ValueError(f"Input: shape must be a tuple of positive ints or None (batch axis "
                         f"left out), got {shape!r}")
    layer = InputLayer(shape, name=name if name is not None else _input_name(), dtype=dtype)
    node = Node(layer, [], False, tuple(shape))
    return node.outputs[0]


def _input_name():
    from .layers.base import unique_name
    return unique_name("input")
