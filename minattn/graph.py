"""Symbolic tensors and nodes: how calling layers on ``Input`` builds a graph.

``Input((10,))`` returns a ``SymbolicTensor``: a shape and the ``Node`` that
made it, no data. Calling a layer on symbolic tensors builds the layer (its
weights) for their shapes and records a new ``Node`` (layer, parent tensors,
output tensors). ``Model(inputs, outputs)`` later walks these nodes back from
the outputs; nodes are numbered in creation order, which is always a valid
order to run them in (a node's parents exist before it).

This module imports no layer (a node only reads its layer's ``accepts_mask``,
``accepts_training`` and ``compute_mask``): ``layers/base.py`` calls
``call_symbolic`` and ``layers/input_layer.py`` makes the first node.
"""
import itertools

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
        return f"<SymbolicTensor shape={(None,) + self.shape} from '{self.node.layer.name}'>"   # batch axis first


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

    def call_arguments(self, inputs, masks, training, rng):
        """``(x, mask, kwargs)`` to run this node's layer on the arrays ``inputs`` (one per input
        tensor, with their ``masks``): ``layer.forward(params, x, **kwargs)``."""
        layer = self.layer
        x, mask = (inputs, masks) if self.takes_list else (inputs[0], masks[0])
        kwargs = {}
        if layer.accepts_mask:
            kwargs["mask"] = mask
        if layer.accepts_training:
            kwargs.update(training=training, rng=rng)
        return x, mask, kwargs

    def output_masks(self, x, mask):
        """The mask of each output tensor, from the layer's ``compute_mask``."""
        out_mask = self.layer.compute_mask(x, mask)
        if self.returns_list and isinstance(out_mask, list):
            return out_mask
        return [out_mask] * len(self.outputs)


def call_symbolic(layer, inputs):
    """Build ``layer`` for the inputs' shapes and record the call as a Node."""
    takes_list = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if takes_list else [inputs]
    shapes = [t.shape for t in tensors] if takes_list else tensors[0].shape
    return Node(layer, tensors, takes_list, layer.build(shapes)).result()
