"""Grading of multi_head_attention: splitting into heads, merging them, and the whole layer with a causal mask.

Reference: ``minattn.layers.MultiHeadAttention(use_bias=False, return_attention_scores=True)``, Keras's
weight layout; the heads are split as Keras's einsum splits them (head h = block h of the last axis).
"""
from functools import partial

import numpy as np

from .. import compare
from ...layers import MultiHeadAttention
from ...layers.attention import masked_softmax

SUMMARY = "multi-head attention: split into heads, scaled dot attention per head (optionally causal), merge, project"
FUNCTIONS = ("split_heads", "merge_heads", "multi_head_attention")
NAMES = ("output", "weights")
BATCH, TQ, TK, DQ, DK, DV, HEADS, KEY_DIM, VALUE_DIM = 2, 3, 5, 6, 7, 8, 2, 4, 3   # all different where they can be
LARGE = 5000.0                     # queries x 5000: scores in the thousands, beyond exp's 709 (float64)
SPLIT_HINT = ("Reshape (batch, T, heads * size) to (batch, T, heads, size), then transpose to "
              "(batch, heads, T, size): head h is the block of columns h * size to (h + 1) * size.")
SHAPE_HINT = ("query @ query_kernel: reshape the kernel (dq, heads, key_dim) to (dq, heads * key_dim), or use "
              "anp.einsum('btd,dhk->bhtk', ...); the scores Q K^T swap the keys' last two axes.")


def checks(module):
    split, merge, attention = module.split_heads, module.merge_heads, module.multi_head_attention
    return [
        ("split_heads: (batch, T, heads * size) -> (batch, heads, T, size), head h = block h",
         partial(check_split, split)),
        ("merge_heads undoes split_heads: (batch, heads, T, size) -> (batch, T, heads * size)",
         partial(check_merge, merge)),
        ("multi_head_attention returns (output, weights) of the right shapes", partial(check_shapes, attention)),
        ("output and weights match minattn's MultiHeadAttention", partial(check_values, attention, 1, False)),
        ("causal: query i sees only keys j <= i, in every head", partial(check_causal, attention)),
        ("large scores (queries x 5000: exp overflows without the max subtracted) give finite values",
         partial(check_values, attention, 2, False, LARGE)),
        ("gradients wrt the inputs and the four kernels agree with finite differences",
         partial(check_gradients, attention, False)),
        ("the same with causal=True", partial(check_gradients, attention, True)),
    ]


