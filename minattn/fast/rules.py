"""The tape-free step's rules: each layer's forward and backward pass as plain NumPy.

A rule is what ``fast.direct`` calls instead of recording a layer with
autograd (see ``seam.Rule``): ``forward`` returns the layer's output and what
its backward pass needs; ``backward`` turns d loss / d output into the
gradients of the inputs and weights. The maths is the kernels' own (``dense``,
``lstm``, ``elementwise``), written once; the layers that only move or
combine numbers have their few lines here.

Every rule is tested equal to its layer's readable ``apply`` (output and
gradients) and against finite differences in float64 (``tests/test_direct.py``).
"""
import numpy as np

from .. import activations as act
from ..layers.core import Activation, Dense
from ..layers.merging import Add, Multiply
from ..layers.recurrent import LSTM
from ..layers.reshaping import Flatten, Permute, RepeatVector, Reshape
from .dense import dense_grads, dense_values
from .elementwise import ELEMENTWISE, activate, activation_vjp, supports
from .lstm import lstm_backward, lstm_forward
from .seam import register_rule


def _activation_supported(activation):
    return activation is act.softmax or activation in ELEMENTWISE


def sum_to_shape(g, shape):
    """``g`` summed over the axes where ``shape`` has size 1 and g does not (undoing a broadcast)."""
    if g.shape == tuple(shape):
        return g
    axes = tuple(i for i, (size, target) in enumerate(zip(g.shape, shape)) if target == 1 and size != 1)
    return g.sum(axis=axes, keepdims=True)


# -- Dense, Activation -------------------------------------------------------------------
def _dense_forward(layer, params, x):
    x_rows = x.reshape(-1, x.shape[-1])            # every position a row; kept for the backward pass
    y_rows = dense_values(x_rows, params["kernel"], params.get("bias"), layer.activation)
    return y_rows.reshape(x.shape[:-1] + (layer.units,)), (x_rows, y_rows, x.shape)


def _dense_backward(layer, params, saved, g, wanted):
    x_rows, y_rows, x_shape = saved
    has_bias = "bias" in params
    grads = dense_grads(x_rows, params["kernel"], layer.activation, y_rows, g.reshape(y_rows.shape),
                        ((0,) if wanted[0] else ()) + ((1, 2) if has_bias else (1,)))
    dx, grads = (grads[0].reshape(x_shape), grads[1:]) if wanted[0] else (None, grads)
    return dx, dict(zip(("kernel", "bias"), grads))


def _activation_forward(layer, params, x):
    y = activate(layer.activation, x)
    return y, y


def _activation_backward(layer, params, y, g, wanted):
    return activation_vjp(layer.activation, y, g), {}


register_rule(Dense, _dense_forward, _dense_backward, lambda layer: _activation_supported(layer.activation))
register_rule(Activation, _activation_forward, _activation_backward,
              lambda layer: _activation_supported(layer.activation))


# -- Multiply, Add: y = x_1 * x_2 * ..., y = x_1 + x_2 + ... ---------------------------------
def _multiply_forward(layer, params, xs):
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    return y, xs


def _multiply_backward(layer, params, xs, g, wanted):
    grads = []
    for i, x in enumerate(xs):                   # d y / d x_i = the product of the others
        if not wanted[i]:
            grads.append(None)
            continue
        d = g
        for j, other in enumerate(xs):
            if j != i:
                d = d * other
        grads.append(sum_to_shape(d, x.shape))
    return grads, {}


def _add_forward(layer, params, xs):
    y = xs[0]
    for x in xs[1:]:
        y = y + x
    return y, [x.shape for x in xs]


def _add_backward(layer, params, shapes, g, wanted):
    return [sum_to_shape(g, shape) if want else None for shape, want in zip(shapes, wanted)], {}


register_rule(Multiply, _multiply_forward, _multiply_backward, takes_list=True)
register_rule(Add, _add_forward, _add_backward, takes_list=True)


# -- Permute, Reshape, Flatten, RepeatVector: numbers moved, not changed --------------------
def _permute_forward(layer, params, x):
    return np.transpose(x, (0,) + layer.dims), None


def _permute_backward(layer, params, saved, g, wanted):
    order = (0,) + layer.dims
    return np.transpose(g, np.argsort(order)), {}          # the inverse permutation


def _reshape_forward(layer, params, x):
    target = (x.shape[0],) + (layer.target_shape if isinstance(layer, Reshape) else (-1,))
    return np.reshape(x, target), x.shape


def _reshape_backward(layer, params, shape, g, wanted):
    return np.reshape(g, shape), {}


def _repeat_forward(layer, params, x):
    return np.repeat(x[:, None], layer.n, axis=1), None     # (batch, d) -> (batch, n, d)


def _repeat_backward(layer, params, saved, g, wanted):
    return g.sum(axis=1), {}                                 # every copy's gradient, added


register_rule(Permute, _permute_forward, _permute_backward)
register_rule(Reshape, _reshape_forward, _reshape_backward)
register_rule(Flatten, _reshape_forward, _reshape_backward)
register_rule(RepeatVector, _repeat_forward, _repeat_backward)


# -- LSTM: the fast kernel's forward pass and backpropagation through time -------------------
def _lstm_settings(layer):
    return {"activation": layer.activation, "recurrent_activation": layer.recurrent_activation}


def _lstm_forward(layer, params, x):
    zeros = np.zeros((x.shape[0], layer.units), dtype=params["kernel"].dtype)     # h0 = c0 = 0
    saved = lstm_forward(x, params["kernel"], params["recurrent_kernel"], params.get("bias"),
                         zeros, zeros, sequence=layer.return_sequences, **_lstm_settings(layer))
    hs, h_last, _ = saved["outputs"]
    return (hs if layer.return_sequences else h_last), (x, zeros, saved)


def _lstm_backward(layer, params, saved, g, wanted):
    x, zeros, forward = saved
    output_grads = (g, None, None) if layer.return_sequences else (None, g, None)
    dx, d_kernel, d_recurrent, d_bias, _, _ = lstm_backward(
        x, params["kernel"], params["recurrent_kernel"], params.get("bias"), zeros, zeros, forward,
        output_grads, need_x=wanted[0], **_lstm_settings(layer))
    grads = {"kernel": d_kernel, "recurrent_kernel": d_recurrent}
    if d_bias is not None:
        grads["bias"] = d_bias
    return dx, grads


def _lstm_supported(layer):
    return (supports(layer.activation, layer.recurrent_activation) and not layer.return_state
            and not layer.go_backwards)


register_rule(LSTM, _lstm_forward, _lstm_backward, _lstm_supported)
