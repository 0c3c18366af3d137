"""Weights as a pytree -- nested dicts of arrays -- and as one flat vector.

A model's weights are ``{layer_name: {weight_name: array}}`` (a layer made of
layers nests one level more). These helpers walk such trees: map a function
over their leaves, list the leaves in order (Keras's ``get_weights`` order),
and join them into one flat vector and back, which is how the optimizers
treat all weights at once.
"""
import numpy as np


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


def unflatten_leaves(leaves, like):
    """A pytree shaped like ``like`` whose leaves are ``leaves``, in ``tree_leaves`` order."""
    leaves = iter(leaves)
    return tree_map(lambda _: next(leaves), like)
