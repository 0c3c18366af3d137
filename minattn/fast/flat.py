"""The fast path's weights: one flat buffer, and autograd differentiating with respect to it.

``FlatParams`` copies every weight into one contiguous vector and hands out
views into it shaped like the weights pytree. ``traced_views`` gives the
model those views as ``take_weight`` ops, so the gradient of a training step
arrives as one flat vector too (each view adds its part in place), and the
optimizer updates every weight with a few whole-vector NumPy operations.
(Indexing a traced dict instead would make autograd build a zero copy of the
whole pytree at every lookup.)
"""
import numpy as np
from autograd.core import SparseObject, vspace
from autograd.extend import defvjp, primitive

from ..pytree import flatten, tree_leaves, tree_map, unflatten


class FlatParams:
    """One flat weight vector and a pytree of views into it.

    Attributes:
        flat: the 1-D buffer (a copy of the weights).
        tree: the same numbers shaped like the original pytree (views: an
            in-place update of ``flat`` shows in ``tree`` at once).
        sizes: the number of elements of each weight, in order.
    """

    def __init__(self, tree):
        self.flat = flatten(tree).copy()
        self.tree = unflatten(self.flat, tree)
        self.sizes = np.array([np.size(leaf) for leaf in tree_leaves(tree)])


@primitive
def take_weight(flat, start, stop, shape):
    """The weight stored in ``flat[start:stop]``, shaped ``shape`` (a view, no copy)."""
    return flat[start:stop].reshape(shape)


def _take_weight_vjp(ans, flat, start, stop, shape):
    space = vspace(flat)

    def add_into(total, g):                    # adds this weight's gradient into the flat one, in place
        total[start:stop] += np.ravel(g)
        return total
    return lambda g: SparseObject(space, lambda total: add_into(total, g))


defvjp(take_weight, _take_weight_vjp)


def traced_views(flat, like):
    """Weights pytree shaped like ``like`` whose leaves are ``take_weight`` views into ``flat``.

    Differentiating a function of ``flat`` through these views gives the
    gradient as one flat vector directly: each view adds its part in place.
    (Indexing a traced dict instead would make autograd build a zero copy of
    the whole pytree at every lookup.)
    """
    position = [0]

    def take(leaf):
        start = position[0]
        position[0] += np.size(leaf)
        return take_weight(flat, start, position[0], np.shape(leaf))
    return tree_map(take, like)
