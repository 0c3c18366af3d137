"""Pooling, channels last as in Keras: MaxPooling2D, AveragePooling2D,
GlobalAveragePooling2D and the mask-aware GlobalAveragePooling1D.

The windowed poolings reuse Conv2D's trick (``convolutional.windows``): the
pool_h*pool_w shifted, strided slices are stacked and reduced with one max or
mean, so no loop runs over pixels.
"""
import re

import autograd.numpy as anp
import numpy as np

from .base import Layer
from .convolutional import check_image_shape, check_padding, output_size, pad_image, pair, windows
from .vocabulary import layer_label, show_shape, snake_case, unique_name


def _keras_name(layer_class, name):
    """Keras's default names: max_pooling2d_1, global_average_pooling1d_1 (not ..._pooling2_d_1)."""
    if name is not None:
        return name
    return unique_name(re.sub(r"(\d)_d$", r"\1d", snake_case(layer_class.__name__)))


class _Pooling2D(Layer):
    def __init__(self, pool_size=2, strides=None, padding="valid", name=None):
        super().__init__(_keras_name(type(self), name))
        where = layer_label(self)
        self.pool_size = pair(pool_size, where, "pool_size")
        self.strides = self.pool_size if strides is None else pair(strides, where, "strides")
        self.padding = check_padding(padding, where)

    def init(self, rng, input_shape):
        check_image_shape(layer_label(self), input_shape, self.pool_size, self.padding)
        height, width, channels = input_shape
        out = tuple(output_size(n, k, s, self.padding)
                    for n, k, s in zip((height, width), self.pool_size, self.strides))
        return out + (channels,), {}

    def padded_windows(self, x, fill):
        """``(batch, out_h, out_w, ph*pw, C)`` windows of ``x`` padded with ``fill``."""
        x = pad_image(x, self.pool_size, self.strides, self.padding, value=fill)
        out_h = (x.shape[1] - self.pool_size[0]) // self.strides[0] + 1
        out_w = (x.shape[2] - self.pool_size[1]) // self.strides[1] + 1
        return windows(x, self.pool_size, self.strides, out_h, out_w)


class MaxPooling2D(_Pooling2D):
    """Maximum over each ``pool_size`` window: ``y[b, i, j, c] = max_{di, dj} x[b, i*sh + di, j*sw + dj, c]``.

    With ``padding="same"`` the padding (TF's rule, extra row / column at the
    bottom / right) is -inf, so it never wins the max.

    Args:
        pool_size: int or (ph, pw), default 2.
        strides: int or (sh, sw); default ``pool_size`` (windows do not overlap).
        padding: "valid" or "same", as in Conv2D.
        name: layer name (default max_pooling2d_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, channels)``.

    Example:
        >>> MaxPooling2D(2)(Input((28, 28, 8)))          # (None, 14, 14, 8)
    """

    def apply(self, params, x):
        return anp.max(self.padded_windows(x, -np.inf), axis=3)         # (batch, oh, ow, C)


class AveragePooling2D(_Pooling2D):
    """Mean over each ``pool_size`` window.

    With ``padding="same"`` a window that overlaps the padding averages only
    its real pixels (as TF does): the window sum is divided by the count of
    real pixels in it, not by ph*pw.

    Args:
        pool_size: int or (ph, pw), default 2.
        strides: int or (sh, sw); default ``pool_size``.
        padding: "valid" or "same".
        name: layer name (default average_pooling2d_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, out_height, out_width, channels)``.
    """

    def apply(self, params, x):
        sums = anp.sum(self.padded_windows(x, 0.0), axis=3)              # (batch, oh, ow, C)
        ones = np.ones((1,) + tuple(x.shape[1:3]) + (1,), dtype=sums.dtype)
        counts = np.sum(self.padded_windows(ones, 0.0), axis=3)          # (1, oh, ow, 1): real pixels
        return sums / counts


class GlobalAveragePooling2D(Layer):
    """Mean over height and width: ``y[b, c] = mean_{i, j} x[b, i, j, c]`` (the "squeeze" of SE).

    Args:
        keepdims: keep the pooled axes as size 1, giving ``(batch, 1, 1, C)``
            (default False).
        name: layer name (default global_average_pooling2d_1, ...).

    Input shape: ``(batch, height, width, channels)``.
    Output shape: ``(batch, channels)``, or ``(batch, 1, 1, channels)`` with keepdims.
    """

    def __init__(self, keepdims=False, name=None):
        super().__init__(_keras_name(type(self), name))
        self.keepdims = bool(keepdims)

    def init(self, rng, input_shape):
        check_image_shape(layer_label(self), input_shape)
        return ((1, 1) if self.keepdims else ()) + (input_shape[-1],), {}

    def apply(self, params, x):
        return anp.mean(x, axis=(1, 2), keepdims=self.keepdims)


class GlobalAveragePooling1D(Layer):
    """Mean over time of the unmasked steps: ``y[b] = sum_t m[b, t] x[b, t] / sum_t m[b, t]``.

    Without a mask every step counts. A sample whose steps are all masked
    gives zeros (not NaN). The mask is consumed: the output has none.

    Args:
        keepdims: keep the time axis as size 1 (default False).
        name: layer name (default global_average_pooling1d_1, ...).

    Input shape: ``(batch, time, features)``, optionally with a ``(batch, time)`` mask.
    Output shape: ``(batch, features)``, or ``(batch, 1, features)`` with keepdims.

    Example:
        >>> GlobalAveragePooling1D()(Embedding(100, 8, mask_zero=True)(tokens))   # padding ignored
    """
    accepts_mask = True

    def __init__(self, keepdims=False, name=None):
        super().__init__(_keras_name(type(self), name))
        self.keepdims = bool(keepdims)

    def init(self, rng, input_shape):
        if len(input_shape) != 2:
            raise ValueError(f"{layer_label(self)}: expected a sequence of shape "
                             f"(batch, time, features), got {show_shape(input_shape)}")
        return ((1,) if self.keepdims else ()) + (input_shape[-1],), {}

    def apply(self, params, x, mask=None):
        if mask is None:
            return anp.mean(x, axis=1, keepdims=self.keepdims)
        weights = np.asarray(mask, dtype=bool).astype(x.dtype)[:, :, None]   # (b, t, 1)
        counts = np.maximum(np.sum(weights, axis=1, keepdims=True), 1.0)             # (b, 1, 1)
        pooled = anp.sum(x * weights, axis=1, keepdims=True) / counts                # (b, 1, f)
        return pooled if self.keepdims else pooled[:, 0, :]
