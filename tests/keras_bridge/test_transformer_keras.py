"""The Transformer layers give keras_hub's and Keras 3's numbers, weight for weight.

``tests/fixtures/keras_hub_transformer.npz`` holds, for each case, keras_hub's
(or Keras's) weights with their Keras paths, the inputs, the masks and the
outputs, written by ``tests/fixtures/make_keras_hub_transformer.py`` with real
Keras 3 + keras_hub on JAX in float64. Here the same weights are loaded with
``set_weights`` into the minattn layer, whose own weight paths must name the
same arrays in the same order, and its output must agree to 1e-12. (The
blocks have ``dropout=0.1``, inactive in these inference calls; see the
script for why.)
"""
import os

import numpy as np
import pytest

from minattn import activations
from minattn.layers import (LayerNormalization, SinePositionEncoding, TokenAndPositionEmbedding,
                            TransformerDecoder, TransformerEncoder)
from minattn.pytree import named_leaves

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_hub_transformer.npz")
TOL = 1e-12


@pytest.fixture(scope="module")
def keras_hub_data():
    with np.load(FIXTURE) as data:
        return {key: data[key] for key in data.files}


def _case(data, name):
    weights = [data[k] for k in sorted(k for k in data if k.startswith(f"{name}/weight"))]
    inputs = [data[k] for k in sorted(k for k in data if k.startswith(f"{name}/input"))]
    return weights, inputs, data[f"{name}/output"]


def keras_path(path):
    """Our weight path in Keras's spelling: ``self_attention/query_kernel`` -> ``self_attention/query/kernel``."""
    parts = path.split("/")
    leaf = parts[-1]
    for part in ("query", "key", "value", "output"):
        if leaf.startswith(part + "_"):
            head = "attention_output" if part == "output" else part
            leaf = f"{head}/{leaf[len(part) + 1:]}"
    if parts[-2:] == ["token_embedding", "embeddings"] or parts[-2:] == ["position_embedding", "embeddings"]:
        return "/".join(parts[-2:])
    return "/".join(parts[:-1] + [leaf])


def _load(layer, data, name, float64_inputs):
    weights, inputs, expected = _case(data, name)
    layer(float64_inputs(inputs))                         # build for the inputs' shapes
    ours = [keras_path(p) for p, _ in named_leaves(layer.params)]
    assert ours == [str(n) for n in data[f"{name}/names"]], name
    layer.set_weights(weights)
    return inputs, expected


def _one_or_list(inputs):
    return inputs[0] if len(inputs) == 1 else list(inputs)


CASES = [
    ("layer_norm", lambda: LayerNormalization(), {}),
    ("layer_norm_axes", lambda: LayerNormalization(axis=(1, 2), epsilon=1e-5), {}),
    ("encoder_post_norm_padding", lambda: TransformerEncoder(16, 2, dropout=0.1), {"padding_mask": "padding_mask"}),
    ("encoder_pre_norm_gelu",
     lambda: TransformerEncoder(12, 4, dropout=0.1, activation="gelu", normalize_first=True), {}),
    ("decoder_only_padding", lambda: TransformerDecoder(16, 2, dropout=0.1), {"decoder_padding_mask": "padding_mask"}),
    ("decoder_cross_masks", lambda: TransformerDecoder(10, 2, dropout=0.1, activation="gelu"),
     {"decoder_padding_mask": "padding_mask", "encoder_padding_mask": "encoder_padding_mask"}),
    ("decoder_cross_pre_norm", lambda: TransformerDecoder(16, 4, dropout=0.1, normalize_first=True), {}),
    ("token_and_position", lambda: TokenAndPositionEmbedding(11, 7, 4, mask_zero=True), {}),
    ("sine_position", lambda: SinePositionEncoding(), {}),
]


@pytest.mark.parametrize("name,make,masks", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_keras_hub(keras_hub_data, float64, name, make, masks):
    layer = make()
    inputs, expected = _load(layer, keras_hub_data, name, _one_or_list)
    kwargs = {arg: keras_hub_data[f"{name}/{key}"] for arg, key in masks.items()}
    out = layer.apply(layer.params, _one_or_list(inputs), **kwargs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=TOL, atol=TOL)


def test_encoder_attention_scores_match_keras_hub(keras_hub_data, float64):
    layer = TransformerEncoder(16, 2, dropout=0.1)
    (x,), _ = _load(layer, keras_hub_data, "encoder_scores", _one_or_list)
    scores = layer.attention_scores(layer.params, x, padding_mask=keras_hub_data["encoder_scores/padding_mask"])
    np.testing.assert_allclose(scores["self_attention_layer"], keras_hub_data["encoder_scores/scores"],
                               rtol=TOL, atol=TOL)


def test_padding_mask_from_the_input_mask_is_the_argument(keras_hub_data, float64):
    """The graph's mask (as Embedding(mask_zero=True) gives it) works as keras_hub's padding_mask."""
    layer = TransformerDecoder(10, 2, dropout=0.1, activation="gelu")
    inputs, expected = _load(layer, keras_hub_data, "decoder_cross_masks", _one_or_list)
    masks = [keras_hub_data["decoder_cross_masks/padding_mask"],
             keras_hub_data["decoder_cross_masks/encoder_padding_mask"]]
    out = layer.apply(layer.params, list(inputs), mask=masks)
    np.testing.assert_allclose(out, expected, rtol=TOL, atol=TOL)
    assert not np.allclose(layer.apply(layer.params, list(inputs)), expected)     # the masks matter


def test_token_and_position_mask_is_keras_hubs(keras_hub_data):
    layer = TokenAndPositionEmbedding(11, 7, 4, mask_zero=True)
    ids = keras_hub_data["token_and_position/input0"]
    np.testing.assert_array_equal(layer.compute_mask(ids, None), keras_hub_data["token_and_position/mask"])


def test_gelu_is_keras_exact_gelu(keras_hub_data):
    np.testing.assert_allclose(activations.gelu(keras_hub_data["gelu/input0"]), keras_hub_data["gelu/output"],
                               rtol=1e-14, atol=1e-15)