def split_reference(x, heads):
    batch, steps, width = x.shape
    return np.transpose(np.reshape(x, (batch, steps, heads, width // heads)), (0, 2, 1, 3))


def check_split(fn):
    x = np.random.default_rng(0).standard_normal((BATCH, TK, HEADS * KEY_DIM))
    heads = compare.call(fn, x, HEADS)
    compare.expect_shape(heads, (BATCH, HEADS, TK, KEY_DIM), "split_heads' output", "(batch, heads, T, size)",
                         SPLIT_HINT)
    compare.expect_close(heads, split_reference(x, HEADS), "split_heads' output", [
        ("you reshaped straight to (batch, heads, T, size): that mixes the time steps. " + SPLIT_HINT,
         lambda: np.reshape(x, (BATCH, HEADS, TK, KEY_DIM))),
        ("your head h takes every heads-th column (h, h + heads, ...); Keras's head h is the block of columns "
         "h * size to (h + 1) * size. " + SPLIT_HINT,
         lambda: np.transpose(np.reshape(x, (BATCH, TK, KEY_DIM, HEADS)), (0, 3, 1, 2)))])


def check_merge(fn):
    x = np.random.default_rng(1).standard_normal((BATCH, HEADS, TQ, VALUE_DIM))
    merged = compare.call(fn, x)
    compare.expect_shape(merged, (BATCH, TQ, HEADS * VALUE_DIM), "merge_heads' output", "(batch, T, heads * size)",
                         "Transpose to (batch, T, heads, size), then reshape: the inverse of split_heads.")
    expected = np.reshape(np.transpose(x, (0, 2, 1, 3)), (BATCH, TQ, HEADS * VALUE_DIM))
    compare.expect_close(merged, expected, "merge_heads' output", [
        ("you reshaped without transposing back first: transpose to (batch, T, heads, size), then reshape.",
         lambda: np.reshape(x, (BATCH, TQ, HEADS * VALUE_DIM)))])


def random_case(seed, steps=(TQ, TK), scale=1.0):
    """``(query, value, key, query_kernel, key_kernel, value_kernel, output_kernel)`` in Keras's layout."""
    tq, tk = steps
    rng = np.random.default_rng(seed)
    shapes = [(BATCH, tq, DQ), (BATCH, tk, DV), (BATCH, tk, DK), (DQ, HEADS, KEY_DIM), (DK, HEADS, KEY_DIM),
              (DV, HEADS, VALUE_DIM), (HEADS, VALUE_DIM, DQ)]
    query, *rest = [rng.standard_normal(shape) / np.sqrt(shape[-1]) for shape in shapes]
    return [scale * query] + rest


def reference(query, value, key, query_kernel, key_kernel, value_kernel, output_kernel, causal):
    layer = MultiHeadAttention(HEADS, KEY_DIM, VALUE_DIM, use_bias=False, causal=causal,
                               return_attention_scores=True, name="reference_mha")
    params = {"query_kernel": query_kernel, "key_kernel": key_kernel, "value_kernel": value_kernel,
              "output_kernel": output_kernel}
    output, weights = layer.apply(params, [query, value, key])
    return output, weights


def check_shapes(fn):
    result = compare.call(fn, *random_case(0), False)
    compare.expect_count(result, 2, "multi_head_attention", NAMES)
    compare.expect_order(result, [(BATCH, TQ, DQ), (BATCH, HEADS, TQ, TK)], NAMES)
    compare.expect_shape(result[1], (BATCH, HEADS, TQ, TK), "weights", "(batch, heads, Tq, Tk)", SHAPE_HINT)
    compare.expect_shape(result[0], (BATCH, TQ, DQ), "output", "(batch, Tq, dq)",
                         "Merge the heads to (batch, Tq, heads * value_dim), then multiply by the output kernel "
                         "(heads, value_dim, dq) reshaped to (heads * value_dim, dq).")


def check_values(fn, seed, causal, scale=1.0, steps=(TQ, TK)):
    inputs = random_case(seed, steps, scale)
    result = compare.call(fn, *inputs, causal)
    compare.expect_count(result, 2, "multi_head_attention", NAMES)
    compare.expect_order(result, [(BATCH, steps[0], DQ), (BATCH, HEADS) + tuple(steps)], NAMES)
    compare.expect_finite(result[1], "weights", compare.OVERFLOW_HINT)
    compare.expect_rows_sum_to_one(result[1], "weights", "Each head's softmax runs over the keys: the last axis.")
    compare.expect_close(result, reference(*inputs, causal), NAMES, mistakes(*inputs, causal))


def check_causal(fn):
    inputs = random_case(3, (TK, TK))                                   # Tq = Tk for a causal mask
    result = compare.call(fn, *inputs, True)
    compare.expect_count(result, 2, "multi_head_attention", NAMES)
    weights = np.asarray(result[1], dtype=np.float64)
    compare.expect_shape(weights, (BATCH, HEADS, TK, TK), "weights", "(batch, heads, Tq, Tk)")
    future = np.argwhere(np.triu(np.ones((TK, TK), dtype=bool), k=1) & (weights != 0.0))
    if future.size:
        b, h, i, j = (int(n) for n in future[0])
        raise compare.CheckFailure(f"with causal=True, query {i} of head {h} gives weight {weights[b, h, i, j]:.3g} "
                                   f"to the later key {j} (batch {b}); it may only see keys j <= i, the rest must "
                                   "be exactly 0. One (Tq, Tk) mask np.tril(...) serves every head.")
    check_values(fn, 3, True, steps=(TK, TK))


def check_gradients(fn, causal):
    names = ("query", "value", "key", "query_kernel", "key_kernel", "value_kernel", "output_kernel")
    inputs = random_case(4, (TK, TK) if causal else (TQ, TK))
    compare.expect_gradients(compare.bind_last(fn, causal), dict(zip(names, inputs)), "multi_head_attention",
                             max_elements=12)


def mistakes(query, value, key, query_kernel, key_kernel, value_kernel, output_kernel, causal):
    """What common slips return, each as (hint, compute)."""
    def attend(scale):
        q, k, v = (np.einsum("btd,dhk->bhtk", x, kernel) for x, kernel in
                   ((query, query_kernel), (key, key_kernel), (value, value_kernel)))
        allowed = np.tril(np.ones((q.shape[2], k.shape[2]), dtype=bool)) if causal else None
        weights = masked_softmax(np.matmul(q, np.swapaxes(k, -1, -2)) / scale, allowed)
        return np.einsum("bhtv,hvd->btd", np.matmul(weights, v), output_kernel), weights

    return [("you returned (weights, output); return (output, weights).", lambda: attend(np.sqrt(KEY_DIM))[::-1]),
            (f"your scores are not scaled: divide each head's Q K^T by sqrt(key_dim) = sqrt({KEY_DIM}).",
             lambda: attend(1.0)),
            (f"you scaled by sqrt(dq) = sqrt({DQ}), the model's width; each head scales by sqrt(key_dim) = "
             f"sqrt({KEY_DIM}), the size of its own queries.", lambda: attend(np.sqrt(DQ)))]
