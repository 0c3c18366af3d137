"""Attention over images: channel attention (SqueezeExcite) and spatial
attention (SpatialTransformer). Seed article 002, the SE and STN demos."""
import autograd.numpy as anp
import numpy as np
from autograd.tracer import getval

from .. import activations, config, initializers
from ..arguments import check_int_tuple, check_positive_int, is_int
from .base import Layer
from .convolutional import check_image_shape
from .vocabulary import layer_label, show_shape

GATES = ("hard_swish", "hard_sigmoid", "sigmoid")


class SqueezeExcite(Layer):
    """Channel attention: squeeze each channel to its mean, excite a weight per channel, rescale.

    ``s = mean_{i,j} x[b, i, j, :]`` (GlobalAveragePooling2D), then
    ``w = gate(relu6(s @ squeeze_kernel + squeeze_bias) @ excite_kernel + excite_bias)``
    and ``y[b, i, j, c] = x[b, i, j, c] * w[b, c]``. The squeeze Dense has
    ``max(1, C // ratio)`` units. This is the article's (seed 002)

        x = GlobalAveragePooling2D()(inputs)
        x = Dense(int(input_channels / 4))(x); x = Activation(relu6)(x)
        x = Dense(input_channels)(x);          x = Activation(hard_swish)(x)
        x = Reshape((1, 1, input_channels))(x)
        x = Multiply()([inputs, x])

    as one layer. The gate is where the article and MobileNetV3 differ:

    * ``gate="hard_swish"`` (the article's code, the default): ``z * relu6(z + 3) / 6``.
      It is *not* bounded in [0, 1]: it is unbounded above (a channel can be
      amplified many times) and dips to -0.375 near z = -1.5 (a channel can be
      flipped in sign). It is a learned rescaling more than a gate.
    * ``gate="hard_sigmoid"`` (MobileNetV3's squeeze-excite, and ``"sigmoid"``,
      the original SENet of Hu et al. 2018): ``clip(z / 6 + 0.5, 0, 1)``, a true
      gate in [0, 1] that can only keep or damp a channel.

    Args:
        ratio: reduction ratio r of the bottleneck (default 4, the article's).
        gate: "hard_swish" (default), "hard_sigmoid" or "sigmoid".
        return_weights: also return the channel weights ``w`` (batch, C).
        name: layer name (default squeeze_excite_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: the same; with ``return_weights`` a list
    ``[(batch, height, width, channels), (batch, channels)]``.

    Weights: ``squeeze_kernel (C, C//r)``, ``squeeze_bias (C//r,)``,
    ``excite_kernel (C//r, C)``, ``excite_bias (C,)`` -- the two Dense layers' in order.

    Example:
        >>> x, channel_weights = SqueezeExcite(4, gate="hard_sigmoid", return_weights=True)(features)
    """

    def __init__(self, ratio=4, gate="hard_swish", return_weights=False, name=None):
        super().__init__(name)
        where = layer_label(self)
        self.ratio = check_positive_int(ratio, f"{where}: ratio")
        if gate not in GATES:
            raise ValueError(f"{where}: gate must be one of {GATES}, got {gate!r}")
        self.gate_name = gate
        self.gate = activations.get(gate, where)
        self.return_weights = bool(return_weights)

    def init(self, rng, input_shape):
        check_image_shape(layer_label(self), input_shape)
        channels = input_shape[-1]
        units = max(1, channels // self.ratio)
        dtype = config.floatx()
        glorot, zeros = initializers.glorot_uniform, initializers.zeros
        params = {"squeeze_kernel": glorot(rng, (channels, units), dtype),
                  "squeeze_bias": zeros(rng, (units,), dtype),
                  "excite_kernel": glorot(rng, (units, channels), dtype),
                  "excite_bias": zeros(rng, (channels,), dtype)}
        shape = tuple(input_shape)
        return ([shape, (channels,)] if self.return_weights else shape), params

    def channel_weights(self, params, x):
        """The excitation ``w`` (batch, C) for a batch of images."""
        squeezed = anp.mean(x, axis=(1, 2))                                              # (batch, C)
        hidden = activations.relu6(anp.matmul(squeezed, params["squeeze_kernel"]) + params["squeeze_bias"])
        return self.gate(anp.matmul(hidden, params["excite_kernel"]) + params["excite_bias"])  # (batch, C)

    def apply(self, params, x):
        weights = self.channel_weights(params, x)
        y = x * weights[:, None, None, :]                      # Reshape((1, 1, C)) + Multiply
        return [y, weights] if self.return_weights else y


# ---------------------------------------------------------------------------
# Spatial transformer (Jaderberg et al. 2015)
# ---------------------------------------------------------------------------
IDENTITY = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0])          # theta = [[1, 0, 0], [0, 1, 0]]


