"""Multiply and Add as records: ``y = x_1 * x_2 * ...`` and ``y = x_1 + x_2 + ...``.

    Multiply:  d y / d x_i = g * (the product of the others)
    Add:       d y / d x_i = g
each summed back over the axes where x_i was broadcast (size 1 in x_i).
"""
from ..layers.merging import Add, Multiply
from .record import Record


def sum_to_shape(g, shape):
    """``g`` summed over the axes where ``shape`` has size 1 and g does not (undoing a broadcast)."""
    if g.shape == tuple(shape):
        return g
    axes = tuple(i for i, (size, target) in enumerate(zip(g.shape, shape)) if target == 1 and size != 1)
    return g.sum(axis=axes, keepdims=True)


def multiply_forward(layer, params, xs):
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    return y, xs


def multiply_backward(layer, params, xs, g, wanted):
    grads = []
    for i, x in enumerate(xs):                   # d y / d x_i = the product of the others
        if not wanted[i]:
            grads.append(None)
            continue
        d = g
        for j, other in enumerate(xs):
            if j != i:
                d = d * other
        grads.append(sum_to_shape(d, x.shape))
    return grads, {}


def add_forward(layer, params, xs):
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    return y, [x.shape for x in xs]


def add_backward(layer, params, shapes, g, wanted):
    return [sum_to_shape(g, shape) if want else None for shape, want in zip(shapes, wanted)], {}


RECORDS = {
    Multiply: Record(multiply_forward, multiply_backward, takes_list=True),
    Add: Record(add_forward, add_backward, takes_list=True),
}
