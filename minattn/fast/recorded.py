"""How a fast kernel with state of its own (LSTM, GRU) becomes one recorded op.

The backward pass through time needs more than the outputs: every step's
gates and states. So such a kernel runs its forward pass in plain NumPy on the
values and then records one op that takes the forward pass's results as an
extra argument ``saved``. autograd does not differentiate ``saved`` (it is not
a traced value); the VJP reads it. PyTorch calls this ``save_for_backward``.
"""
import numpy as np
from autograd.tracer import getval


def run_recorded(forward, op, inputs, **settings):
    """``op(*inputs, saved, **settings)`` with ``saved = forward(*values of inputs, **settings)``."""
    saved = forward(*[getval(a) for a in inputs], **settings)
    return op(*inputs, saved, **settings)


def vjp_from_backward(backward):
    """A VJP maker for such an op: ``backward(*inputs, saved, output_grads, **settings)``
    returns the gradients of every input at once, and autograd takes the ones it needs."""
    def make_vjp(argnums, outputs, args, kwargs):
        def vjp(output_grads):
            grads = backward(*args, output_grads, **kwargs)
            return tuple(grads[i] for i in argnums)
        return vjp
    return make_vjp


def any_nonzero(array):
    """Whether any element is non-zero, in one pass: the largest bit pattern, read as
    unsigned integers of the same size, is 0 only if every element is 0.0 (-0.0 counts as
    non-zero, which costs nothing but a wasted addition)."""
    return array.size > 0 and array.view(f"u{array.itemsize}").max() != 0

