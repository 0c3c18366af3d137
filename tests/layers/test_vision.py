"""Conv2D, pooling, SqueezeExcite and SpatialTransformer against independent references."""
import math

import numpy as np
import pytest

import minattn
from minattn import Input, Model, activations
from minattn.layers import (AveragePooling2D, Conv2D, Dense, Dropout, Flatten, GlobalAveragePooling1D,
                            GlobalAveragePooling2D, MaxPooling2D, SpatialTransformer, SqueezeExcite)
from minattn.layers.vision_attention import affine_grid
from minattn.model import run_layer

import gradcheck_cases as cases


def _built(layer, input_shape, seed=0):
    minattn.set_floatx("float64")
    _, params = layer.init(np.random.default_rng(seed), input_shape)
    rng = np.random.default_rng(seed + 1)
    params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    layer.params = params
    return layer, params


def _tf_same_pads(n, k, s):
    total = max((math.ceil(n / s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


def _naive_conv(x, kernel, bias, strides, padding):
    """A loop over every output pixel: the reference Conv2D must match."""
    batch, height, width, cin = x.shape
    kh, kw, _, cout = kernel.shape
    sh, sw = strides
    if padding == "same":
        (t, b), (l, r) = _tf_same_pads(height, kh, sh), _tf_same_pads(width, kw, sw)
        x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
        out_h, out_w = math.ceil(height / sh), math.ceil(width / sw)
    else:
        out_h, out_w = (height - kh) // sh + 1, (width - kw) // sw + 1
    y = np.zeros((batch, out_h, out_w, cout))
    for n in range(batch):
        for i in range(out_h):
            for j in range(out_w):
                patch = x[n, i * sh:i * sh + kh, j * sw:j * sw + kw, :]        # (kh, kw, cin)
                for o in range(cout):
                    y[n, i, j, o] = np.sum(patch * kernel[:, :, :, o]) + bias[o]
    return y


@pytest.mark.parametrize("size,kernel,strides,padding", [
    ((6, 6), (3, 3), (1, 1), "valid"),
    ((7, 5), (3, 2), (2, 1), "valid"),
    ((7, 7), (3, 3), (2, 2), "same"),         # odd size, stride 2: padding 1 / 1
    ((6, 6), (3, 3), (2, 2), "same"),         # even size, stride 2: padding 0 / 1 (bottom / right)
    ((5, 8), (2, 4), (2, 3), "same"),
    ((4, 4), (1, 1), (1, 1), "same"),
])
def test_conv2d_matches_a_naive_loop(size, kernel, strides, padding):
    x = np.random.default_rng(1).standard_normal((2,) + size + (3,))
    layer, params = _built(Conv2D(4, kernel, strides=strides, padding=padding), size + (3,))
    y = layer.apply(params, x)
    expected = _naive_conv(x, params["kernel"], params["bias"], strides, padding)
    assert y.shape == expected.shape
    np.testing.assert_allclose(y, expected, atol=1e-12)
    shape, _ = layer.init(np.random.default_rng(0), size + (3,))
    assert shape == y.shape[1:]


def test_conv2d_keras_layout_and_same_shapes():
    layer = Conv2D(8, (3, 5), strides=2, padding="same", name="c")
    out = layer(Input((9, 10, 3)))
    assert out.shape == (5, 5, 8)                                    # no batch axis
    assert layer.params["kernel"].shape == (3, 5, 3, 8) and layer.params["bias"].shape == (8,)
    assert _tf_same_pads(10, 5, 2) == (1, 2)            # the extra column goes to the right


def test_conv2d_rejects_bad_settings_naming_the_layer():
    with pytest.raises(ValueError, match="Conv2D 'c'.*padding"):
        Conv2D(2, 3, padding="full", name="c")
    with pytest.raises(ValueError, match="Conv2D 'd'.*kernel_size"):
        Conv2D(2, 0, name="d")
    with pytest.raises(ValueError, match="smaller than the window"):
        Conv2D(2, 5, name="e")(Input((3, 8, 1)))


def _naive_pool(x, pool, strides, padding, reduce):
    batch, height, width, channels = x.shape
    if padding == "same":
        (t, _), (l, _) = _tf_same_pads(height, pool[0], strides[0]), _tf_same_pads(width, pool[1], strides[1])
        out_h, out_w = math.ceil(height / strides[0]), math.ceil(width / strides[1])
    else:
        t = l = 0
        out_h, out_w = (height - pool[0]) // strides[0] + 1, (width - pool[1]) // strides[1] + 1
    y = np.zeros((batch, out_h, out_w, channels))
    for i in range(out_h):
        for j in range(out_w):
            r0, c0 = i * strides[0] - t, j * strides[1] - l
            window = x[:, max(r0, 0):r0 + pool[0], max(c0, 0):c0 + pool[1], :]     # real pixels only
            y[:, i, j, :] = reduce(window.reshape(batch, -1, channels), axis=1)
    return y


@pytest.mark.parametrize("layer_class,reduce", [(MaxPooling2D, np.max), (AveragePooling2D, np.mean)])
@pytest.mark.parametrize("size,pool,strides,padding", [
    ((4, 6), (2, 2), None, "valid"),
    ((5, 5), (2, 2), None, "valid"),          # the last row / column is dropped
    ((5, 5), (3, 3), (2, 2), "same"),
    ((5, 7), (2, 3), (1, 2), "same"),
    ((6, 6), (3, 3), (1, 1), "valid"),
])
def test_pooling_matches_a_naive_loop(layer_class, reduce, size, pool, strides, padding):
    x = np.random.default_rng(2).standard_normal((2,) + size + (3,)) - 3.0     # negative: -inf pad must not win
    layer = layer_class(pool, strides=strides, padding=padding)
    y = layer.apply({}, x)
    expected = _naive_pool(x, pool, strides or pool, padding, reduce)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    shape, _ = layer.init(None, size + (3,))
    assert shape == y.shape[1:]


def test_global_average_pooling():
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(GlobalAveragePooling2D().apply({}, x), x.mean(axis=(1, 2)))
    assert GlobalAveragePooling2D(keepdims=True).apply({}, x).shape == (2, 1, 1, 5)
    seq = np.random.default_rng(4).standard_normal((3, 4, 2))
    mask = np.array([[True, True, False, False], [True, True, True, True], [False, False, False, False]])
    y = GlobalAveragePooling1D().apply({}, seq, mask=mask)
    np.testing.assert_allclose(y[0], seq[0, :2].mean(axis=0))
    np.testing.assert_allclose(y[1], seq[1].mean(axis=0))
    np.testing.assert_array_equal(y[2], 0.0)                                       # all masked: 0, no NaN
    np.testing.assert_allclose(GlobalAveragePooling1D().apply({}, seq), seq.mean(axis=1))


def test_global_average_pooling1d_ignores_padding_in_a_model():
    from minattn.layers import Embedding
    tokens = Input((4,))
    pooled = GlobalAveragePooling1D()(Embedding(5, 3, mask_zero=True, name="emb")(tokens))
    model = Model(tokens, pooled)
    a = model.predict(np.array([[1, 2, 0, 0]]))
    b = model.predict(np.array([[1, 2, 0, 0]]) * 0 + np.array([[1, 2, 0, 0]]))
    table = model.params["emb"]["embeddings"]
    np.testing.assert_allclose(a[0], (table[1] + table[2]) / 2, rtol=1e-6)
    np.testing.assert_allclose(a, b)


def test_dropout_is_keras_rate_and_training_only():
    layer = Dropout(0.25)
    x = np.ones((200, 100))
    np.testing.assert_array_equal(layer.apply({}, x), x)                          # inference: identity
    y = layer.apply({}, x, training=True, rng=np.random.default_rng(0))
    dropped = np.mean(y == 0)
    assert abs(dropped - 0.25) < 0.01                                               # rate = fraction dropped
    np.testing.assert_allclose(y[y != 0], 1 / 0.75)


# ---------------------------------------------------------------------------
# SqueezeExcite
# ---------------------------------------------------------------------------
def _se_reference(x, params, gate):
    s = x.mean(axis=(1, 2))
    h = np.clip(s @ params["squeeze_kernel"] + params["squeeze_bias"], 0, 6)
    z = h @ params["excite_kernel"] + params["excite_bias"]
    hs = np.clip(z / 6 + 0.5, 0, 1)
    w = z * hs if gate == "hard_swish" else hs
    return x * w[:, None, None, :], w


@pytest.mark.parametrize("gate", ["hard_swish", "hard_sigmoid"])
def test_squeeze_excite_matches_the_article_formula(gate):
    x = np.random.default_rng(5).standard_normal((3, 4, 4, 8)) * 3
    layer, params = _built(SqueezeExcite(4, gate=gate, return_weights=True), (4, 4, 8))
    assert params["squeeze_kernel"].shape == (8, 2) and params["excite_kernel"].shape == (2, 8)
    y, w = layer.apply(params, x)
    y_ref, w_ref = _se_reference(x, params, gate)
    np.testing.assert_allclose(y, y_ref, atol=1e-12)
    np.testing.assert_allclose(w, w_ref, atol=1e-12)
    assert w.shape == (3, 8) and y.shape == x.shape


def test_squeeze_excite_gates_hard_sigmoid_in_unit_interval_hard_swish_not():
    x = np.random.default_rng(6).standard_normal((64, 3, 3, 8)) * 5
    layer, params = _built(SqueezeExcite(2, return_weights=True), (3, 3, 8))
    params = {k: v * 6 for k, v in params.items()}                                 # big pre-activations
    _, w_swish = layer.apply(params, x)
    layer.gate = activations.get("hard_sigmoid")
    _, w_sigmoid = layer.apply(params, x)
    assert w_sigmoid.min() >= 0 and w_sigmoid.max() <= 1
    assert w_swish.max() > 1 and w_swish.min() < 0                                # amplifies and flips signs


def test_squeeze_excite_equals_the_article_graph():
    """The one layer equals the article's GAP -> Dense -> relu6 -> Dense -> hard_swish -> Reshape -> Multiply."""
    from minattn.layers import Activation, Multiply, Reshape
    inputs = Input((4, 4, 8))
    x = GlobalAveragePooling2D()(inputs)
    d1 = Dense(2, name="sq")
    d2 = Dense(8, name="ex")
    x = Activation("hard_swish")(d2(Activation("relu6")(d1(x))))
    article = Model(inputs, Multiply()([inputs, Reshape((1, 1, 8))(x)]))
    se = SqueezeExcite(4, name="se")
    ours = Model(inputs, se(inputs))
    se.set_weights(d1.get_weights() + d2.get_weights())
    batch = np.random.default_rng(7).standard_normal((5, 4, 4, 8)).astype("float32")
    np.testing.assert_allclose(ours.predict(batch), article.predict(batch), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case_id", ["squeeze_excite_hard_swish", "squeeze_excite_hard_sigmoid_weights"])
def test_squeeze_excite_cases_stay_off_the_kinks(case_id):
    layer, x, _ = cases.LAYER_CASES[case_id]()
    p = layer.params
    hidden_pre = x.mean(axis=(1, 2)) @ p["squeeze_kernel"] + p["squeeze_bias"]
    gate_pre = np.clip(hidden_pre, 0, 6) @ p["excite_kernel"] + p["excite_bias"]
    assert min(np.abs(hidden_pre).min(), np.abs(hidden_pre - 6).min()) > 1e-3
    assert np.abs(np.abs(gate_pre) - 3).min() > 1e-3


# ---------------------------------------------------------------------------
# SpatialTransformer
# ---------------------------------------------------------------------------
def test_spatial_transformer_starts_as_the_identity_and_reproduces_the_input():
    x = np.random.default_rng(8).standard_normal((3, 7, 9, 2))
    stn = SpatialTransformer(16, return_theta=True)
    minattn.set_floatx("float64")
    _, params = stn.init(np.random.default_rng(0), (7, 9, 2))
    np.testing.assert_array_equal(params["theta"]["kernel"], 0.0)
    np.testing.assert_array_equal(params["theta"]["bias"], [1, 0, 0, 0, 1, 0])
    y, theta = stn.apply(params, x)
    np.testing.assert_allclose(theta, np.tile([1.0, 0, 0, 0, 1, 0], (3, 1)))
    np.testing.assert_allclose(y, x, atol=1e-12)                       # bilinear at integer grid points


def test_spatial_transformer_known_translation_moves_the_glyph():
    """theta's c = 2 / (W - 1) samples one pixel to the right: the glyph moves one pixel left."""
    image = np.zeros((1, 9, 9, 1))
    image[0, 3:6, 4:6, 0] = 1.0                                        # a 3 x 2 block
    stn = SpatialTransformer(())
    minattn.set_floatx("float64")
    _, params = stn.init(np.random.default_rng(0), (9, 9, 1))
    shift_x, shift_y = 2, -1                                           # pixels
    params["theta"]["bias"] = np.array([1.0, 0, 2 * shift_x / 8, 0, 1.0, 2 * shift_y / 8])
    y = stn.apply(params, image)
    expected = np.zeros_like(image)
    expected[0, 4:7, 2:4, 0] = 1.0                                     # left by 2, down by 1
    np.testing.assert_allclose(y, expected, atol=1e-12)


def test_spatial_transformer_zoom_and_output_size():
    """A zoom of 0.5 about the centre into a smaller output reads the centre at full resolution."""
    x = np.random.default_rng(9).standard_normal((2, 9, 9, 1))
    stn = SpatialTransformer((), output_size=(5, 5))
    _, params = stn.init(np.random.default_rng(0), (9, 9, 1))
    params["theta"]["bias"] = np.array([0.5, 0, 0, 0, 0.5, 0])
    np.testing.assert_allclose(stn.apply(params, x), x[:, 2:7, 2:7, :], atol=1e-6)
    assert stn(Input((9, 9, 1))).shape == (5, 5, 1)


def test_spatial_transformer_samples_zero_outside_the_image():
    x = np.ones((1, 5, 5, 1))
    stn = SpatialTransformer(())
    _, params = stn.init(np.random.default_rng(0), (5, 5, 1))
    params["theta"]["bias"] = np.array([1.0, 0, 4.0, 0, 1.0, 0])      # everything far right: outside
    np.testing.assert_array_equal(stn.apply(params, x), 0.0)


@pytest.mark.parametrize("case_id", ["spatial_transformer_dense", "spatial_transformer_conv_theta"])
def test_spatial_transformer_cases_sample_away_from_integer_coordinates(case_id):
    """Bilinear sampling bends where a coordinate crosses an integer; the gradient check must not sit there."""
    layer, x, _ = cases.LAYER_CASES[case_id]()
    theta = layer.theta(layer.params, x)
    out_h, out_w = layer.output_size or x.shape[1:3]
    x_s, y_s = affine_grid(theta, out_h, out_w)
    px, py = (x_s + 1) * (x.shape[2] - 1) / 2, (y_s + 1) * (x.shape[1] - 1) / 2
    distance = min(np.abs(px - np.round(px)).min(), np.abs(py - np.round(py)).min())
    assert distance > 1e-4, distance


def test_spatial_transformer_with_layers_in_a_model():
    inputs = Input((8, 8, 1))
    stn = SpatialTransformer([Conv2D(2, 3, activation="relu"), MaxPooling2D(2), Flatten()],
                             output_size=(4, 4), name="stn")
    warped = stn(inputs)
    out = Dense(3, activation="softmax")(Flatten()(warped))
    model = Model(inputs, out)
    assert set(model.params["stn"]) == {stn.layers[0].name, stn.layers[1].name, stn.layers[2].name, "theta"}
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(10).standard_normal((16, 8, 8, 1))
    y = np.arange(16) % 3
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert Model(inputs, warped).predict(x).shape == (16, 4, 4, 1)


def test_vision_doc_code_runs():
    """docs/vision-attention.md: its Python block runs and its assertions hold."""
    import os
    import re
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "docs", "vision-attention.md")) as handle:
        blocks = re.findall(r"```python\n(.*?)```", handle.read(), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/vision-attention.md", "exec"), {})


def test_default_names_are_keras_names():
    names = [Conv2D(2, 3).name, MaxPooling2D().name, AveragePooling2D().name, GlobalAveragePooling2D().name,
             GlobalAveragePooling1D().name, SqueezeExcite().name, SpatialTransformer().name, Conv2D(2, 3).name]
    assert names == ["conv2d_1", "max_pooling2d_1", "average_pooling2d_1", "global_average_pooling2d_1",
                     "global_average_pooling1d_1", "squeeze_excite_1", "spatial_transformer_1", "conv2d_2"]


def test_fused_and_traced_conv_windows_agree():
    """The fused im2col primitive gives the traced stack's values and gradients."""
    from autograd import grad
    x = np.random.default_rng(11).standard_normal((2, 7, 6, 3))
    layer, params = _built(Conv2D(4, 3, strides=2, padding="same"), (7, 6, 3))
    r = np.random.default_rng(12).standard_normal((2, 4, 3, 4))

    def loss(p, v):
        return np.sum(run_layer(layer, p, v) * r)
    results = []
    for fused in (False, True):
        minattn.set_fast(fused)
        results.append((run_layer(layer, params, x), grad(loss, 1)(params, x), grad(loss, 0)(params, x)["kernel"]))
    for traced, fused in zip(*results):
        np.testing.assert_allclose(fused, traced, atol=1e-12)
