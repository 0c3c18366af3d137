"""MultiHeadAttention's record (``minattn.fast.multihead``) beyond the registry's cases.

* projections read from the same array run as one product: [x, x] gives what
  [x, a copy of x] gives (outputs and gradients);
* the call arguments ``use_causal_mask`` and ``return_attention_scores``
  override the layer's settings as Keras's call does;
* scores spread far apart (a row's max needed to shift the softmax) still give
  the readable layer's weights, exactly 0 at masked keys.
"""
import numpy as np

import minattn
from minattn.fast.multihead import RECORDS
from minattn.layers import MultiHeadAttention
from minattn.pytree import tree_map

RECORD = RECORDS[MultiHeadAttention]
B, T, D = 3, 5, 6


def built(layer, seed=0, scale=1.0):
    minattn.set_floatx("float64")
    layer.build([(T, D), (T, D)])
    rng = np.random.default_rng(seed)
    layer.params = tree_map(lambda w: scale * (w + 0.1 * rng.standard_normal(w.shape)), layer.params)
    return layer


def x_of(seed=1):
    return np.random.default_rng(seed).standard_normal((B, T, D))


def test_one_array_as_query_and_value_equals_two_equal_arrays():
    layer = built(MultiHeadAttention(2, 3, causal=True))
    x = x_of()
    g = np.cos(np.arange(B * T * D)).reshape(B, T, D)
    y_shared, saved_shared = RECORD.forward(layer, layer.params, [x, x])
    y_copy, saved_copy = RECORD.forward(layer, layer.params, [x, x.copy()])
    np.testing.assert_allclose(y_shared, y_copy, rtol=1e-13, atol=1e-14)
    dx_shared, dp_shared = RECORD.backward(layer, layer.params, saved_shared, g, (True, True))
    dx_copy, dp_copy = RECORD.backward(layer, layer.params, saved_copy, g, (True, True))
    for got, want in zip(dx_shared, dx_copy):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    for name in layer.params:
        np.testing.assert_allclose(dp_shared[name], dp_copy[name], rtol=1e-12, atol=1e-14)


def test_call_arguments_override_the_layer_settings():
    plain = built(MultiHeadAttention(2, 3))
    causal = MultiHeadAttention(2, 3, causal=True, return_attention_scores=True)
    causal.build([(T, D), (T, D)])
    causal.params = plain.params
    x = x_of()
    y, _ = RECORD.forward(plain, plain.params, [x, x], use_causal_mask=True, return_attention_scores=True)
    with minattn.traced():
        want = causal.apply(causal.params, [x, x])
    for got, expected in zip(y, want):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    y, _ = RECORD.forward(causal, causal.params, [x, x], use_causal_mask=False, return_attention_scores=False)
    with minattn.traced():
        np.testing.assert_allclose(y, plain.apply(plain.params, [x, x]), rtol=1e-12, atol=1e-14)


def test_far_spread_scores_shift_each_row_and_keep_masked_weights_at_zero():
    layer = built(MultiHeadAttention(2, 3, return_attention_scores=True), scale=30.0)   # scores in the hundreds
    x = 3.0 * x_of(2)
    keys = np.ones((B, T), bool)
    keys[0, 2:] = False
    keys[1] = False                                                                 # no key at all
    (out, weights), _ = RECORD.forward(layer, layer.params, [x, x], mask=[None, keys])
    with minattn.traced():
        want_out, want_weights = layer.apply(layer.params, [x, x], mask=[None, keys])
    q, k = (np.einsum("btd,dhs->bhts", x, layer.params[f"{part}_kernel"]) for part in ("query", "key"))
    scores = np.einsum("bhqs,bhks->bhqk", q, k) / np.sqrt(3)
    assert np.ptp(scores) > 60 and np.abs(scores).max() > 60                        # really far apart
    np.testing.assert_allclose(weights, want_weights, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(out, want_out, rtol=1e-10, atol=1e-12)
    assert not weights[0, :, :, 2:].any() and not weights[1].any()
