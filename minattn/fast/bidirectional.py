"""Bidirectional as a record: its wrapped layer's record run twice, once each way, then merged.

    y = fwd(x)         y_rev = bwd(x)  (read last step first, turned back into time order)
    merged: concat [y; y_rev] | sum y + y_rev | mul y * y_rev | ave (y + y_rev) / 2 | None [y, y_rev]

and back: the merge's gradient split between the two directions (for mul,
g * the other one), handed to each direction's record's backward, the two
input gradients added. With a mask and ``return_sequences`` the outputs at
masked steps are zeros, as ``Bidirectional.apply`` makes them, and so are
their gradients.
"""
import numpy as np

from ..layers.bidirectional import Bidirectional
from ..layers.recurrent import GRU, LSTM
from .gru import GRU_RECORD
from .lstm import LSTM_RECORD
from .record import Record

INNER = {LSTM: LSTM_RECORD, GRU: GRU_RECORD}


def supports(layer):
    inner = INNER.get(type(layer.forward_layer))
    return inner is not None and inner.supports(layer.forward_layer) and inner.supports(layer.backward_layer)


def _directions(layer, x):
    """``(forward's input, backward's input)``: ``x``, or ``[x, *its initial states]`` each."""
    if not isinstance(x, (list, tuple)):
        return x, x
    count = layer.forward_layer.state_count
    return [x[0]] + list(x[1:1 + count]), [x[0]] + list(x[1 + count:])


def bidirectional_forward(layer, params, x, mask=None):
    mask = mask[0] if isinstance(mask, (list, tuple)) else mask
    record = INNER[type(layer.forward_layer)]
    fwd, bwd = layer.forward_layer, layer.backward_layer
    x_fwd, x_bwd = _directions(layer, x)
    y, saved_fwd = record.forward(fwd, params[fwd.name], x_fwd, mask=mask)
    y_rev, saved_bwd = record.forward(bwd, params[bwd.name], x_bwd, mask=mask)
    fwd_states = bwd_states = []
    if layer.return_state:
        (y, *fwd_states), (y_rev, *bwd_states) = y, y_rev
    keep = None
    if layer.return_sequences:
        y_rev = y_rev[:, ::-1]                            # back into time order: (batch, time, units)
        if mask is not None:                               # zeros at masked steps, as Keras
            keep = mask[:, :, None]                        # (batch, time, 1)
            y, y_rev = np.where(keep, y, 0.0), np.where(keep, y_rev, 0.0)
    outputs = merge(layer.merge_mode, y, y_rev) + fwd_states + bwd_states
    return (outputs if len(outputs) > 1 else outputs[0]), (x, saved_fwd, saved_bwd, y, y_rev, keep)


def merge(mode, y, y_rev):
    """The merged output(s) of the two directions, as ``Bidirectional.apply`` merges them."""
    if mode == "concat":
        return [np.concatenate([y, y_rev], axis=-1)]       # (..., 2 units)
    if mode == "sum":
        return [y + y_rev]
    if mode == "mul":
        return [y * y_rev]
    if mode == "ave":
        return [(y + y_rev) / 2.0]
    return [y, y_rev]


def unmerge(mode, g, y, y_rev):
    """``(g at y, g at y_rev)`` from the gradient(s) at the merged output(s) (None: none arrives)."""
    if mode is None:
        return g[0], g[1]
    g = g[0]
    if g is None:
        return None, None
    if mode == "concat":
        units = y.shape[-1]
        return g[..., :units], g[..., units:]
    if mode == "sum":
        return g, g
    if mode == "mul":
        return g * y_rev, g * y
    return g / 2.0, g / 2.0                                 # ave


def bidirectional_backward(layer, params, saved, g, wanted):
    x, saved_fwd, saved_bwd, y, y_rev, keep = saved
    record = INNER[type(layer.forward_layer)]
    fwd, bwd = layer.forward_layer, layer.backward_layer
    gs = list(g) if isinstance(g, (list, tuple)) else [g]
    merged = 2 if layer.merge_mode is None else 1
    g_y, g_rev = unmerge(layer.merge_mode, gs[:merged], y, y_rev)
    count = fwd.state_count
    g_fwd_states, g_bwd_states = gs[merged:merged + count], gs[merged + count:]
    if keep is not None:
        g_y = None if g_y is None else np.where(keep, g_y, 0.0)
        g_rev = None if g_rev is None else np.where(keep, g_rev, 0.0)
    if layer.return_sequences and g_rev is not None:
        g_rev = g_rev[:, ::-1]                             # into the backward layer's own order
    many = isinstance(x, (list, tuple))
    wanted_fwd = [wanted[0]] + list(wanted[1:1 + count]) if many else wanted
    wanted_bwd = [wanted[0]] + list(wanted[1 + count:]) if many else wanted
    dx_fwd, d_fwd = _inner_backward(record, fwd, params[fwd.name], saved_fwd, g_y, g_fwd_states, wanted_fwd)
    dx_bwd, d_bwd = _inner_backward(record, bwd, params[bwd.name], saved_bwd, g_rev, g_bwd_states, wanted_bwd)
    grads = {fwd.name: d_fwd, bwd.name: d_bwd}
    if not many:
        return _add(dx_fwd, dx_bwd), grads
    dx = [_add(dx_fwd[0], dx_bwd[0])] + list(dx_fwd[1:]) + list(dx_bwd[1:])
    return [d if want else None for d, want in zip(dx, wanted)], grads


def _inner_backward(record, layer, params, saved, g_out, g_states, wanted):
    """One direction's ``(dx, dparams)``; zeros where no gradient reaches that direction."""
    g = [g_out] + list(g_states) if layer.return_state else g_out
    if g is None or (isinstance(g, list) and all(gi is None for gi in g)):
        zero = {name: np.zeros_like(value) for name, value in params.items()}
        x = saved[0]
        dx = [np.zeros_like(a) for a in x] if isinstance(x, (list, tuple)) else np.zeros_like(x)
        return dx, zero
    return record.backward(layer, params, saved, g, wanted)


def _add(a, b):
    return b if a is None else (a if b is None else a + b)


RECORDS = {Bidirectional: Record(bidirectional_forward, bidirectional_backward, supports, takes_list=None)}
