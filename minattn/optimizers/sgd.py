"""Stochastic gradient descent, with momentum and Nesterov momentum as Keras writes them."""
from ..arguments import check_fraction
from .base import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (Keras's rule).

    ``velocity = momentum * velocity - lr * g``; ``p = p + velocity``, or with
    ``nesterov=True`` ``p = p + momentum * velocity - lr * g`` (the new
    velocity). Plain SGD (momentum 0): ``p = p - lr * g``.

    Args:
        learning_rate: a number or a schedule, default 0.01.
        momentum: in [0, 1), default 0.
        nesterov: Nesterov momentum, default False.
        weight_decay: see ``Optimizer``.
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
    """
    moment_names = ("velocity",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        self.momentum = check_fraction(momentum, "SGD: momentum")
        if not isinstance(nesterov, bool):
            raise ValueError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        self.nesterov = nesterov

    def rule(self, flat, grads, moments, lr, t):
        """``(new flat weights, {"velocity": ...})`` from new vectors; the arguments are not changed."""
        step = lr * grads
        velocity = self.momentum * moments["velocity"] - step          # v = momentum v - lr g
        if self.nesterov:
            return flat + (self.momentum * velocity - step), {"velocity": velocity}
        return flat + velocity, {"velocity": velocity}
