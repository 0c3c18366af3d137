"""``Weights``: the one owner of a model's weights during ``fit``, on either path.

    weights = Weights(model, compiled)   # every weight copied into one flat buffer; the layers
                                         # get views into it (``weights.tree``), the optimizer's state
    weights.step_to(new, state)          # after a step: the new weights (a tree or a flat vector)
                                         # written into the buffer, the old ones kept for undo
    weights.undo_last_step()             # back to the weights and state before the last step
    weights.follow_model()               # a callback gave a layer new arrays: take them

The readable step hands it the tree ``optimizer.step`` returned, the fast step
the flat vector ``optimizer.update`` returned; either way the numbers are
copied into the same buffer, so the layers always hold the latest weights --
the same views after either path's ``fit``.
"""
import numpy as np

from .pytree import flatten, tree_leaves, unflatten


class Weights:
    """A model's weights as one flat buffer and a tree of views into it, plus the optimizer state.

    Args:
        model: the model; its layers are given views into the buffer.
        compiled: what ``compile`` fixed: the optimizer, and its state from an earlier ``fit``.

    Attributes:
        flat: the 1-D buffer.
        tree: ``{layer: {weight: view into flat}}``, what the layers hold.
        sizes: the number of elements of each weight, in ``tree_leaves`` order.
        state: the optimizer's state.
    """

    def __init__(self, model, compiled):
        self.model = model
        self.own(model.params)
        self.state = compiled.state if compiled.state is not None else compiled.optimizer.init(self.tree)

    def own(self, tree):
        """Copy ``tree`` into a new buffer and give the layers views into it; nothing to undo."""
        self.flat = flatten(tree).copy()
        self.tree = unflatten(self.flat, tree)
        self.sizes = np.array([np.size(leaf) for leaf in tree_leaves(tree)])
        self.previous = None                          # (flat copy, state) before the last step
        self.model.assign_params(self.tree)

    def follow_model(self):
        """Take the layers' weights if something (a callback) gave them new arrays; True if so."""
        if any(layer.params is not self.tree.get(layer.name) for layer in self.model.layers if layer.params):
            self.own(self.model.params)
            return True
        return False

    def step_to(self, new, state):
        """Write the weights after a step (a tree like ``tree``, or a flat vector) and the new
        optimizer state; keep the old ones for ``undo_last_step``."""
        if self.previous is None:
            self.previous = (np.empty_like(self.flat), None)
        previous_flat = self.previous[0]
        np.copyto(previous_flat, self.flat)
        self.previous = (previous_flat, self.state)
        np.copyto(self.flat, new if isinstance(new, np.ndarray) else flatten(new, self.flat.dtype))
        self.state = state

    def undo_last_step(self):
        """Back to the weights and state before the last step (whose result gave a non-finite loss)."""
        if self.previous is not None and self.previous[1] is not None:
            np.copyto(self.flat, self.previous[0])
            self.state = self.previous[1]
            self.previous = (self.previous[0], None)
