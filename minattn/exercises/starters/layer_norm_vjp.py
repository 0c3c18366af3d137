"""Exercise layer_norm_vjp: layer normalization as an autograd primitive with hand-written VJPs.

Layer normalization is the step between the sub-layers of a Transformer.
Here it is a *primitive*: autograd does not look inside, and uses the three
backward rules (for x, gamma and beta) that you register with ``defvjp``.

Fill in ``layer_norm`` and its three VJPs, then check your work:

    python -m minattn.exercises check my_layer_norm_vjp.py

Statement, maths and hints: docs/coursework/layer_norm_vjp.md.
"""
import numpy as np  # noqa: F401 -- inside a primitive plain NumPy is fine: autograd does not look in
from autograd.extend import defvjp, primitive

EXERCISE = "layer_norm_vjp"


@primitive
def layer_norm(x, gamma, beta, epsilon=1e-3):
    """Layer normalization over the last axis, as Keras's LayerNormalization computes it.

        mean = mean of x over the last axis            (..., 1)
        var  = mean of (x - mean)^2 over it            (..., 1), divided by n, not n - 1
        y    = gamma * (x - mean) / sqrt(var + epsilon) + beta

    Args:
        x: (..., features).
        gamma, beta: (features,).
        epsilon: Keras's default 1e-3.

    Returns:
        y, x's shape.
    """
    # TODO: mean and var with keepdims=True, then the formula.
    raise NotImplementedError("layer_norm: fill in this function")


def layer_norm_vjp_x(ans, x, gamma, beta, epsilon=1e-3):
    """The VJP for x: returns the function g -> x_bar (both x's shape). See the page for the formula."""
    # TODO: x_hat and 1/sqrt(var + epsilon) from x, then a function of g.
    raise NotImplementedError("layer_norm_vjp_x: fill in this function")


def layer_norm_vjp_gamma(ans, x, gamma, beta, epsilon=1e-3):
    """The VJP for gamma: returns the function g -> gamma_bar, shape (features,)."""
    # TODO: sum g * x_hat over every axis but the last.
    raise NotImplementedError("layer_norm_vjp_gamma: fill in this function")


def layer_norm_vjp_beta(ans, x, gamma, beta, epsilon=1e-3):
    """The VJP for beta: returns the function g -> beta_bar, shape (features,)."""
    # TODO: sum g over every axis but the last.
    raise NotImplementedError("layer_norm_vjp_beta: fill in this function")


defvjp(layer_norm, layer_norm_vjp_x, layer_norm_vjp_gamma, layer_norm_vjp_beta)   # one VJP per argument
