"""Grading of squeeze_excite: channel attention (squeeze to a mean per channel, excite a weight, rescale).

Reference: ``minattn.layers.SqueezeExcite`` (hidden activation relu6, gate "hard_sigmoid" or "sigmoid").
"""
from functools import partial

import numpy as np

from .. import compare
from ... import activations
from ...layers import SqueezeExcite

SUMMARY = "squeeze-excitation: channel means -> Dense(C/r) relu6 -> Dense(C) gate -> rescale the channels"
FUNCTIONS = ("squeeze_excite",)
BATCH, HEIGHT, WIDTH, CHANNELS, RATIO = 2, 3, 4, 8, 4
ARGS = ("x", "squeeze_kernel", "squeeze_bias", "excite_kernel", "excite_bias")


def checks(module):
    fn = module.squeeze_excite
    return [
        ("output has the input's shape (batch, H, W, C)", partial(check_shape, fn)),
        ('gate="hard_sigmoid" matches minattn\'s SqueezeExcite', partial(check_values, fn, 1, BATCH, "hard_sigmoid")),
        ('gate="sigmoid" matches minattn\'s SqueezeExcite', partial(check_values, fn, 2, BATCH, "sigmoid")),
        ("large activations: relu6 caps the hidden layer at 6", partial(check_values, fn, 3, BATCH, "hard_sigmoid", 10.0)),
        ("a batch of 1", partial(check_values, fn, 4, 1, "sigmoid")),
        ("gradients agree with finite differences (hard_sigmoid)", partial(check_gradients, fn, "hard_sigmoid")),
        ("gradients agree with finite differences (sigmoid)", partial(check_gradients, fn, "sigmoid")),
    ]


def random_case(seed, batch, scale=1.0):
    """``(x, squeeze_kernel, squeeze_bias, excite_kernel, excite_bias)``; with ``scale`` x's means grow too."""
    rng = np.random.default_rng(seed)
    units = CHANNELS // RATIO
    x = scale * (1.0 + rng.standard_normal((batch, HEIGHT, WIDTH, CHANNELS)))
    shapes = [(CHANNELS, units), (units,), (units, CHANNELS), (CHANNELS,)]
    return [x] + [rng.standard_normal(shape) for shape in shapes]


def reference(x, squeeze_kernel, squeeze_bias, excite_kernel, excite_bias, gate):
    layer = SqueezeExcite(RATIO, gate=gate, name="reference_squeeze_excite")
    params = {"squeeze_kernel": squeeze_kernel, "squeeze_bias": squeeze_bias,
              "excite_kernel": excite_kernel, "excite_bias": excite_bias}
    return layer.apply(params, x)


def check_shape(fn):
    y = compare.call(fn, *random_case(0, BATCH), "hard_sigmoid")
    compare.expect_shape(y, (BATCH, HEIGHT, WIDTH, CHANNELS), "the output", "(batch, H, W, C), the input's shape",
                         "Return x rescaled: x * w[:, None, None, :], not the channel weights w (batch, C).")


def check_values(fn, seed, batch, gate, scale=1.0):
    inputs = random_case(seed, batch, scale)
    y = compare.call(fn, *inputs, gate)
    compare.expect_shape(y, inputs[0].shape, "the output", "(batch, H, W, C), the input's shape")
    compare.expect_finite(y, "the output", "")
    compare.expect_close(y, reference(*inputs, gate), "the output", mistakes(*inputs, gate))


def check_gradients(fn, gate):
    compare.expect_gradients(compare.bind_last(fn, gate), dict(zip(ARGS, random_case(5, BATCH))), "squeeze_excite")


def mistakes(x, squeeze_kernel, squeeze_bias, excite_kernel, excite_bias, gate):
    """What common slips return, each as (hint, compute)."""
    other_gate = "sigmoid" if gate == "hard_sigmoid" else "hard_sigmoid"

    def excite(pool=np.mean, hidden=activations.relu6, gate_fn=activations.get(gate)):
        squeezed = pool(x, axis=(1, 2))                                                  # (batch, C)
        weights = gate_fn(np.dot(hidden(np.dot(squeezed, squeeze_kernel) + squeeze_bias), excite_kernel)
                          + excite_bias)
        return x * weights[:, None, None, :]

    return [("your hidden layer uses relu; minattn's SqueezeExcite (as MobileNetV3) uses relu6 = min(max(z, 0), 6).",
             lambda: excite(hidden=activations.relu)),
            ("your hidden layer has no activation: it is relu6(s @ squeeze_kernel + squeeze_bias).",
             lambda: excite(hidden=activations.linear)),
            (f'you used the {other_gate} gate when gate="{gate}" was asked for.',
             lambda: excite(gate_fn=activations.get(other_gate))),
            ("your hard sigmoid is Keras 2's clip(0.2 z + 0.5, 0, 1); minattn's (and MobileNetV3's) is "
             "clip(z / 6 + 0.5, 0, 1).", lambda: excite(gate_fn=activations.legacy_hard_sigmoid)),
            ("you squeezed with the maximum; the squeeze is the mean over height and width (global average pooling).",
             lambda: excite(pool=np.max))]
