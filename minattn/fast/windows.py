"""The windows of an image, stacked, as one recorded op (Conv2D's and the poolings' patches).

The readable ``layers.convolutional.windows`` slices the padded image once
per kernel offset and stacks the slices; autograd's gradient of each slice
goes through ``np.add.at``, which made a convolution's input gradient about 5x
slower than its forward pass. Here the same stack is one op whose gradient
adds each offset's slice back in place.
"""
import numpy as np
from autograd.extend import defvjp, primitive

from ..layers.convolutional import window_offsets


@primitive
def windows(x, kernel, strides, out_h, out_w):
    """``(batch, out_h, out_w, kh * kw, C)``: the same stack as ``layers.convolutional.windows``."""
    offsets = window_offsets(kernel, strides, out_h, out_w)
    return np.stack([x[:, rows, cols, :] for rows, cols in offsets], axis=3)


def _windows_vjp(ans, x, kernel, strides, out_h, out_w):
    def vjp(g):                                                    # g: (batch, out_h, out_w, kh*kw, C)
        grad_x = np.zeros(np.shape(x), dtype=g.dtype)
        for k, (rows, cols) in enumerate(window_offsets(kernel, strides, out_h, out_w)):
            grad_x[:, rows, cols, :] += g[:, :, :, k, :]          # within one offset no pixel repeats
        return grad_x
    return vjp


defvjp(windows, _windows_vjp)
