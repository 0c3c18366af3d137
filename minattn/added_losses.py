"""``model.add_loss(tensor, weight)``: extra loss terms from inside the model, as in Keras.

    penalty = Lambda(attention_penalty)(attention)      # a tensor computed from the inputs
    model.add_loss(penalty, weight=0.01)                # fit minimises  loss + 0.01 * mean(penalty)

``Model.add_loss`` checks a term with ``checked_term`` and ``check_loss_layers``;
``Model.apply_with_losses`` runs the nodes the added tensors need in the same
forward pass as the outputs and returns ``weighted_mean`` of each;
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


def checked_term(model, tensor, weight):
    """``weight`` as a float, after checking that ``tensor`` is a symbolic tensor (TypeError otherwise)."""
    if not isinstance(tensor, SymbolicTensor):
        raise TypeError(f"Model '{model.name}': add_loss takes a tensor computed from the model's "
                        f"inputs by layers, got {type(tensor).__name__}")
    return _checked_weight(weight)


def check_loss_layers(model, nodes):
    """A layer with weights that only the added loss uses would have no place in ``params``."""
    outside = [node.layer.name for node in nodes
               if node.layer.params and node.layer not in model.layers]
    if outside:
        raise ValueError(f"Model '{model.name}': the add_loss tensor uses layer(s) {outside} with "
                         "weights that none of the model's outputs uses; add_loss can only use "
                         "layers of the model (make that branch an output instead)")
