"""Symbolic tensors and nodes: how calling layers on ``Input`` builds a graph.

``Input((10,))`` returns a ``SymbolicTensor``: a shape and the ``Node`` that
made it, no data. Calling a layer on symbolic tensors builds the layer (its
weights) for their shapes and records a new ``Node`` (layer, parent tensors,
output tensors). ``Model(inputs, outputs)`` later walks these nodes back from
the outputs; nodes are numbered in creation order, which is always a valid
order to run them in (a node's parents exist before it).

A call's keyword arguments (``mask=``, ``training=``, ``use_causal_mask=``,
...) are kept on its node (``node.call_kwargs``). One given as a symbolic
tensor (a mask from an ``Input``, say) becomes one more input of the node
after the layer's own, so it is computed before the node runs;
``Node.call_arguments`` -- the one place a node's arguments for ``apply`` are
assembled -- puts its value back in its place.

This module imports no layer (a node asks its layer for ``apply_arguments``,
``call_output_shape`` and ``call_compute_mask``): ``layers/base.py`` calls
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
    """One call of a layer: its inputs, its outputs, whether it took a list, its call keywords.

    ``inputs`` lists the layer's inputs, then the symbolic tensors found in
    ``call_kwargs`` (``input_count`` says where the layer's own end).
    """

    def __init__(self, layer, inputs, takes_list, output_shape, call_kwargs=None):
        self.id = next(_NODE_IDS)
        self.layer = layer
        self.call_kwargs = dict(call_kwargs or {})    # as given: bools, or symbolic tensors
        self.input_count = len(inputs)                # the layer's own inputs come first
        self.inputs = list(inputs) + tensors_in(self.call_kwargs)   # list of SymbolicTensor
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
        tensor, with their ``masks``): ``layer.forward(params, x, **kwargs)``.

        The one place a node's keyword arguments are assembled: the call's own
        (``node.call_kwargs``, its tensors replaced by their arrays) over the
        run's -- a ``mask=`` given replaces the propagated mask, a ``training=``
        given fixes the mode whatever ``training`` the run has. ``mask`` is the
        mask the layer gets (what ``output_masks`` takes).
        """
        count = self.input_count
        known = dict(zip(self.inputs[count:], inputs[count:]))
        call = {key: _resolve(value, known) for key, value in self.call_kwargs.items()}
        x, mask = (inputs[:count], masks[:count]) if self.takes_list else (inputs[0], masks[0])
        mask, kwargs = self.layer.apply_arguments(x, mask, call, training, rng)
        return x, mask, kwargs

    def output_masks(self, x, mask):
        """The mask of each output tensor, from the layer's ``compute_mask`` (for this call)."""
        out_mask = self.layer.call_compute_mask(x, mask, self.call_kwargs)
        if self.returns_list and isinstance(out_mask, list):
            return out_mask
        return [out_mask] * len(self.outputs)


def call_symbolic(layer, inputs, call_kwargs=None):
    """Build ``layer`` for the inputs' shapes and record the call (with its keywords) as a Node.

    Raises:
        TypeError: a keyword argument holds an array: in a graph, masks and other
            tensors must be symbolic tensors of the graph (e.g. an ``Input``).
    """
    call_kwargs = dict(call_kwargs or {})
    for key, value in call_kwargs.items():
        if any(hasattr(item, "shape") and not isinstance(item, SymbolicTensor) for item in _items(value)):
            raise TypeError(f"{type(layer).__name__} '{layer.name}': call argument {key!r} holds an "
                            "array, but the layer is called on symbolic tensors; pass a symbolic "
                            "tensor of the graph (e.g. an Input) so each batch gets its own")
    takes_list = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if takes_list else [inputs]
    shapes = [t.shape for t in tensors] if takes_list else tensors[0].shape
    output_shape = layer.call_output_shape(shapes, layer.build(shapes), call_kwargs)
    return Node(layer, tensors, takes_list, output_shape, call_kwargs).result()


def _items(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def tensors_in(call_kwargs):
    """The symbolic tensors among the values of ``call_kwargs`` (a value may be a list), in order."""
    return [item for value in call_kwargs.values() for item in _items(value)
            if isinstance(item, SymbolicTensor)]


def _resolve(value, known):
    """``value`` with each symbolic tensor replaced by its array from ``known``."""
    if isinstance(value, SymbolicTensor):
        return known[value]
    if isinstance(value, (list, tuple)):
        return [known[item] if isinstance(item, SymbolicTensor) else item for item in value]
    return value
