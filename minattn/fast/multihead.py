"""MultiHeadAttention as a fast record: projections, masked softmax, dropout, and their backward.

Forward, per head h (shapes for batch B, H heads, head size k):

    Q, K, V = query W^Q + b^Q, key W^K + b^K, value W^V + b^V    (B, H, T, k) each
    S = (Q / sqrt(k)) K^T                                       (B, H, Tq, Tk)
    A = softmax(S) over the keys, exactly 0 where not allowed   (padded keys; j > i if causal)
    O = concat_h(dropout(A) V) W^O + b^O                        (B, Tq, d_out)

Backward, with G = d loss / d O and D = the scaled keep mask of the dropout:

    dW^O = concat^T G        dV = (A D)^T dheads       d(A D) = dheads V^T
    dA = d(A D) * D (+ the gradient of the returned weights, if any)
    dS = A * (dA - sum_j dA * A)                       (softmax's Jacobian; 0 where A is masked)
    dQ = dS K / sqrt(k)      dK = dS^T (Q / sqrt(k))
    and each projection's dW = x^T dP, db = sum of dP, dx = dP W^T.

Projections read from the same array (self-attention's query, key and value;
cross-attention's key and value) run as one matrix product over their
kernels side by side (``projection_groups``), and so do their gradients.
"""
import numpy as np

from ..layers.attention import MASK_VALUE, attention_mask, zero_masked_steps
from ..layers.multihead import MultiHeadAttention
from ..layers.vocabulary import split_query_value_key
from .dropout import apply_keep, dropout_keep
from .elementwise import SAFE_SPREAD, sum_last
from .record import Record

PARTS = ("query", "key", "value")
NO_SHIFT = 60.0      # exp(+-60) is far inside float32's range (about e^+-88), and so is a sum of them


class Group:
    """Projections of one input array that share one matrix product: ``parts`` in column order."""

    def __init__(self, x, size):
        self.x, self.size, self.parts = x, size, []
        self.width = None                   # columns of the product, set by ``project``

    def kernel(self, params, parts=None):
        """The kernels of ``parts`` (default all) side by side: (d, len(parts) * H * size)."""
        kernels = [params[f"{p}_kernel"].reshape(self.x.shape[-1], -1) for p in parts or self.parts]
        return kernels[0] if len(kernels) == 1 else np.concatenate(kernels, axis=1)

    def columns(self, part):
        """The columns of ``part`` in the group's product."""
        width = self.width // len(self.parts)
        i = self.parts.index(part)
        return slice(i * width, (i + 1) * width)


def projection_groups(layer, query, value, key):
    """The projections grouped by the array they read: ``[Group]``, the query's group first."""
    groups = []
    for part, x in zip(PARTS, (query, key, value)):
        size = layer.value_dim if part == "value" else layer.key_dim
        group = next((g for g in groups if g.x is x and g.size == size), None)
        if group is None:
            group = Group(x, size)
            groups.append(group)
        group.parts.append(part)
    return groups


def project(groups, params, heads):
    """``{part: (B, H, T, size)}`` views of each group's product ``x W + b``, and its row count."""
    projected = {}
    for group in groups:
        batch, time, dim = group.x.shape
        rows = group.x.reshape(-1, dim).dot(group.kernel(params))     # (B * T, parts * H * size)
        if "query_bias" in params:
            rows += np.concatenate([params[f"{p}_bias"].reshape(-1) for p in group.parts])
        group.width = rows.shape[1]
        by_part = rows.reshape(batch, time, len(group.parts), heads, group.size)
        for i, part in enumerate(group.parts):
            projected[part] = by_part[:, :, i].transpose(0, 2, 1, 3)    # (B, H, T, size)
    return projected


