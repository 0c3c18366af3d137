"""minattn's image attention layers as serializable Keras layers written with ``keras.ops``:
``SqueezeExcite`` and ``SpatialTransformer`` (``minattn/layers/vision_attention.py``).
"""
import numpy as np

from .activations import tanh_float64 as tanh
from .backend import import_keras
from .ops_attention import MinattnLayer

keras = import_keras()
ops = keras.ops
GATES = {"hard_swish": ops.hard_silu, "hard_sigmoid": ops.hard_sigmoid, "sigmoid": ops.sigmoid}


@keras.saving.register_keras_serializable(package="minattn")
class SqueezeExcite(MinattnLayer):
    """``w = gate(relu6(mean_ij(x) W1 + b1) W2 + b2)``, ``y = x * w`` per channel."""
    SETTINGS = ("ratio", "gate", "return_weights")

    def build(self, input_shape):
        channels = input_shape[-1]
        units = max(1, channels // self.ratio)
        self.squeeze_kernel = self.weight("squeeze_kernel", (channels, units))
        self.squeeze_bias = self.weight("squeeze_bias", (units,), "zeros")
        self.excite_kernel = self.weight("excite_kernel", (units, channels))
        self.excite_bias = self.weight("excite_bias", (channels,), "zeros")

    def call(self, x):
        squeezed = ops.sum(x, axis=(1, 2)) / (x.shape[1] * x.shape[2])      # (batch, C); ops.mean drops float64
        hidden = ops.relu6(ops.matmul(squeezed, self.squeeze_kernel) + self.squeeze_bias)
        weights = GATES[self.gate](ops.matmul(hidden, self.excite_kernel) + self.excite_bias)   # (batch, C)
        y = x * weights[:, None, None, :]
        return [y, weights] if self.return_weights else y


def affine_grid(theta, out_h, out_w):
    """Source points ``theta @ (x_t, y_t, 1)`` for every output pixel, normalised: two (batch, P)."""
    ys, xs = np.meshgrid(np.linspace(-1.0, 1.0, out_h), np.linspace(-1.0, 1.0, out_w), indexing="ij")
    target = np.stack([xs.ravel(), ys.ravel(), np.ones(out_h * out_w)])              # (3, P)
    source = ops.matmul(ops.reshape(theta, (-1, 2, 3)), ops.cast(target, theta.dtype))   # (batch, 2, P)
    return source[:, 0, :], source[:, 1, :]


def bilinear_sample(image, x_s, y_s):
    """``image`` (batch, H, W, C) read at normalised points, zero outside: (batch, P, C)."""
    height, width, channels = image.shape[1], image.shape[2], image.shape[3]
    px = (x_s + 1.0) * ((width - 1) / 2.0)
    py = (y_s + 1.0) * ((height - 1) / 2.0)
    x0f, y0f = ops.stop_gradient(ops.floor(px)), ops.stop_gradient(ops.floor(py))
    x0, y0 = ops.cast(x0f, "int32"), ops.cast(y0f, "int32")
    fx, fy = px - x0f, py - y0f
    flat = ops.reshape(image, (-1, height * width, channels))                        # (batch, H*W, C)
    out = 0.0
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            yi, xi = y0 + dy, x0 + dx
            inside = ops.logical_and(ops.logical_and(yi >= 0, yi < height), ops.logical_and(xi >= 0, xi < width))
            index = ops.clip(yi, 0, height - 1) * width + ops.clip(xi, 0, width - 1)   # (batch, P)
            pixels = ops.take_along_axis(flat, ops.expand_dims(index, -1), axis=1)     # (batch, P, C)
            out = out + pixels * ops.expand_dims(wy * wx * ops.cast(inside, image.dtype), -1)
    return out


@keras.saving.register_keras_serializable(package="minattn")
class SpatialTransformer(MinattnLayer):
    """Jaderberg et al. 2015 with a Dense(tanh) localisation network of ``units`` (no inner layers)."""
    SETTINGS = ("units", "output_size", "return_theta")

    def build(self, input_shape):
        features = int(np.prod(input_shape[1:]))
        self.dense = []
        for i, units in enumerate(self.units):
            self.dense.append((self.weight(f"dense_{i}_kernel", (features, units)),
                               self.weight(f"dense_{i}_bias", (units,), "zeros")))
            features = units
        self.theta_kernel = self.weight("theta_kernel", (features, 6), "zeros")
        identity = keras.initializers.Constant([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])
        self.theta_bias = self.weight("theta_bias", (6,), identity)

    def call(self, x):
        h = ops.reshape(x, (-1, int(np.prod(x.shape[1:]))))
        for kernel, bias in self.dense:
            h = tanh(ops.matmul(h, kernel) + bias)
        theta = ops.matmul(h, self.theta_kernel) + self.theta_bias                  # (batch, 6)
        out_h, out_w = self.output_size or x.shape[1:3]
        x_s, y_s = affine_grid(theta, out_h, out_w)
        image = ops.reshape(bilinear_sample(x, x_s, y_s), (-1, out_h, out_w, x.shape[-1]))
        return [image, theta] if self.return_theta else image
