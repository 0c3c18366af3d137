"""Score functions: how well each key fits each query, ``e = score(query, keys)``.

Step one of the three in ``attention.py`` (read that first). Each score is a
plain function of arrays, (batch, Tq, dq) queries and (batch, Tk, dk) keys
-> (batch, Tq, Tk), then a ``Score`` object that creates its weights and
calls it; ``get_score`` finds one by name. ``Attention`` and
``AttentionDecoder`` take any of them; ``multihead.py`` (next) uses the
scaled dot product.
"""
import autograd.numpy as anp
import numpy as np

from .. import activations
from ..arguments import check_positive_int
from ..initializers import glorot_uniform


# ---------------------------------------------------------------------------
# Score functions: (batch, Tq, dq) queries and (batch, Tk, dk) keys -> (batch, Tq, Tk)
# ---------------------------------------------------------------------------
def dot_score(query, keys):
    """Luong et al. 2015 "dot": ``e_ij = q_i . k_j`` (needs dq == dk). Works for any leading axes."""
    return anp.matmul(query, anp.swapaxes(keys, -1, -2))     # (..., Tq, d) @ (..., d, Tk)


def scaled_dot_score(query, keys):
    """Vaswani et al. 2017: ``e_ij = q_i . k_j / sqrt(d)``, so scores don't grow with d."""
    return dot_score(query, keys) / float(np.sqrt(query.shape[-1]))     # a Python float keeps float32


def general_score(query, keys, kernel):
    """Luong et al. 2015 "general": ``e_ij = q_i^T W k_j`` with W (dq, dk)."""
    return dot_score(anp.matmul(query, kernel), keys)         # q W: (batch, Tq, dk)


def additive_score(query, keys, query_kernel, key_kernel, v):
    """Bahdanau et al. 2015: ``e_ij = v^T tanh(W1 q_i + W2 k_j)``.

    W1 = query_kernel (dq, units), W2 = key_kernel (dk, units), v (units,);
    the layout is Keras's (x @ kernel), i.e. the paper's matrices transposed.
    """
    q = anp.matmul(query, query_kernel)[:, :, None, :]          # (batch, Tq, 1, units)
    k = anp.matmul(keys, key_kernel)[:, None, :, :]             # (batch, 1, Tk, units)
    return anp.sum(activations.tanh(q + k) * v, axis=-1)        # (batch, Tq, Tk, units) -> (batch, Tq, Tk)


def concat_score(query, keys, kernel, v):
    """Luong et al. 2015 "concat": ``e_ij = v^T tanh(W [q_i; k_j])`` with W (dq + dk, units).

    ``[q; k] @ W`` equals ``q @ W[:dq] + k @ W[dq:]``: the same maths as the
    additive score with W split in two, without building every (i, j) pair
    of concatenated vectors.
    """
    dq = query.shape[-1]
    return additive_score(query, keys, kernel[:dq], kernel[dq:], v)


class Score:
    """A score function with its weights.

    ``init(rng, query_dim, key_dim) -> params`` creates the weights (a dict,
    empty for dot and scaled_dot); ``scores(params, query, keys)`` maps
    (batch, Tq, dq) and (batch, Tk, dk) to scores (batch, Tq, Tk).

    Args:
        units: the hidden size of additive and concat scores (default: key_dim).
    """
    name = None

    def __init__(self, units=None):
        self.units = None if units is None else check_positive_int(units, f"{type(self).__name__}: units")

    def init(self, rng, query_dim, key_dim):
        return {}

    def scores(self, params, query, keys):
        raise NotImplementedError

    def _same_dims(self, query_dim, key_dim):
        if query_dim != key_dim:
            raise ValueError(f"the {self.name!r} score needs queries and keys of the same size, "
                             f"got query dim {query_dim} and key dim {key_dim}")


class DotScore(Score):
    """``q . k`` (Luong et al. 2015)."""
    name = "dot"

    def init(self, rng, query_dim, key_dim):
        self._same_dims(query_dim, key_dim)
        return {}

    def scores(self, params, query, keys):
        return dot_score(query, keys)


class ScaledDotScore(DotScore):
    """``q . k / sqrt(d)`` (Vaswani et al. 2017)."""
    name = "scaled_dot"

    def scores(self, params, query, keys):
        return scaled_dot_score(query, keys)


class GeneralScore(Score):
    """``q^T W k`` (Luong et al. 2015); weight ``kernel (dq, dk)``."""
    name = "general"

    def init(self, rng, query_dim, key_dim):
        return {"kernel": glorot_uniform(rng, (query_dim, key_dim))}

    def scores(self, params, query, keys):
        return general_score(query, keys, params["kernel"])


class AdditiveScore(Score):
    """``v^T tanh(W1 q + W2 k)`` (Bahdanau et al. 2015); weights ``query_kernel``, ``key_kernel``, ``v``."""
    name = "additive"

    def init(self, rng, query_dim, key_dim):
        units = self.units or key_dim
        return {"query_kernel": glorot_uniform(rng, (query_dim, units)),
                "key_kernel": glorot_uniform(rng, (key_dim, units)), "v": glorot_uniform(rng, (units,))}

    def scores(self, params, query, keys):
        return additive_score(query, keys, params["query_kernel"], params["key_kernel"], params["v"])


class ConcatScore(Score):
    """``v^T tanh(W [q; k])`` (Luong et al. 2015); weights ``kernel (dq + dk, units)``, ``v``."""
    name = "concat"

    def init(self, rng, query_dim, key_dim):
        units = self.units or key_dim
        return {"kernel": glorot_uniform(rng, (query_dim + key_dim, units)), "v": glorot_uniform(rng, (units,))}

    def scores(self, params, query, keys):
        return concat_score(query, keys, params["kernel"], params["v"])


SCORES = {cls.name: cls for cls in (DotScore, ScaledDotScore, GeneralScore, AdditiveScore, ConcatScore)}


def get_score(score, units=None, where="score"):
    """A ``Score`` for a name in ``SCORES`` ("dot", "scaled_dot", "general", "additive", "concat")."""
    if isinstance(score, Score):
        return score
    if isinstance(score, str) and score in SCORES:
        return SCORES[score](None if units is None else check_positive_int(units, f"{where}: units"))
    raise ValueError(f"{where}: unknown score {score!r}; expected one of {sorted(SCORES)} "
                     "or a Score instance")
