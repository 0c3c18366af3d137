"""Adam and AdamW: Keras's update rule, defaults and (for AdamW) decoupled weight decay."""
import numpy as np

from ..arguments import check_fraction, check_positive
from .base import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with Keras's update rule and defaults.

    At step t, for each weight p with gradient g:

        m = beta_1 m + (1 - beta_1) g
        v = beta_2 v + (1 - beta_2) g^2
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        p = p - alpha * m / (sqrt(v) + epsilon)

    With ``amsgrad=True`` the denominator uses ``v_hat = max(v_hat, v)``, the
    largest v so far (Reddi et al. 2018).

    Args:
        learning_rate: a number or a schedule, default 1e-3.
        beta_1: decay rate of the first moment m, default 0.9.
        beta_2: decay rate of the second moment v, default 0.999.
        epsilon: default 1e-7 (Keras's; the paper's 1e-8).
        amsgrad: default False.
        weight_decay: see ``Optimizer`` (Adam's defaults to None: none).
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
    """

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm)
        label = type(self).__name__
        self.beta_1 = check_fraction(beta_1, f"{label}: beta_1")
        self.beta_2 = check_fraction(beta_2, f"{label}: beta_2")
        self.epsilon = check_positive(epsilon, f"{label}: epsilon")
        if not isinstance(amsgrad, bool):
            raise ValueError(f"{label}: amsgrad must be True or False, got {amsgrad!r}")
        self.amsgrad = amsgrad
        self.moment_names = ("m", "v", "v_hat") if amsgrad else ("m", "v")

    def rule(self, flat, grads, moments, lr, t):
        """``(new flat weights, new moments)`` from new vectors; the arguments are not changed."""
        g, b1, b2 = grads, self.beta_1, self.beta_2
        m = b1 * moments["m"] + (1.0 - b1) * g                   # m = b1 m + (1 - b1) g
        v = b2 * moments["v"] + (1.0 - b2) * (g * g)             # v = b2 v + (1 - b2) g^2
        new = {"m": m, "v": v}
        if self.amsgrad:
            v = new["v_hat"] = np.maximum(moments["v_hat"], v)    # the largest v so far
        alpha = float(lr * np.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t))
        return flat - alpha * m / (np.sqrt(v) + self.epsilon), new


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), Keras's ``AdamW``.

    Each step first shrinks every weight towards 0 by ``weight_decay * lr`` of
    itself, ``p = p - p * weight_decay * lr``, then takes Adam's step (see
    ``Adam``) with the gradient of the loss alone. Unlike an L2 penalty added
    to the loss, the decay does not pass through Adam's division by
    ``sqrt(v)``, so every weight shrinks at the same relative rate. As in
    Keras every weight decays, biases and LayerNormalization's gamma and beta
    included, unless excluded: ``exclude_from_weight_decay(var_names=["bias",
    "gamma", "beta"])`` is the common choice.

    Args:
        learning_rate: a number or a schedule, default 1e-3.
        weight_decay: default 0.004 (Keras's), a number >= 0.
        beta_1: as ``Adam`` (0.9).
        beta_2: as ``Adam`` (0.999).
        epsilon: as ``Adam`` (1e-7).
        amsgrad: as ``Adam`` (False).
        clipnorm: see ``Optimizer``.
        clipvalue: see ``Optimizer``.
        global_clipnorm: see ``Optimizer``.
    """

    def __init__(self, learning_rate=1e-3, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a number >= 0, got None (use Adam for no decay)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue,
                         global_clipnorm)
