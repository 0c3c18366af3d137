"""Helpers for the call-argument tests: the same call of a layer on arrays and inside a Model.

``in_model(layer, inputs, **call)`` makes an ``Input`` for every array among
the inputs and the call's arguments (masks, initial states, ...), calls the
layer on them with the same arguments and runs the model on the arrays --
so a test compares ``layer(inputs, **call)`` with the graph's numbers.
"""
import autograd.numpy as anp
import numpy as np

from minattn import Input, Model
from minattn.layers import Lambda

NO_MASK = -1.0          # what ``mask_probe`` gives where no mask reached it


def symbolic(value, feeds):
    """``value`` with each array replaced by a new ``Input`` (recorded in ``feeds`` with its array)."""
    if isinstance(value, np.ndarray):
        tensor = Input(value.shape[1:])
        feeds.append((tensor, value))
        return tensor
    if isinstance(value, (list, tuple)):
        return [symbolic(item, feeds) for item in value]
    return value


def mask_probe():
    """A Lambda whose output is the mask its input carries in a graph (as floats), NO_MASK if none."""
    def probe(x, mask=None):
        if mask is None:
            return NO_MASK * anp.ones(anp.shape(x)[:2])
        return np.asarray(mask, dtype=float)
    return Lambda(probe)


def in_model(layer, inputs, probe_masks=False, run_training=False, **call):
    """``layer(inputs, **call)`` inside a Model, run on the same arrays.

    Returns the outputs (a list for several); with ``probe_masks`` also the
    mask each output carries (``mask_probe``), as a second list.
    ``run_training``: the mode of the run (``fit``'s is True).
    """
    feeds = []
    tensors = symbolic(inputs, feeds)
    out = layer(tensors, **{key: symbolic(value, feeds) for key, value in call.items()})
    outs = out if isinstance(out, list) else [out]
    probes = [mask_probe()(o) for o in outs if len(o.shape) >= 1] if probe_masks else []
    model = Model([t for t, _ in feeds], outs + probes)
    results = model.apply(model.params, *[a for _, a in feeds], training=run_training)
    values = results[:len(outs)]
    values = values if isinstance(out, list) else values[0]
    return (values, results[len(outs):]) if probe_masks else values
