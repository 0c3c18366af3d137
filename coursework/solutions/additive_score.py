"""Reference solution of additive_score (the statement is in the starter and docs/coursework/additive_score.md)."""
import autograd.numpy as anp

EXERCISE = "additive_score"


def additive_score(query, keys, query_kernel, key_kernel, v):
    projected_queries = anp.matmul(query, query_kernel)             # (batch, Tq, units)
    projected_keys = anp.matmul(keys, key_kernel)                   # (batch, Tk, units)
    pairs = projected_queries[:, :, None, :] + projected_keys[:, None, :, :]   # (batch, Tq, Tk, units)
    return anp.dot(anp.tanh(pairs), v)                              # (batch, Tq, Tk)