def masked_softmax_in_place(scores, allowed, padded):
    """Softmax over the last axis of ``scores``, in place, exactly 0 where ``allowed`` (a 0/1 float
    array that broadcasts, or None) is 0: the readable ``masked_softmax`` to float rounding.

    Softmax is the same for any shift of a row. When every score lies within ``NO_SHIFT`` of 0,
    exp neither overflows nor underflows to 0 and no shift is needed; else the whole array's
    max is the shift when every score is within ``SAFE_SPREAD`` of it; else each row's max over
    its allowed scores (a max along a short last axis is slow in NumPy: 2 ms for the GPT's
    scores, against two whole-array reductions). The disallowed places are zeroed after the
    exp; a row with nothing allowed (only possible with ``padded`` keys) stays all 0, as in
    the readable layer.
    """
    if scores.size:
        top, bottom = scores.max(), scores.min()
        if not (-NO_SHIFT <= bottom and top <= NO_SHIFT):                # True for inf or nan too
            if top - bottom <= SAFE_SPREAD:
                scores -= top
            else:
                if allowed is not None:
                    np.copyto(scores, MASK_VALUE, where=allowed == 0)
                scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    if allowed is not None:
        scores *= allowed
    sums = sum_last(scores)
    if padded:
        sums[sums == 0] = 1.0                                           # 0 / 1: the empty rows stay 0
    scores /= sums
    return scores


def attend(layer, params, query, value, key, query_mask, key_mask, causal, training, rng):
    """``(output (B, Tq, d_out), weights (B, H, Tq, Tk), saved)``: the layer's forward pass."""
    heads = layer.num_heads
    groups = projection_groups(layer, query, value, key)
    p = project(groups, params, heads)
    allowed = attention_mask(key_mask, causal, query.shape[1], key.shape[1])  # (B | 1, Tq, Tk) or None
    if allowed is not None:
        allowed = allowed[:, None].astype(query.dtype)                      # (B | 1, 1, Tq, Tk), 0 / 1
    scale = float(np.sqrt(layer.key_dim))
    q_scaled = p["query"] / scale                                           # Q / sqrt(k): (B, H, Tq, k)
    scores = np.matmul(q_scaled, p["key"].swapaxes(-1, -2))                # (B, H, Tq, Tk)
    weights = masked_softmax_in_place(scores, allowed, key_mask is not None)
    kept = dropout_keep(layer.dropout, weights.shape, training, rng)
    dropped = apply_keep(weights, kept)
    merged = np.matmul(dropped, p["value"]).transpose(0, 2, 1, 3)          # (B, Tq, H, vd)
    merged = merged.reshape(-1, heads * layer.value_dim)                   # (B * Tq, H * vd)
    out_kernel = params["output_kernel"].reshape(heads * layer.value_dim, -1)
    output = merged.dot(out_kernel)                                        # (B * Tq, d_out)
    if "output_bias" in params:
        output += params["output_bias"]
    output = zero_masked_steps(output.reshape(query.shape[:2] + (-1,)), query_mask)
    p["query"] = q_scaled
    saved = (groups, p, weights, kept, dropped, merged, scale, query_mask)
    return output, weights, saved


