"""Reference solution of scaled_dot_attention (statement: the starter and docs/coursework/scaled_dot_attention.md)."""
import autograd.numpy as anp
import numpy as np

EXERCISE = "scaled_dot_attention"


def scaled_dot_attention(query, keys, values, causal=False):
    d = query.shape[-1]
    scores = anp.matmul(query, anp.swapaxes(keys, -1, -2)) / np.sqrt(d)     # (batch, Tq, Tk)
    allowed = np.ones(scores.shape[-2:], dtype=bool)
    if causal:
        allowed = np.tril(allowed)                                          # key j <= query i
    scores = anp.where(allowed, scores, -1e9)
    exps = anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))
    weights = exps / anp.sum(exps, axis=-1, keepdims=True)
    return anp.matmul(weights, values), weights
