"""Weights as a pytree -- nested dicts of arrays -- and as one flat buffer.

``FlatParams`` copies every weight into one contiguous vector and hands out
views into it shaped like the original pytree, so an optimizer can update all
weights with a few whole-vector NumPy operations while the model keeps
reading its usual ``{layer: {weight: array}}`` dicts.
"""
import numpy as np
from autograd.core import SparseObject, vspace
from autograd.extend import defvjp, primitive


def tree_map(fn, *trees):
    """Apply ``fn`` leaf by leaf to nested dicts of the same structure."""
    first = trees[0]
    if isinstance(first, dict):
        return {key: tree_map(fn, *(t[key] for t in trees)) for key in first}
    return fn(*trees)


def tree_leaves(tree):
    """The arrays of a nested dict, in order."""
    if isinstance(tree, dict):
        return [leaf for value in tree.values() for leaf in tree_leaves(value)]
    return [tree]


def named_leaves(tree, prefix=""):
    """``[("path/to/weight", array), ...]`` in ``tree_leaves`` order (keys joined by '/')."""
    if isinstance(tree, dict):
        return [item for key, value in tree.items()
                for item in named_leaves(value, f"{prefix}/{key}" if prefix else str(key))]
    return [(prefix, tree)]


def flatten(tree, dtype=None):
    """All leaves, raveled and joined into one 1-D array."""
    leaves = tree_leaves(tree)
    if not leaves:
        return np.zeros(0, dtype=dtype or np.float32)
    return np.concatenate([np.ravel(leaf) for leaf in leaves]).astype(dtype or leaves[0].dtype, copy=False)


def unflatten(flat, like):
    """Views into ``flat`` shaped like the leaves of the pytree ``like``."""
    position = [0]

    def take(leaf):
        size = np.size(leaf)
        view = flat[position[0]:position[0] + size].reshape(np.shape(leaf))
        position[0] += size
        return view
    return tree_map(take, like)


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


# -- differentiating with respect to the flat buffer -------------------------------------
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
