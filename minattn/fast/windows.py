"""Conv2D, MaxPooling2D and AveragePooling2D as records: each window's numbers stacked once.

The forward passes stack the image's windows as the readable layers do
(``layers.convolutional.windows``: (batch, out_h, out_w, kh * kw, C)), then

    Conv2D:            y = act(patches K + b)     (patches: each window flattened)
    MaxPooling2D:      y = max over the window    (ties share the gradient, as autograd's max)
    AveragePooling2D:  y = sum over the window / its count of real pixels

and the backward passes add each window's gradient back to the pixels it
came from, one kernel offset at a time (within one offset no pixel repeats),
then cut the padding off. (autograd's gradient of the readable stack goes
through ``np.add.at``, about 5x slower than the forward pass.)
"""
import numpy as np

from ..layers.convolutional import Conv2D, pad_image, same_padding, window_offsets, windows
from ..layers.pooling import AveragePooling2D, MaxPooling2D
from .dense import computes
from .elementwise import activate, activation_vjp
from .record import Record


def windows_grad(g, padded_shape, size, strides):
    """d loss / d padded image from ``g`` (batch, out_h, out_w, kh * kw, C) at its windows."""
    grad_x = np.zeros(padded_shape, dtype=g.dtype)
    for k, (rows, cols) in enumerate(window_offsets(size, strides, g.shape[1], g.shape[2])):
        grad_x[:, rows, cols, :] += g[:, :, :, k, :]
    return grad_x


def unpad(grad_padded, x_shape, size, strides, padding):
    """The padded image's gradient cut back to the image's (H, W)."""
    if padding == "valid":
        return grad_padded
    (top, _), (left, _) = (same_padding(n, k, s) for n, k, s in zip(x_shape[1:3], size, strides))
    return grad_padded[:, top:top + x_shape[1], left:left + x_shape[2], :]


# -- Conv2D ---------------------------------------------------------------------------------
def conv_forward(layer, params, x):
    kernel = params["kernel"]                                       # (kh, kw, in, out)
    kh, kw, cin, cout = kernel.shape
    padded = pad_image(x, layer.kernel_size, layer.strides, layer.padding)
    out_h = (padded.shape[1] - kh) // layer.strides[0] + 1
    out_w = (padded.shape[2] - kw) // layer.strides[1] + 1
    patches = windows(padded, layer.kernel_size, layer.strides, out_h, out_w)   # (b, oh, ow, kh*kw, in)
    patches = np.reshape(patches, (x.shape[0], out_h, out_w, kh * kw * cin))
    z = np.matmul(patches, np.reshape(kernel, (kh * kw * cin, cout)))          # (b, oh, ow, out)
    if "bias" in params:
        z = z + params["bias"]
    y = activate(layer.activation, z)
    return y, (x.shape, padded.shape, patches, y)


def conv_backward(layer, params, saved, g, wanted):
    x_shape, padded_shape, patches, y = saved
    kernel = params["kernel"]
    dz_rows = activation_vjp(layer.activation, y, g).reshape(-1, kernel.shape[-1])   # (rows, out)
    patch_rows = patches.reshape(-1, patches.shape[-1])                             # (rows, kh*kw*in)
    grads = {"kernel": np.dot(patch_rows.T, dz_rows).reshape(kernel.shape)}
    if "bias" in params:
        grads["bias"] = dz_rows.sum(axis=0)
    dx = None
    if wanted[0]:
        d_patches = np.dot(dz_rows, kernel.reshape(-1, kernel.shape[-1]).T)
        d_windows = d_patches.reshape(patches.shape[:3] + (-1, kernel.shape[2]))     # (b, oh, ow, kh*kw, in)
        dx = unpad(windows_grad(d_windows, padded_shape, layer.kernel_size, layer.strides),
                   x_shape, layer.kernel_size, layer.strides, layer.padding)
    return dx, grads


# -- the poolings ------------------------------------------------------------------------------
def max_pool_forward(layer, params, x):
    stacked = layer.padded_windows(x, -np.inf)                        # (b, oh, ow, ph*pw, C)
    y = np.max(stacked, axis=3)
    return y, (x.shape, stacked, y)


def max_pool_backward(layer, params, saved, g, wanted):
    x_shape, stacked, y = saved
    winners = stacked == y[:, :, :, None]                             # ties split the gradient
    d_windows = g[:, :, :, None] * winners / np.sum(winners, axis=3, keepdims=True)
    return _pool_input_grad(layer, x_shape, d_windows), {}


def average_pool_forward(layer, params, x):
    stacked = layer.padded_windows(x, 0.0)
    ones = np.ones((1,) + tuple(x.shape[1:3]) + (1,), dtype=stacked.dtype)
    counts = np.sum(layer.padded_windows(ones, 0.0), axis=3)          # (1, oh, ow, 1): real pixels
    return np.sum(stacked, axis=3) / counts, (x.shape, stacked.shape, counts)


def average_pool_backward(layer, params, saved, g, wanted):
    x_shape, stacked_shape, counts = saved
    d_windows = np.broadcast_to((g / counts)[:, :, :, None], stacked_shape)
    return _pool_input_grad(layer, x_shape, d_windows), {}


def _pool_input_grad(layer, x_shape, d_windows):
    padded_shape = (x_shape[0],) + tuple(
        n + sum(same_padding(n, k, s)) if layer.padding == "same" else n
        for n, k, s in zip(x_shape[1:3], layer.pool_size, layer.strides)) + (x_shape[3],)
    return unpad(windows_grad(d_windows, padded_shape, layer.pool_size, layer.strides),
                 x_shape, layer.pool_size, layer.strides, layer.padding)


RECORDS = {
    Conv2D: Record(conv_forward, conv_backward, lambda layer: computes(layer.activation)),
    MaxPooling2D: Record(max_pool_forward, max_pool_backward),
    AveragePooling2D: Record(average_pool_forward, average_pool_backward),
}
