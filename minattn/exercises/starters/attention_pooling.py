"""Exercise attention_pooling: the text article's (seed 003) attention layer, with its bias.

The article's Keras layer creates a bias ``b`` of shape (time, 1) and then
never uses it. Here you write the layer as it was meant to be: with b added.

Fill in ``attention_pooling``, then check your work:

    python -m minattn.exercises check my_attention_pooling.py

Statement, maths and hints: docs/coursework/attention_pooling.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "attention_pooling"


def attention_pooling(x, kernel, bias):
    """Attention pooling over time: one score per step, softmax over the steps, weighted sum.

        e_t = x_t . w + b_t                 one score per time step
        a   = softmax_t(e)                  over the time axis
        out = sum_t a_t x_t                 one vector per sequence

    Args:
        x: the sequence, e.g. an LSTM's states, (batch, time, features).
        kernel: w, (features, 1).
        bias: b, (time, 1): one bias per step.

    Returns:
        (pooled, weights): pooled (batch, features), weights a (batch, time).
    """
    # TODO: scores (batch, time) from anp.matmul(x, kernel)[:, :, 0] plus bias[:, 0]; a softmax over
    # axis 1 that subtracts the max; then the weighted sum over axis 1.
    raise NotImplementedError("attention_pooling: fill in this function")
