"""The attention decoder's per-step attention as few recorded ops.

* ``additive_scores``: Bahdanau's ``e_s = v . tanh(q W1 + k_s W2)`` for one
  query per sample against every key, with the keys' projection ``k W2``
  computed once for all decoder steps (it does not depend on the step);
* ``masked_softmax``: softmax over the allowed positions, exactly 0
  elsewhere (``layers.attention.masked_softmax``), as one op.
"""
import numpy as np
from autograd.extend import defvjp, defvjp_argnums, primitive

from ..layers.attention import MASK_VALUE
from .elementwise import np_softmax


@primitive
def additive_scores(query, keys_projected, query_kernel, v):
    """``(batch, Tx)`` scores ``v . tanh(q W1 + k_s W2)``.

    Args:
        query: (batch, dq), one query per sample.
        keys_projected: ``k W2``, (batch, Tx, units), computed once.
        query_kernel: W1, (dq, units).
        v: (units,).
    """
    hidden = np.tanh(np.dot(query, query_kernel)[:, None, :] + keys_projected)   # (batch, Tx, units)
    return np.dot(hidden, v)


def _additive_scores_vjp(argnums, scores, args, kwargs):
    query, keys_projected, query_kernel, v = args
    hidden = np.tanh(np.dot(query, query_kernel)[:, None, :] + keys_projected)   # recomputed, (b, Tx, units)

    def vjp(g):                                                    # g: (batch, Tx)
        d_pre = g[:, :, None] * v * (1.0 - hidden * hidden)         # at q W1 + k W2, (batch, Tx, units)
        d_query_proj = d_pre.sum(axis=1)                            # (batch, units)
        grads = {0: lambda: np.dot(d_query_proj, query_kernel.T),
                 1: lambda: d_pre,
                 2: lambda: np.dot(query.T, d_query_proj),
                 3: lambda: np.einsum("bs,bsu->u", g, hidden)}
        return tuple(grads[i]() for i in argnums)
    return vjp


defvjp_argnums(additive_scores, _additive_scores_vjp)


@primitive
def masked_softmax(scores, allowed):
    """Softmax over the last axis of the allowed places; exactly 0 elsewhere (allowed may be None)."""
    if allowed is None:
        return np_softmax(scores, -1)
    weights = np_softmax(np.where(allowed, scores, MASK_VALUE), -1)
    return np.where(allowed, weights, 0.0).astype(weights.dtype)


def _masked_softmax_vjp(weights, scores, allowed):
    def vjp(g):                    # softmax's Jacobian; disallowed places have weight 0, so get 0
        return weights * (g - np.sum(g * weights, axis=-1, keepdims=True))
    return vjp


defvjp(masked_softmax, _masked_softmax_vjp)
