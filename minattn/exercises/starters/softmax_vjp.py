"""Exercise softmax_vjp: softmax as an autograd primitive with a hand-written VJP.

autograd normally differentiates a function by recording every
``autograd.numpy`` call it makes. A *primitive* is a function autograd does
not look inside: you give it the backward rule yourself with ``defvjp``.
minattn's fast kernels (``minattn/fast/``) are built this way.

Fill in ``softmax`` and ``softmax_vjp``, then check your work:

    python -m minattn.exercises check my_softmax_vjp.py

Statement, maths and hints: docs/coursework/softmax_vjp.md.
"""
import numpy as np  # noqa: F401 -- inside a primitive plain NumPy is fine: autograd does not look in
from autograd.extend import defvjp, primitive

EXERCISE = "softmax_vjp"


@primitive
def softmax(x):
    """Softmax over the last axis.

    y_i = exp(x_i) / sum_j exp(x_j), for every row (the last axis) of x.

    Subtract each row's maximum before ``exp`` (the result does not change,
    and exp of a large logit would otherwise overflow to inf).

    Args:
        x: logits, any shape (..., n).

    Returns:
        y, the same shape as x; every row is positive and sums to 1.
    """
    # TODO: shift by the max over the last axis (keepdims=True), exp, divide by the row sums.
    raise NotImplementedError("softmax: fill in this function")


def softmax_vjp(ans, x):
    """The vector-Jacobian product of softmax, as autograd wants it.

    autograd calls ``softmax_vjp(ans, x)`` as soon as softmax has run, with
    ``ans = softmax(x)``; in the backward pass it calls the function you
    return on the gradient g arriving at the output:

        x_bar_i = sum_j g_j * dy_j/dx_i,   dy_j/dx_i = y_j * (delta_ij - y_i)

    where j runs over the last axis. Simplify the sum before you code it: it
    needs no (n, n) Jacobian.

    Args:
        ans: y = softmax(x), shape (..., n).
        x: the input, shape (..., n).

    Returns:
        A function g -> x_bar, both of shape (..., n).
    """
    # TODO: return a function of g (a lambda is fine) that uses ans.
    raise NotImplementedError("softmax_vjp: fill in this function")


defvjp(softmax, softmax_vjp)          # registers the VJP for softmax's first argument
