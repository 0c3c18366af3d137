"""Reference solution of multi_head_attention (the statement is in the starter and docs/coursework/multi_head_attention.md)."""
import autograd.numpy as anp
import numpy as np

EXERCISE = "multi_head_attention"


def split_heads(x, num_heads):
    batch, steps, width = x.shape
    x = anp.reshape(x, (batch, steps, num_heads, width // num_heads))    # (batch, T, heads, size)
    return anp.transpose(x, (0, 2, 1, 3))                               # (batch, heads, T, size)


def merge_heads(x):
    batch, heads, steps, size = x.shape
    x = anp.transpose(x, (0, 2, 1, 3))                                  # (batch, T, heads, size)
    return anp.reshape(x, (batch, steps, heads * size))


def project(x, kernel):
    """(batch, T, d) through a kernel (d, heads, size) -> (batch, heads, T, size)."""
    d, heads, size = kernel.shape
    return split_heads(anp.matmul(x, anp.reshape(kernel, (d, heads * size))), heads)


def multi_head_attention(query, value, key, query_kernel, key_kernel, value_kernel, output_kernel, causal=False):
    q, k, v = project(query, query_kernel), project(key, key_kernel), project(value, value_kernel)
    scores = anp.matmul(q, anp.swapaxes(k, -1, -2)) / np.sqrt(q.shape[-1])     # (batch, heads, Tq, Tk)
    allowed = np.ones(scores.shape[-2:], dtype=bool)
    if causal:
        allowed = np.tril(allowed)                                             # key j <= query i
    scores = anp.where(allowed, scores, -1e9)
    exps = anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))
    weights = exps / anp.sum(exps, axis=-1, keepdims=True)
    heads, size, d_out = output_kernel.shape
    output = anp.matmul(merge_heads(anp.matmul(weights, v)), anp.reshape(output_kernel, (heads * size, d_out)))
    return output, weights