def attend_backward(layer, params, saved, g_output, g_weights):
    """``({group index: d rows (B * T, width)}, weight gradients)`` of ``attend``."""
    groups, p, weights, kept, dropped, merged, scale, query_mask = saved
    heads, value_dim = layer.num_heads, layer.value_dim
    g_rows = zero_masked_steps(g_output, query_mask).reshape(merged.shape[0], -1)   # (B * Tq, d_out)
    grads = {"output_kernel": merged.T.dot(g_rows).reshape(params["output_kernel"].shape)}
    if "output_bias" in params:
        grads["output_bias"] = g_rows.sum(axis=0)
    batch, _, tq, tk = weights.shape
    d_heads = g_rows.dot(params["output_kernel"].reshape(heads * value_dim, -1).T)  # (B * Tq, H * vd)
    d_heads = d_heads.reshape(batch, tq, heads, value_dim).transpose(0, 2, 1, 3)   # (B, H, Tq, vd)
    d_weights = apply_keep(np.matmul(d_heads, p["value"].swapaxes(-1, -2)), kept)  # (B, H, Tq, Tk)
    if g_weights is not None:
        d_weights = d_weights + g_weights
    d_scores = d_weights                                   # softmax: A * (dA - sum_j dA A), in place
    d_scores -= sum_last(d_weights * weights)
    d_scores *= weights                                    # d loss / d (Q K^T / sqrt(k))
    d_rows = {}
    for index, group in enumerate(groups):
        batch, time, _ = group.x.shape
        d = np.empty((batch, time, len(group.parts), heads, group.size), weights.dtype)
        for i, part in enumerate(group.parts):
            out = d[:, :, i].transpose(0, 2, 1, 3)                          # (B, H, T, size) view
            if part == "query":
                np.matmul(d_scores, p["key"], out=out)
                out /= scale
            elif part == "key":
                np.matmul(d_scores.swapaxes(-1, -2), p["query"], out=out)   # p["query"]: Q / sqrt(k)
            else:
                np.matmul(dropped.swapaxes(-1, -2), d_heads, out=out)
        d_rows[index] = d.reshape(batch * time, -1)
        grads.update(group_weight_grads(group, params, d_rows[index]))
    return d_rows, {name: grads[name] for name in params}          # in the weights' order


def group_weight_grads(group, params, d_rows):
    """Each part's kernel and bias gradient from its group's ``d_rows``: ``x^T dP`` and ``sum dP``."""
    x_rows = group.x.reshape(-1, group.x.shape[-1])
    d_kernel = x_rows.T.dot(d_rows)                                        # (d, width)
    d_bias = d_rows.sum(axis=0) if "query_bias" in params else None
    grads = {}
    for part in group.parts:
        cols = group.columns(part)
        grads[f"{part}_kernel"] = d_kernel[:, cols].reshape(params[f"{part}_kernel"].shape)
        if d_bias is not None:
            grads[f"{part}_bias"] = d_bias[cols].reshape(params[f"{part}_bias"].shape)
    return grads


def group_input_grad(group, params, d_rows, parts):
    """d loss / d the group's array through ``parts`` (adjacent in the group): ``dP W^T``, one product."""
    chosen = [part for part in group.parts if part in parts]          # in column order
    cols = slice(group.columns(chosen[0]).start, group.columns(chosen[-1]).stop)
    return d_rows[:, cols].dot(group.kernel(params, chosen).T).reshape(group.x.shape)


# -- the record ---------------------------------------------------------------------------
def forward(layer, params, xs, mask=None, training=False, rng=None, use_causal_mask=None,
            return_attention_scores=None):
    query, value, key, query_mask, key_mask = split_query_value_key(xs, mask)
    causal = layer.causal if use_causal_mask is None else bool(use_causal_mask)
    scores_out = layer.return_attention_scores if return_attention_scores is None \
        else bool(return_attention_scores)
    output, weights, saved = attend(layer, params, query, value, key, query_mask, key_mask, causal,
                                    training, rng)
    return ([output, weights] if scores_out else output), (saved, len(xs), scores_out)


INPUT_PARTS = {2: (("query",), ("value", "key")),          # [query, value]: the value is the key too
               3: (("query",), ("value",), ("key",))}


def backward(layer, params, saved, g, wanted):
    inner, n_inputs, scores_out = saved
    g_output, g_weights = g if scores_out else (g, None)
    if g_output is None:                                   # only the weights are used downstream
        batch, _, tq, _ = inner[2].shape
        g_output = np.zeros((batch, tq, params["output_kernel"].shape[-1]), inner[2].dtype)
    d_rows, grads = attend_backward(layer, params, inner, g_output, g_weights)
    groups = inner[0]
    dxs = []
    for parts, want in zip(INPUT_PARTS[n_inputs], wanted):
        total = None
        for index, group in enumerate(groups if want else []):
            if any(part in parts for part in group.parts):
                d = group_input_grad(group, params, d_rows[index], parts)
                total = d if total is None else total + d
        dxs.append(total)
    return dxs, grads


RECORDS = {MultiHeadAttention: Record(forward, backward, takes_list=True)}