def affine_grid(theta, out_h, out_w):
    """Source coordinates for every output pixel, in normalised units [-1, 1].

    ``theta`` (batch, 6) is the 2x3 matrix ``[[a, b, c], [d, e, f]]`` row by row;
    the output pixel at normalised ``(x_t, y_t)`` (x across the width, y down the
    height, -1 .. 1 corner to corner) samples the input at
    ``x_s = a x_t + b y_t + c``, ``y_s = d x_t + e y_t + f``.
    Returns ``(x_s, y_s)``, each (batch, out_h * out_w).
    """
    ys, xs = np.meshgrid(np.linspace(-1.0, 1.0, out_h), np.linspace(-1.0, 1.0, out_w), indexing="ij")
    target = np.stack([xs.ravel(), ys.ravel(), np.ones(out_h * out_w)])           # (3, P)
    target = target.astype(theta.dtype)
    matrix = anp.reshape(theta, (-1, 2, 3))                                         # (batch, 2, 3)
    source = anp.matmul(matrix, target)                                             # (batch, 2, P)
    return source[:, 0, :], source[:, 1, :]


def bilinear_sample(image, x_s, y_s):
    """Sample ``image`` (batch, H, W, C) at normalised points; zeros outside the image.

    Pixel coordinates are ``px = (x_s + 1) (W - 1) / 2`` (so -1 and 1 are the
    centres of the corner pixels, and the identity grid lands exactly on the
    pixels). With ``x0 = floor(px)``, ``fx = px - x0`` (and the same for y):

        out = (1-fx)(1-fy) I[y0, x0] + fx (1-fy) I[y0, x0+1] + (1-fx) fy I[y0+1, x0] + fx fy I[y0+1, x0+1]

    a corner outside the image contributes 0. The corner indices are integer
    constants; autograd differentiates the gather with respect to the image and
    the weights ``fx``, ``fy`` with respect to the coordinates (the sampler has
    kinks where a coordinate crosses an integer). Returns (batch, P, C).
    """
    batch, height, width, _ = image.shape
    px = (x_s + 1.0) * ((width - 1) / 2.0)                                          # (batch, P)
    py = (y_s + 1.0) * ((height - 1) / 2.0)
    x0f, y0f = np.floor(getval(px)), np.floor(getval(py))                          # constants
    x0, y0 = x0f.astype(int), y0f.astype(int)
    fx, fy = px - x0f, py - y0f                                                     # in [0, 1)
    rows = np.arange(batch)[:, None]                                                # (batch, 1)
    out = 0.0
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            yi, xi = y0 + dy, x0 + dx
            inside = ((yi >= 0) & (yi < height) & (xi >= 0) & (xi < width)).astype(image.dtype)
            pixels = image[rows, np.clip(yi, 0, height - 1), np.clip(xi, 0, width - 1)]   # (batch, P, C)
            out = out + pixels * (wy * wx * inside)[:, :, None]
    return out


