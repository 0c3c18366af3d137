"""The five attention scores of one query against its keys, and their backward, for the records.

``layers/scores.py`` is the readable maths, for (batch, Tq, dq) queries. A decoder asks one
query per step, h (batch, u), against the same keys hbar (batch, Tx, dv) every step, so the
part of a score that reads the keys alone (the additive and concat scores' ``hbar W2``) is
made once per sequence (``ScoreKeys``) and its gradient summed over the steps.

    dot          e_s = h . hbar_s                    dh = sum_s de_s hbar_s,  dhbar_s += de_s h
    scaled_dot   e_s = h . hbar_s / sqrt(u)          as dot, de scaled by 1 / sqrt(u)
    general      e_s = (h W) . hbar_s                dq = sum_s de_s hbar_s,  dW += h^T dq
    additive     e_s = v . tanh(h W1 + hbar_s W2)    dP = de v (1 - T^2),  dW1 += h^T sum_s dP
    concat       the additive score with W = [W1; W2]
"""
import numpy as np

from ..layers.scores import AdditiveScore, ConcatScore, DotScore, GeneralScore, ScaledDotScore

SCORE_KINDS = (DotScore, ScaledDotScore, GeneralScore, AdditiveScore, ConcatScore)


class ScoreKeys:
    """One score over one sequence's keys: the forward per query, the backward per query, and
    the keys' and weights' gradients summed over every query (``grads``)."""

    def __init__(self, score, params, keys):
        self.kind, self.params, self.keys = type(score), params, keys          # keys: (B, Tx, dv)
        self.d_keys = np.zeros_like(keys)
        self.d_params = {name: np.zeros_like(w) for name, w in params.items()}
        if self.kind in (AdditiveScore, ConcatScore):
            self.w1, self.w2 = self.split_kernel()
            self.keys_w2 = np.matmul(keys, self.w2)                             # (B, Tx, su)
            self.d_keys_w2, self.d_w1 = np.zeros_like(self.keys_w2), np.zeros_like(self.w1)

    def split_kernel(self):
        """(W1 (u, su), W2 (dv, su)): the additive score's two kernels, or concat's W split."""
        if self.kind is AdditiveScore:
            return self.params["query_kernel"], self.params["key_kernel"]
        kernel = self.params["kernel"]
        return kernel[:-self.keys.shape[-1]], kernel[-self.keys.shape[-1]:]

    def forward(self, h):
        """Scores (B, Tx) of the query h (B, u), and what ``backward`` needs."""
        if self.kind in (AdditiveScore, ConcatScore):
            hidden = np.tanh(np.matmul(h, self.w1)[:, None, :] + self.keys_w2)  # T: (B, Tx, su)
            return np.matmul(hidden, self.params["v"]), hidden
        query = np.matmul(h, self.params["kernel"]) if self.kind is GeneralScore else h
        scores = np.matmul(self.keys, query[:, :, None])[:, :, 0]               # (B, Tx)
        if self.kind is ScaledDotScore:
            scores = scores / float(np.sqrt(h.shape[-1]))
        return scores, query

    def backward(self, h, kept, d_scores):
        """d loss / d h (B, u) from d_scores (B, Tx); the keys' and weights' gradients add up."""
        if self.kind in (AdditiveScore, ConcatScore):
            hidden = kept
            v = self.params["v"]
            self.d_params["v"] += np.dot(d_scores.reshape(-1), hidden.reshape(-1, hidden.shape[-1]))
            d_pre = d_scores[:, :, None] * v * (1.0 - hidden * hidden)           # (B, Tx, su)
            self.d_keys_w2 += d_pre
            d_query = d_pre.sum(axis=1)                                          # (B, su)
            self.d_w1 += np.dot(h.T, d_query)
            return np.dot(d_query, self.w1.T)
        query = kept
        if self.kind is ScaledDotScore:
            d_scores = d_scores / float(np.sqrt(h.shape[-1]))
        self.d_keys += d_scores[:, :, None] * query[:, None, :]
        d_query = np.matmul(d_scores[:, None, :], self.keys)[:, 0]             # (B, dq)
        if self.kind is GeneralScore:
            self.d_params["kernel"] += np.dot(h.T, d_query)
            return np.dot(d_query, self.params["kernel"].T)
        return d_query

    def grads(self):
        """(d keys (B, Tx, dv), d weights as the score's dict), summed over every query."""
        if self.kind not in (AdditiveScore, ConcatScore):
            return self.d_keys, self.d_params
        dv = self.keys.shape[-1]
        d_w2 = np.dot(self.keys.reshape(-1, dv).T, self.d_keys_w2.reshape(-1, self.w2.shape[1]))
        d_keys = self.d_keys + np.matmul(self.d_keys_w2, self.w2.T)
        if self.kind is AdditiveScore:
            self.d_params.update(query_kernel=self.d_w1, key_kernel=d_w2)
        else:
            self.d_params["kernel"] = np.concatenate([self.d_w1, d_w2])
        return d_keys, self.d_params
