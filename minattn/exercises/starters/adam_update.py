"""Exercise adam_update: one step of the Adam optimizer, exactly as Keras computes it.

Fill in ``adam_update``, then check your work:

    python -m minattn.exercises check my_adam_update.py

Statement, maths and hints: docs/coursework/adam_update.md.
"""
import numpy as np  # noqa: F401 (for your code: the optimizer is not differentiated, plain NumPy is fine)

EXERCISE = "adam_update"


def adam_update(param, grad, m, v, step, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """One Adam step (Kingma & Ba 2015) for one weight, with Keras's bias correction and defaults.

        m'     = beta_1 m + (1 - beta_1) g               running mean of the gradient
        v'     = beta_2 v + (1 - beta_2) g^2             running mean of its square
        lr_t   = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)     t = step, counted from 1
        param' = param - lr_t * m' / (sqrt(v') + epsilon)

    Return new arrays: leave param, grad, m and v as they are.

    Args:
        param: the weight, any shape.
        grad: its gradient, param's shape.
        m, v: the moments after step - 1 steps (zeros before the first step), param's shape.
        step: t, the number of this step: 1 for the first.
        learning_rate, beta_1, beta_2, epsilon: Keras's names and defaults.

    Returns:
        (new_param, new_m, new_v), each of param's shape.
    """
    # TODO: the two moments first, then the step size lr_t, then the step.
    raise NotImplementedError("adam_update: fill in this function")
