"""``model.add_loss(tensor, weight)``: extra loss terms from inside the model, as in Keras.

    penalty = Lambda(attention_penalty)(attention)      # a tensor computed from the inputs
    model.add_loss(penalty, weight=0.01)                # fit minimises  loss + 0.01 * mean(penalty)

``Model.apply_with_losses`` runs the nodes the added tensors need in the same
forward pass as the outputs and returns ``weight * mean(tensor)`` for each;
``training.Compiled.batch_loss`` adds them to the outputs' losses.
"""
import math
import numbers

import autograd.numpy as anp
import numpy as np

from .graph import SymbolicTensor


def _checked_weight(weight):
    """``weight`` as a float, or a TypeError / ValueError for anything but a finite real number."""
    if isinstance(weight, bool) or not isinstance(weight, numbers.Real):
        raise TypeError(f"add_loss: weight must be a number, got {type(weight).__name__} {weight!r}")
    if not math.isfinite(weight):
        raise ValueError(f"add_loss: weight must be finite, got {weight!r}")
    return float(weight)


def weighted_mean(value, weight):
    """``weight * mean(value)``: a scalar of value's float dtype (float32 stays float32)."""
    mean = anp.mean(value)                            # over the batch and every other axis
    return mean * np.asarray(weight, dtype=mean.dtype)


class AddedLosses:
    """The ``add_loss`` method, mixed into ``Model``."""

    def add_loss(self, tensor, weight=1.0):
        """Add ``weight * mean(tensor)`` to the loss that ``fit`` minimises and ``evaluate`` reports.

        Keras's ``model.add_loss``: a penalty computed inside the model (an
        activity regulariser, Lin et al.'s attention penalty) joins the loss
        with no extra model output and no dummy targets. The mean is over the
        batch and every other axis, so the tensor can be one value per sample
        (shape ``()``, i.e. ``(batch,)`` with the batch axis) or one for the
        whole batch. ``fit`` computes it in the same forward pass as the
        outputs and differentiates it with them; history's ``loss`` includes it.
        ``predict`` and ``apply`` ignore it. Each call adds one more term.

        It may be called after ``compile`` (as in Keras): the next ``fit`` or
        ``evaluate`` uses it. A second ``Model`` built over the same tensors
        does not inherit the added losses; weights, ``save_weights`` and
        ``summary`` are unchanged by them.

        Args:
            tensor: a tensor computed from this model's inputs, e.g.
                ``Lambda(attention_penalty)(A)``. Every layer with weights it
                passes through must also be used by the model's outputs.
            weight: a finite number multiplying the term (default 1.0).

        Raises:
            TypeError: ``tensor`` is not a symbolic tensor, or ``weight`` is not a number.
            ValueError: ``tensor`` needs an input that is not the model's, or a
                layer with weights that the outputs do not use; or ``weight`` is not finite.

        Example:
            >>> m, a = StructuredSelfAttention(16, r=4, return_attention=True)(states)
            >>> model = Model(inputs, Dense(1, activation="sigmoid")(Flatten()(m)))
            >>> model.add_loss(Lambda(attention_penalty)(a), weight=0.01)
            >>> model.compile("adam", loss="binary_crossentropy")
            >>> model.fit(x, y)             # loss = cross-entropy + 0.01 * ||A A^T - I||_F^2
        """
        if not isinstance(tensor, SymbolicTensor):
            raise TypeError(f"Model '{self.name}': add_loss takes a tensor computed from the model's "
                            f"inputs by layers, got {type(tensor).__name__}")
        weight = _checked_weight(weight)
        nodes = self._collect_nodes([tensor], "the add_loss tensor")
        self._check_loss_layers(nodes)
        self.added_losses.append((tensor, weight))
        self._nodes_with_losses = sorted(set(self._nodes_with_losses) | set(nodes),
                                         key=lambda node: node.id)   # creation order runs parents first

    def _check_loss_layers(self, nodes):
        """A layer with weights that only the added loss uses would have no place in ``params``."""
        outside = [node.layer.name for node in nodes
                   if node.layer.params and node.layer not in self.layers]
        if outside:
            raise ValueError(f"Model '{self.name}': the add_loss tensor uses layer(s) {outside} with "
                             "weights that none of the model's outputs uses; add_loss can only use "
                             "layers of the model (make that branch an output instead)")

    def _added_loss_values(self, values):
        """``weight * mean(tensor)`` for each added loss, from the forward pass's ``values``."""
        return [weighted_mean(values[tensor], weight) for tensor, weight in self.added_losses]
