"""The one way to define a layer: settings in ``__init__``, then two pure methods.

* ``init(rng, input_shape) -> (output_shape, params)`` infers the output shape
  and creates the weights (Keras's ``build`` and ``compute_output_shape``).
* ``apply(params, x) -> y`` is the maths, in ``autograd.numpy``, with no side
  effects, so autograd can differentiate it.

Shapes never include the batch axis: a Dense layer on a batch of shape
(32, 10) has ``input_shape == (10,)``; ``None`` marks a size unknown until
run time (e.g. the number of time steps). A layer with several inputs gets a
list of shapes and a list of arrays; one with several outputs returns a list.

Calling a layer on a symbolic tensor (from ``Input``) records a node in the
graph and builds the layer's weights once; calling it on a NumPy array runs
its ``apply`` at once (handy to try a layer out; always the readable maths).

This package never imports ``minattn.fast``: the fast path's records are
chosen by the code that runs the graph (``Model.apply``, ``fit``'s fast
step), never by a layer.
"""
import numpy as np

from .. import config
from ..graph import SymbolicTensor, call_symbolic
from ..pytree import named_leaves, tree_leaves, tree_map
from .vocabulary import check_mask, layer_label, shapes_match, show_shape, snake_case, unique_name


class Layer:
    """Base class of every layer. Subclasses override ``init`` and ``apply``.

    Class attributes a subclass may set:
        accepts_mask: ``apply`` takes ``mask=`` (a boolean (batch, time) array or None;
            for a list of inputs, a list of them). ``forward`` checks it against the
            input first (``vocabulary.check_mask``).
        first_input_mask: with a list of inputs, a single mask is the first input's
            (recurrent layers' ``[x, h0, c0]``) instead of an error.
        accepts_training: ``apply`` takes ``training=`` and ``rng=`` (e.g. Dropout).
        propagates_mask: the input mask is passed on unchanged to the output.
    """
    accepts_mask = False
    accepts_training = False
    propagates_mask = False
    first_input_mask = False

    def __init__(self, name=None):
        self.name = name if name is not None else unique_name(snake_case(type(self).__name__))
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"{type(self).__name__}: name must be a non-empty string, got {name!r}")
        self.params = None            # the weights, a dict, once built
        self.input_shape = None       # the shape it was built for
        self.output_shape = None
        self.inbound_nodes = []       # one Node per call on symbolic tensors

    def __repr__(self):
        return f"<{layer_label(self)}>"

    # -- to override -------------------------------------------------------
    def init(self, rng, input_shape):
        """Return ``(output_shape, params)``; the default keeps the shape, no weights."""
        return input_shape, {}

    def apply(self, params, x):
        """Return the layer's output for input ``x`` with weights ``params``."""
        raise NotImplementedError(f"{type(self).__name__} must define apply()")

    def compute_mask(self, x, mask):
        """The mask of the output, given the input ``x`` and its ``mask``."""
        return mask if self.propagates_mask else None

    # -- running -------------------------------------------------------------
    def forward(self, params, x, **kwargs):
        """Run the layer's maths: check the call (``check_call``), then ``apply``.

        This is the readable maths only. On the fast path the code that runs
        the graph -- ``Model.apply`` and ``fit``'s fast step -- may run the
        layer's record instead (``minattn.fast.table``); the layer itself
        never asks. ``layer(array)`` (an eager call) always runs this.
        """
        self.check_call(x, kwargs)
        return self.apply(params, x, **kwargs)

    def check_call(self, x, kwargs):
        """Check what a call hands ``apply``: a layer that takes a mask has it checked against
        its input (``vocabulary.check_mask``), on both paths."""
        if self.accepts_mask:
            check_mask(self, kwargs.get("mask"), x, self.first_input_mask)

    # -- building ----------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for ``input_shape`` (once), return the output shape.

        A layer called again must get a compatible shape: it shares its weights.
        """
        if self.params is None:
            output_shape, params = self.init(config.rng(), input_shape)
            self.params, self.input_shape, self.output_shape = params, input_shape, output_shape
            return output_shape
        if not _all_shapes_match(self.input_shape, input_shape):
            raise ValueError(f"{layer_label(self)} was built for input shape "
                             f"{show_shape(self.input_shape)} and cannot be called on {show_shape(input_shape)}")
        output_shape, _ = self.init(np.random.default_rng(0), input_shape)
        return output_shape

    def __call__(self, inputs, **kwargs):
        flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if all(isinstance(t, SymbolicTensor) for t in flat):
            return call_symbolic(self, inputs)
        if any(isinstance(t, SymbolicTensor) for t in flat):
            raise TypeError(f"{layer_label(self)}: inputs mix symbolic tensors and arrays")
        return self._call_eager(inputs)

    def _call_eager(self, inputs):
        arrays = [np.asarray(a) for a in inputs] if isinstance(inputs, (list, tuple)) else np.asarray(inputs)
        shapes = [a.shape[1:] for a in arrays] if isinstance(arrays, list) else arrays.shape[1:]
        self.build(shapes)
        return self.forward(self.params, arrays)

    # -- the graph ---------------------------------------------------------
    @property
    def output(self):
        """The symbolic tensor this layer made when called (Keras's ``layer.output``).

        Use it to look inside a trained model, e.g. the attention weights:
        ``Model(model.inputs, model.get_layer("attention_vec").output).predict(x)``
        (the new model shares the trained weights). A list for a layer with
        several outputs.

        Raises:
            AttributeError: if the layer was never called on a symbolic tensor,
                or was called more than once (which call would be ambiguous).
        """
        if len(self.inbound_nodes) != 1:
            how = "never called on a symbolic tensor" if not self.inbound_nodes else \
                f"called {len(self.inbound_nodes)} times (shared), so its output is ambiguous"
            raise AttributeError(f"{layer_label(self)} was {how}; "
                                 "keep the tensor the call returned instead")
        return self.inbound_nodes[0].result()

    # -- weights in Keras order --------------------------------------------
    # ``params`` is a dict of arrays, or of dicts of arrays for a layer made of
    # layers (Bidirectional); the list order is the dicts' order, depth first.
    def get_weights(self):
        """The layer's weights as a list of arrays, in Keras's order."""
        return [np.array(w) for w in tree_leaves(self.params or {})]

    def set_weights(self, weights):
        """Set the weights from a list of arrays in Keras's order and layout."""
        current = named_leaves(self.params or {})
        if len(weights) != len(current):
            raise ValueError(f"{layer_label(self)}: expected {len(current)} weight "
                             f"arrays {[key for key, _ in current]}, got {len(weights)}")
        new = []
        for (key, old), value in zip(current, weights):
            value = np.asarray(value)
            if value.shape != old.shape:
                raise ValueError(f"{layer_label(self)}: weight '{key}' has shape "
                                 f"{old.shape}, got an array of shape {value.shape}")
            new.append(value.astype(old.dtype))
        arrays = iter(new)
        self.params = tree_map(lambda old: next(arrays), self.params or {})

    def count_params(self):
        """Number of scalars in the layer's weights."""
        return int(sum(np.size(w) for w in tree_leaves(self.params or {})))


def _all_shapes_match(expected, actual):
    if isinstance(expected, list) != isinstance(actual, list):
        return False
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(shapes_match(e, a) for e, a in zip(expected, actual))
    return shapes_match(expected, actual)
