"""Keras 3's own numbers for the call arguments, with the same weights: MultiHeadAttention with
``use_causal_mask`` and ``attention_mask``, Attention with ``mask`` and ``use_causal_mask``.
Needs the ``[keras]`` extra; skipped without it."""
import os

import numpy as np
import pytest

pytest.importorskip("jax", reason='needs the [keras] extra: pip install -e ".[keras]"')
os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')

from minattn.keras_bridge.backend import use_dtype  # noqa: E402
from minattn.layers import Attention, MultiHeadAttention  # noqa: E402

RNG = np.random.default_rng(11)
Q, V = RNG.standard_normal((3, 5, 6)), RNG.standard_normal((3, 7, 6))
ALLOWED = RNG.random((3, 5, 7)) > 0.4
ALLOWED[:, :, 0] = True                                   # every query keeps a key (Keras: no empty rows)
VALUE_MASK = np.array([[True] * 7, [True] * 4 + [False] * 3, [True] * 6 + [False]])
QUERY_MASK = np.array([[True] * 5, [True, True, False, True, False], [True] * 5])


@pytest.fixture(autouse=True)
def keras_float64():
    old = keras.config.floatx()
    use_dtype("float64")                     # Keras's floatx and dtype policy, and JAX's x64
    yield
    use_dtype(old)


@pytest.mark.parametrize("call", [{"use_causal_mask": True}, {"attention_mask": ALLOWED},
                                  {"attention_mask": ALLOWED, "use_causal_mask": True}])
def test_multi_head_attention_call_arguments_match_keras(call, float64):
    ours = MultiHeadAttention(2, 4)
    ours(Q, V)
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, dtype="float64")
    theirs(Q, V)
    theirs.set_weights(ours.get_weights())
    if call.get("use_causal_mask"):                        # Keras's causal mask is square: Tq == Tk
        q, v = Q, Q
        call = {**call, "attention_mask": ALLOWED[:, :, :5]} if "attention_mask" in call else call
        ours, theirs = MultiHeadAttention(2, 4), keras.layers.MultiHeadAttention(2, 4, dtype="float64")
        ours(q, v)
        theirs(q, v)
        theirs.set_weights(ours.get_weights())
    else:
        q, v = Q, V
    out, weights = ours(q, v, return_attention_scores=True, **call)
    keras_out, keras_weights = theirs(q, v, return_attention_scores=True, **call)
    np.testing.assert_allclose(out, np.asarray(keras_out), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights, np.asarray(keras_weights), rtol=1e-10, atol=1e-12)
    assert np.abs(out - ours(q, v)).max() > 1e-3                   # the argument changed the numbers


@pytest.mark.parametrize("call", [{"mask": [QUERY_MASK, VALUE_MASK]}, {"mask": [None, VALUE_MASK]},
                                  {"use_causal_mask": True}])
def test_attention_call_arguments_match_keras(call, float64):
    ours, theirs = Attention(), keras.layers.Attention(dtype="float64")
    out, weights = ours([Q, V], return_attention_scores=True, **call)
    keras_out, keras_weights = theirs([Q, V], return_attention_scores=True, **call)
    np.testing.assert_allclose(out, np.asarray(keras_out), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights, np.asarray(keras_weights), rtol=1e-10, atol=1e-12)
    assert np.abs(out - ours([Q, V])).max() > 1e-3


def test_to_keras_refuses_a_call_argument_by_name_rather_than_drop_it():
    from minattn import Input, Model
    from minattn.keras_bridge import to_keras
    x = Input((4, 6))
    model = Model(x, MultiHeadAttention(2, 3, name="mha")(x, x, use_causal_mask=True))
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'mha' was called with call arguments "
                                         r"\['use_causal_mask'\], which to_keras does not carry over"):
        to_keras(model)
