"""Where a model starts: ``Input(shape)`` and the ``InputLayer`` behind it.

``Input`` returns a symbolic tensor (``graph.py``) made by an ``InputLayer``
node with no parents; calling layers on it builds the rest of the graph.
"""
from ..arguments import check_int_tuple, is_int
from ..graph import Node
from .base import Layer
from .vocabulary import unique_name


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
    shape = check_int_tuple((shape,) if is_int(shape) else shape, "Input: shape", allow_none=True)
    if any(d is not None and d < 1 for d in shape):
        raise ValueError(f"Input: shape must be a tuple of positive ints or None (batch axis "
                         f"left out), got {shape!r}")
    layer = InputLayer(shape, name=name if name is not None else unique_name("input"), dtype=dtype)
    node = Node(layer, [], False, tuple(shape))
    return node.outputs[0]
