"""Reference solution of adam_update (the statement is in the starter and docs/coursework/adam_update.md)."""
import numpy as np

EXERCISE = "adam_update"


def adam_update(param, grad, m, v, step, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    new_m = beta_1 * m + (1.0 - beta_1) * grad                       # a running mean of g
    new_v = beta_2 * v + (1.0 - beta_2) * grad * grad                # a running mean of g^2
    step_size = learning_rate * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)   # bias correction
    return param - step_size * new_m / (np.sqrt(new_v) + epsilon), new_m, new_v