class SpatialTransformer(Layer):
    """Spatial attention: a network predicts an affine transform and the image is resampled by it.

    Jaderberg et al. 2015. Three parts, all in ``autograd.numpy``:

    1. localisation network: the image, through ``localization`` and
       flattened, then a Dense(6) "theta" layer giving
       ``theta = [[a, b, c], [d, e, f]]``. Its kernel starts at zero and its
       bias at ``[1, 0, 0, 0, 1, 0]``, so the layer starts as the identity
       transform and learns to move away from it;
    2. grid generator: ``(x_s, y_s) = theta @ (x_t, y_t, 1)`` for every output
       pixel, coordinates normalised to [-1, 1] (``affine_grid``);
    3. bilinear sampler: the input read at ``(x_s, y_s)``, zero outside
       (``bilinear_sample``).

    An output smaller than the input with a learned zoom (|a|, |e| < 1) is
    attention: the network looks at the region it picked, at full resolution.

    Args:
        localization: the hidden part of the localisation network: an int or a
            tuple of ints (Dense layers of that many tanh units on the
            flattened image), or a list of layers (e.g.
            ``[Conv2D(8, 3, activation="relu"), MaxPooling2D(2)]``) applied in
            order; ``()`` means theta comes straight from the flattened image.
        output_size: ``(height, width)`` of the output (default: the input's).
        return_theta: also return theta (batch, 6).
        name: layer name (default spatial_transformer_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, channels)``, the transformed
    image; with ``return_theta`` a list ``[image, (batch, 6)]``. A sub-model
    ``Model(inputs, stn_output)`` gives the transformed images of a trained model.

    Weights: ``{"dense_0": {kernel, bias}, ..., "theta": {kernel, bias}}``
    (with layers: one entry per layer name, then "theta").

    Example:
        >>> crops = SpatialTransformer(32, output_size=(16, 16))(Input((32, 32, 1)))   # (None, 16, 16, 1)
    """

    def __init__(self, localization=32, output_size=None, return_theta=False, name=None):
        super().__init__(name)
        where = layer_label(self)
        localization = list(localization) if isinstance(localization, (tuple, list)) else [localization]
        if all(is_int(u) and u >= 1 for u in localization):
            self.units, self.layers = tuple(int(u) for u in localization), []
        elif all(isinstance(layer, Layer) for layer in localization):
            self.units, self.layers = (), localization
        else:
            raise ValueError(f"{where}: localization must be positive ints or a list of layers, "
                             f"got {localization!r}")
        if output_size is not None:
            output_size = check_int_tuple(output_size, f"{where}: output_size")
            if len(output_size) != 2 or not all(s >= 1 for s in output_size):
                raise ValueError(f"{where}: output_size must be (height, width), got {output_size!r}")
        self.output_size = output_size
        self.return_theta = bool(return_theta)

    def init(self, rng, input_shape):
        check_image_shape(layer_label(self), input_shape)
        if input_shape[0] is None or input_shape[1] is None:
            raise ValueError(f"{layer_label(self)}: needs a known height and width, got "
                             f"{show_shape(input_shape)}")
        dtype = config.floatx()
        params, shape = {}, tuple(input_shape)
        for layer in self.layers:
            shape, layer_params = layer.init(rng, shape)
            params[layer.name] = layer_params
        features = int(np.prod(shape))
        for i, units in enumerate(self.units):
            params[f"dense_{i}"] = {"kernel": initializers.glorot_uniform(rng, (features, units), dtype),
                                    "bias": np.zeros(units, dtype)}
            features = units
        params["theta"] = {"kernel": np.zeros((features, 6), dtype), "bias": IDENTITY.astype(dtype)}
        out = (self.output_size or tuple(input_shape[:2])) + (input_shape[-1],)
        return ([out, (6,)] if self.return_theta else out), params

    def theta(self, params, x):
        """The localisation network: the affine parameters (batch, 6)."""
        h = x
        for layer in self.layers:
            h = layer.forward(params[layer.name], h)
        h = anp.reshape(h, (h.shape[0], -1))                                      # (batch, features)
        for i in range(len(self.units)):
            h = activations.tanh(anp.matmul(h, params[f"dense_{i}"]["kernel"]) + params[f"dense_{i}"]["bias"])
        return anp.matmul(h, params["theta"]["kernel"]) + params["theta"]["bias"]  # (batch, 6)

    def apply(self, params, x):
        theta = self.theta(params, x)
        out_h, out_w = self.output_size or x.shape[1:3]
        x_s, y_s = affine_grid(theta, out_h, out_w)                               # (batch, P) each
        sampled = bilinear_sample(x, x_s, y_s)                                    # (batch, P, C)
        image = anp.reshape(sampled, (x.shape[0], out_h, out_w, x.shape[-1]))
        return [image, theta] if self.return_theta else image
