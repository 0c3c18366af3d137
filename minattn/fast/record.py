"""A fast op, written once: a forward that keeps what the backward needs, and the backward.

Every hand-written op of the fast path is one ``Record``: two plain NumPy
functions, nothing recorded by autograd inside them (micrograd's op beside
its ``_backward``; PyTorch's ``save_for_backward``):

    forward(layer, params, x, **call)      -> (y, saved)
    backward(layer, params, saved, g, wanted) -> (dx, dparams)

* ``x`` is the layer's input (a list for a layer called on a list), ``call``
  the keyword arguments its ``apply`` takes (``mask=``, ``training=``,
  ``rng=``, ...), ``y`` exactly what ``apply`` returns (an array, or a list
  for a layer with several outputs).
* ``g`` is d loss / d y (a list for several outputs; None where no gradient
  arrives); ``wanted`` one bool per input (a 1-tuple for a single input):
  whether that input's gradient is needed.
* ``dx`` is the input's gradient (a list for a list of inputs, None where not
  wanted); ``dparams`` a dict like ``params`` with each weight's gradient.

From that one pair come both ways the fast path uses an op:

* the one fast step calls ``forward`` and ``backward`` directly, in reverse
  graph order (``minattn.fast.step``);
* ``Record.run`` is the same op as one autograd primitive whose VJP calls
  ``backward`` -- so ``gradcheck``, ``Model.apply`` under autograd and any
  layer without a record around it still work.
"""
from autograd.extend import defvjp_argnums, primitive
from autograd.tracer import getval

import numpy as np

from ..pytree import named_leaves, unflatten_leaves


class Record:
    """One fast op: ``forward`` and ``backward`` (see the module docstring), and what it covers.

    Args:
        forward: ``forward(layer, params, x, **call) -> (y, saved)``.
        backward: ``backward(layer, params, saved, g, wanted) -> (dx, dparams)``.
        supports: ``supports(layer) -> bool``: whether this layer's settings (its
            activations, say) are ones the record computes; else ``apply`` runs.
        takes_list: the op's ``x`` is a list of inputs (Multiply, Add); a call of
            the layer on a list when it is False, or on one input when it is True,
            runs ``apply``. None: either (an LSTM called on ``x`` or on
            ``[x, h0, c0]``); ``dx`` then has the form of ``x``.
        name: what the docs call the record (default: the forward's module).
    """

    def __init__(self, forward, backward, supports=None, takes_list=False, name=None):
        self.forward, self.backward = forward, backward
        self.supports = supports if supports is not None else _always
        self.takes_list = takes_list
        self.name = name if name is not None else forward.__module__

    def covers(self, layer, takes_list):
        """Whether this record computes ``layer`` called on a list (``takes_list``) or not."""
        return (self.takes_list is None or self.takes_list == takes_list) and self.supports(layer)

    def run(self, layer, params, x, **call):
        """The op as one autograd primitive: ``y`` as ``forward`` computes it, differentiable
        with respect to ``params`` and ``x`` (its VJP calls ``backward``)."""
        as_list = isinstance(x, (list, tuple)) if self.takes_list is None else self.takes_list
        inputs = list(x) if as_list else [x]
        keys, leaves = weight_leaves(params)
        values = [getval(a) for a in inputs]
        weights = unflatten_leaves([getval(w) for w in leaves], keys)
        y, saved = self.forward(layer, weights, values if as_list else values[0], **call)
        out = record_op(self, layer, keys, (as_list, len(inputs)), saved, y, *inputs, *leaves)
        return list(out) if isinstance(y, list) else out      # a list, as apply returns, even when traced


def _always(layer):
    return True


def weight_leaves(params):
    """``(structure, leaves)`` of a weights dict that autograd may have boxed (a ``DictBox``
    when ``grad`` differentiates a whole tree): the structure is a plain nested dict with the
    same keys (leaves None), the leaves in ``tree_leaves`` order, boxed or not."""
    if hasattr(params, "items"):
        structure, leaves = {}, []
        for key, value in params.items():
            structure[key], inner = weight_leaves(value)
            leaves.extend(inner)
        return structure, leaves
    return None, [params]


@primitive
def record_op(record, layer, keys, form, saved, y, *arrays):
    """The op autograd records; its value is ``forward``'s output (computed by ``Record.run``)."""
    return y


def record_vjp(argnums, y, args, kwargs):
    record, layer, keys, (as_list, n_inputs), saved, _, *arrays = args    # form: x a list?, how many
    first = 6                                    # index of the first array among the op's arguments
    wanted_inputs = tuple(first + i in argnums for i in range(n_inputs))
    params = unflatten_leaves(arrays[n_inputs:], keys)

    def vjp(g):
        dx, dparams = record.backward(layer, params, saved, g, wanted_inputs)
        dxs = list(dx) if as_list else [dx]
        d_leaves = [_lookup(dparams, key, weight) for key, weight in named_leaves(params)]
        by_index = {first + i: d for i, d in enumerate(dxs)}
        by_index.update({first + n_inputs + i: d for i, d in enumerate(d_leaves)})
        return tuple(by_index[i] for i in argnums)
    return vjp


def _lookup(tree, key, like):
    """The gradient at path ``key`` ('cell/kernel') of ``tree``; zeros like the weight if absent."""
    for part in key.split("/"):
        tree = tree.get(part) if isinstance(tree, dict) else None
    return np.zeros_like(like) if tree is None else tree


defvjp_argnums(record_op, record_vjp)
