"""What a recurrent cell computes when it reads its gate blocks in another order.

An LSTM's (or GRU's) weights hold one block of ``units`` columns per gate.
A cell that reads block k as the wrong gate computes exactly what the
reference cell computes on weights whose blocks are shuffled to match;
so one reference run per order tells which order a student used.
"""
from functools import partial
from itertools import permutations

import numpy as np


def reorder(weights, order, gates):
    """The weights on which the reference computes what a cell reading the blocks in ``order`` computes."""
    blocks = np.split(weights, len(gates), axis=-1)
    return np.concatenate([blocks[order.index(gate)] for gate in gates], axis=-1)


def gate_order_mistakes(reference, states, weights, gates, hint):
    """``(message, compute)`` for every order of ``gates`` other than the right one.

    Args:
        reference: ``reference(*states, *weights)``, the right cell.
        states: its leading arguments (x, h, ...), left as they are.
        weights: the arrays whose last axis holds the gate blocks.
        gates: the right order, e.g. "ifco".
        hint: added to each message.
    """
    found = []
    for order in permutations(gates):
        if "".join(order) != gates:
            reordered = [reorder(w, order, gates) for w in weights]
            found.append((f"your gates are in the order {', '.join(order)}? Keras uses {', '.join(gates)}. {hint}",
                          partial(reference, *states, *reordered)))
    return found
