"""2-D convolution, channels last as in Keras, written as im2col + one matmul.

The helpers here (``pair``, ``same_padding``, ``output_size``, ``windows``) are
shared with the pooling layers: a window op gathers, for each of the kh*kw
kernel offsets, one strided slice of the (padded) image, so a whole batch is a
stack of kh*kw slices and one matmul (or one max / mean). The only Python loop
runs over kernel offsets, never over pixels, and every step is plain
``autograd.numpy`` slicing, so autograd differentiates it.
(``numpy.lib.stride_tricks.as_strided`` would avoid the copies but autograd
cannot follow it.)
"""
import math

import autograd.numpy as anp
import numpy as np

from .. import activations, config, initializers
from ..arguments import check_positive_int, is_int
from .base import Layer
from .vocabulary import layer_label, show_shape, unique_name

PADDINGS = ("valid", "same")


def pair(value, layer, what):
    """``3 -> (3, 3)``; ``(2, 3)`` stays; anything else raises, naming the layer."""
    if is_int(value):
        value = (int(value), int(value))
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(is_int(v) and v >= 1 for v in value):
        raise ValueError(f"{layer}: {what} must be a positive int or a pair of them, got {value!r}")
    return tuple(int(v) for v in value)


def check_padding(padding, layer):
    if padding not in PADDINGS:
        raise ValueError(f"{layer}: padding must be 'valid' or 'same', got {padding!r}")
    return padding


def output_size(size, kernel, stride, padding):
    """Output length along one axis: TF's ``ceil(n / s)`` for 'same',
    ``floor((n - k) / s) + 1`` for 'valid' (None stays None)."""
    if size is None:
        return None
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def same_padding(size, kernel, stride):
    """TF's 'same' padding along one axis: ``(before, after)``, the odd one after.

    ``pad_total = max((ceil(n / s) - 1) * s + k - n, 0)``, ``before = pad_total // 2``.
    """
    total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_image(x, kernel, strides, padding, value=0.0):
    """Pad a ``(batch, H, W, C)`` image for ``padding`` ('valid': unchanged).

    Built with ``concatenate`` of constant blocks so any fill value works
    (pooling pads with -inf) and autograd slices the gradient back out.
    """
    if padding == "valid":
        return x
    (top, bottom), (left, right) = (same_padding(n, k, s) for n, k, s in
                                    zip(x.shape[1:3], kernel, strides))

    def block(shape):
        return np.full(shape, value, dtype=x.dtype)

    batch, height, _, channels = x.shape
    if top or bottom:
        x = anp.concatenate([block((batch, top, x.shape[2], channels)), x,
                             block((batch, bottom, x.shape[2], channels))], axis=1)
    if left or right:
        x = anp.concatenate([block((batch, x.shape[1], left, channels)), x,
                             block((batch, x.shape[1], right, channels))], axis=2)
    return x


def window_offsets(kernel, strides, out_h, out_w):
    """One (rows, cols) slice pair per kernel offset (di, dj), row-major."""
    (kh, kw), (sh, sw) = kernel, strides
    return [(slice(di, di + sh * (out_h - 1) + 1, sh), slice(dj, dj + sw * (out_w - 1) + 1, sw))
            for di in range(kh) for dj in range(kw)]


def windows(x, kernel, strides, out_h, out_w):
    """All kernel windows of a padded image, as a stack over kernel offsets.

    Returns ``(batch, out_h, out_w, kh * kw, C)``; entry ``[b, i, j, di * kw + dj, c]``
    is ``x[b, i * sh + di, j * sw + dj, c]``. (The fast path's records,
    ``minattn.fast.windows``, stack them the same way and add the gradient back by hand.)
    """
    slices = [x[:, rows, cols, :] for rows, cols in window_offsets(kernel, strides, out_h, out_w)]
    return anp.stack(slices, axis=3)                               # (batch, out_h, out_w, kh*kw, C)


