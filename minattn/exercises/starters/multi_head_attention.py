"""Exercise multi_head_attention: split into heads, attend in each head, merge, project.

This is the attention of the Transformer (Vaswani et al. 2017), with the
weights laid out as Keras's MultiHeadAttention lays them out (no biases).

Fill in the three functions, then check your work:

    python -m minattn.exercises check my_multi_head_attention.py

Statement, maths and hints: docs/coursework/multi_head_attention.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)
import numpy as np  # noqa: F401 (for the mask)

EXERCISE = "multi_head_attention"


def split_heads(x, num_heads):
    """(batch, T, num_heads * size) -> (batch, num_heads, T, size); head h is the block of columns h*size:(h+1)*size.

    Args:
        x: (batch, T, num_heads * size).
        num_heads: H.

    Returns:
        (batch, H, T, size).
    """
    # TODO: reshape to (batch, T, H, size), then transpose the middle two axes.
    raise NotImplementedError("split_heads: fill in this function")


def merge_heads(x):
    """The inverse of split_heads: (batch, H, T, size) -> (batch, T, H * size)."""
    # TODO: transpose back to (batch, T, H, size), then reshape.
    raise NotImplementedError("merge_heads: fill in this function")


def multi_head_attention(query, value, key, query_kernel, key_kernel, value_kernel, output_kernel, causal=False):
    """Multi-head scaled dot-product attention, Keras's argument order and weight layout, no biases.

        Q_h = query @ query_kernel[:, h]    K_h = key @ key_kernel[:, h]    V_h = value @ value_kernel[:, h]
        weights_h = softmax(Q_h K_h^T / sqrt(key_dim))      over the keys; causal: key j <= query i only
        output    = concat_h(weights_h V_h) @ output_kernel (reshaped to (H * value_dim, dq))

    Args:
        query: (batch, Tq, dq); value: (batch, Tk, dv); key: (batch, Tk, dk).
        query_kernel: (dq, H, key_dim); key_kernel: (dk, H, key_dim); value_kernel: (dv, H, value_dim).
        output_kernel: (H, value_dim, dq).
        causal: mask the later keys (needs Tq = Tk).

    Returns:
        (output (batch, Tq, dq), weights (batch, H, Tq, Tk)).
    """
    # TODO: project and split the three inputs, attend in every head at once, merge, project back.
    raise NotImplementedError("multi_head_attention: fill in this function")
