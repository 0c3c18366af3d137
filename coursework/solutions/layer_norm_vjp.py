"""Reference solution of layer_norm_vjp (the statement is in the starter and docs/coursework/layer_norm_vjp.md)."""
import numpy as np
from autograd.extend import defvjp, primitive

EXERCISE = "layer_norm_vjp"


def normalized(x, epsilon):
    """(x_hat, 1 / sqrt(var + epsilon)) over the last axis."""
    centred = x - np.mean(x, axis=-1, keepdims=True)
    inverse_std = 1.0 / np.sqrt(np.mean(centred ** 2, axis=-1, keepdims=True) + epsilon)
    return centred * inverse_std, inverse_std


@primitive
def layer_norm(x, gamma, beta, epsilon=1e-3):
    x_hat, _ = normalized(x, epsilon)
    return gamma * x_hat + beta


def layer_norm_vjp_x(ans, x, gamma, beta, epsilon=1e-3):
    x_hat, inverse_std = normalized(x, epsilon)

    def vjp(g):
        scaled = g * gamma                                              # dL/dx_hat
        return inverse_std * (scaled - np.mean(scaled, axis=-1, keepdims=True)
                              - x_hat * np.mean(scaled * x_hat, axis=-1, keepdims=True))
    return vjp


def layer_norm_vjp_gamma(ans, x, gamma, beta, epsilon=1e-3):
    x_hat, _ = normalized(x, epsilon)
    return lambda g: np.sum(g * x_hat, axis=tuple(range(x.ndim - 1)))   # every axis but the features


def layer_norm_vjp_beta(ans, x, gamma, beta, epsilon=1e-3):
    return lambda g: np.sum(g, axis=tuple(range(x.ndim - 1)))


defvjp(layer_norm, layer_norm_vjp_x, layer_norm_vjp_gamma, layer_norm_vjp_beta)