def check_image_shape(layer, input_shape, kernel=None, padding="valid"):
    """A channels-last image shape ``(H, W, C)`` with a known C and, for 'valid', room for the kernel."""
    if len(input_shape) != 3 or input_shape[-1] is None:
        raise ValueError(f"{layer}: expected an image of shape (batch, height, width, channels) with "
                         f"known channels, got {show_shape(input_shape)}")
    if kernel is not None and padding == "valid":
        for size, k, axis in zip(input_shape[:2], kernel, ("height", "width")):
            if size is not None and size < k:
                raise ValueError(f"{layer}: input {axis} {size} is smaller than the window {k} "
                                 f"with padding='valid' (input shape {show_shape(input_shape)})")


class Conv2D(Layer):
    """2-D convolution over a channels-last image (Keras ``Conv2D``).

    ``y[b, i, j, o] = activation(sum_{di, dj, c} xp[b, i*sh + di, j*sw + dj, c]
    * kernel[di, dj, c, o] + bias[o])`` where ``xp`` is the input padded as
    ``padding`` says. Computed as im2col: the kh*kw shifted, strided slices
    of the image are stacked into ``(batch, out_h, out_w, kh*kw*C)`` patches
    and multiplied by the kernel reshaped to ``(kh*kw*C, filters)`` -- one
    matmul for the whole batch. (Like Keras, this is cross-correlation: the
    kernel is not flipped.)

    Args:
        filters: number of output channels.
        kernel_size: int or (kh, kw).
        strides: int or (sh, sw), default 1.
        padding: "valid" (no padding; output ``floor((n - k) / s) + 1``) or
            "same" (TF's: output ``ceil(n / s)``, zero padding
            ``max((ceil(n / s) - 1) * s + k - n, 0)`` split with the extra row
            / column at the bottom / right).
        activation: name or function, default None (linear).
        use_bias: add a bias per filter (default True).
        kernel_initializer: default "glorot_uniform" (fans ``kh*kw*in``, ``kh*kw*out``).
        bias_initializer: default "zeros".
        name: layer name (default conv2d_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, filters)``.

    Weights: ``kernel (kh, kw, in, filters)``, ``bias (filters,)`` -- Keras's layout.

    Example:
        >>> Conv2D(8, 3, padding="same", activation="relu")(Input((28, 28, 1)))   # (None, 28, 28, 8)
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", name=None):
        super().__init__(name if name is not None else unique_name("conv2d"))     # Keras's name, not conv2_d
        where = layer_label(self)
        self.filters = check_positive_int(filters, f"{where}: filters")
        self.kernel_size = pair(kernel_size, where, "kernel_size")
        self.strides = pair(strides, where, "strides")
        self.padding = check_padding(padding, where)
        self.activation = activations.get(activation, where)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, where)
        self.bias_initializer = initializers.get(bias_initializer, where)

    def init(self, rng, input_shape):
        check_image_shape(layer_label(self), input_shape, self.kernel_size, self.padding)
        height, width, channels = input_shape
        kh, kw = self.kernel_size
        dtype = config.floatx()
        params = {"kernel": self.kernel_initializer(rng, (kh, kw, channels, self.filters), dtype)}
        if self.use_bias:
            params["bias"] = self.bias_initializer(rng, (self.filters,), dtype)
        out = tuple(output_size(n, k, s, self.padding)
                    for n, k, s in zip((height, width), self.kernel_size, self.strides))
        return out + (self.filters,), params

    def apply(self, params, x):
        kernel = params["kernel"]                                   # (kh, kw, in, out)
        kh, kw, cin, cout = kernel.shape
        x = pad_image(x, self.kernel_size, self.strides, self.padding)
        out_h = (x.shape[1] - kh) // self.strides[0] + 1             # padded: 'valid' arithmetic
        out_w = (x.shape[2] - kw) // self.strides[1] + 1
        patches = windows(x, self.kernel_size, self.strides, out_h, out_w)   # (b, oh, ow, kh*kw, in)
        patches = anp.reshape(patches, (x.shape[0], out_h, out_w, kh * kw * cin))
        y = anp.matmul(patches, anp.reshape(kernel, (kh * kw * cin, cout)))  # (b, oh, ow, out)
        if self.use_bias:
            y = y + params["bias"]
        return self.activation(y)
