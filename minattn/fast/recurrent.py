"""What the LSTM and GRU records share: the call's inputs as the loop sees them, and the
outputs and their gradients as ``apply`` returns them (``layers.recurrent._Recurrent.apply``).

* ``loop_inputs``: ``x`` or ``[x, *initial states]`` -> (x, states, mask) for the loop:
  the steps read last to first with ``go_backwards``, zero states when none are given;
* ``layer_output``: the loop's (every h, final states) -> what ``apply`` returns;
* ``loop_grads``: d loss / d that output -> (g at every h, g at each final state);
* ``input_grads``: the loop's d x and d states -> ``dx`` in the form of the call's ``x``.
"""
import numpy as np


def loop_inputs(layer, params, x, mask):
    """``(x (batch, time, features), initial states, mask (batch, time) or None)`` for the loop."""
    if isinstance(x, (list, tuple)):
        x, states = x[0], list(x[1:])
        mask = mask[0] if isinstance(mask, (list, tuple)) else mask
    else:
        states = None
    if layer.go_backwards:                                 # read the steps last to first
        x = x[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    if states is None:
        zeros = np.zeros((x.shape[0], layer.units), dtype=params["kernel"].dtype)
        states = [zeros] * layer.state_count
    return x, states, mask


def layer_output(layer, sequence, states):
    """What ``apply`` returns: every h (return_sequences) or the last, then the states (return_state)."""
    output = sequence if layer.return_sequences else states[0]      # (b, t, u) | (b, u)
    return [output] + list(states) if layer.return_state else output


def loop_grads(layer, g):
    """``(g at every h or None, [g at each final state or None])`` from d loss / d the output."""
    if layer.return_state:
        g_output, g_states = g[0], list(g[1:])
    else:
        g_output, g_states = g, [None] * layer.state_count
    if layer.return_sequences:
        return g_output, g_states
    g_h = g_states[0]                                   # the output is the last h: its g adds there
    g_states[0] = g_output if g_h is None else (g_h if g_output is None else g_output + g_h)
    return None, g_states


def input_grads(layer, x, d_x, d_states, wanted):
    """``dx`` in the form of the call's ``x``: d x back in time order, then each initial state's."""
    if d_x is not None and layer.go_backwards:
        d_x = d_x[:, ::-1]
    if not isinstance(x, (list, tuple)):
        return d_x
    return [d if want else None for d, want in zip([d_x] + list(d_states), wanted)]
