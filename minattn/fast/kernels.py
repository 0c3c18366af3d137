"""The fast kernels, each registered for the layer class it takes over (see ``seam``).

Each one computes exactly its layer's ``apply`` -- the same maths, to float
rounding -- as fewer recorded ops with hand-written gradients:

* ``Dense``: ``activation(x W + b)`` as one op (``fast.dense.dense``);
* ``Activation("softmax")``: one op (``fast.dense.softmax``);
* ``LSTM``, ``GRU``: the whole loop over time as one op (``fast.lstm.lstm``,
  ``fast.gru.gru``), handed to the layer's ``apply`` as its ``run_steps``;
* ``Conv2D``, ``MaxPooling2D``, ``AveragePooling2D``: the stack of windows as
  one op (``fast.windows.windows``), handed in as ``stack_windows``;
* ``AttentionDecoder``: its loop over target steps with the cell, the score,
  the masked softmax and the output as few ops (``fast.decoder.run_decoder``).

A layer whose activations the kernels cannot run (a function of your own,
hard_swish, ...) falls back to its ``apply``.
"""
from .. import activations
from ..layers.convolutional import Conv2D
from ..layers.core import Activation, Dense
from ..layers.decoder import AttentionDecoder
from ..layers.pooling import AveragePooling2D, MaxPooling2D
from ..layers.recurrent import GRU, LSTM
from . import decoder
from .dense import dense, softmax
from .elementwise import ELEMENTWISE, supports
from .gru import gru
from .lstm import lstm
from .seam import register
from .windows import windows


def _dense_supported(layer):
    return layer.activation is activations.softmax or layer.activation in ELEMENTWISE


@register(Dense, supports=_dense_supported)
def run_dense(layer, params, x):
    return dense(x, params["kernel"], params.get("bias"), layer.activation)


@register(Activation, supports=lambda layer: layer.activation is activations.softmax)
def run_softmax(layer, params, x):
    return softmax(x)


def _recurrent_supported(layer):
    return supports(layer.activation, layer.recurrent_activation)


@register(LSTM, supports=_recurrent_supported)
def run_lstm(layer, params, x, mask=None):
    def run_steps(params, x, states, mask):
        results = lstm(x, params["kernel"], params["recurrent_kernel"], params.get("bias"),
                       states[0], states[1], mask=mask, activation=layer.activation,
                       recurrent_activation=layer.recurrent_activation)
        sequence = results[0] if layer.return_sequences else None        # (b, t, u)
        # c only when asked for: each index into the op's results is one more recorded op
        return sequence, [results[1], results[2]] if layer.return_state else [results[1]]
    return layer.apply(params, x, mask=mask, run_steps=run_steps)


@register(GRU, supports=_recurrent_supported)
def run_gru(layer, params, x, mask=None):
    def run_steps(params, x, states, mask):
        results = gru(x, params["kernel"], params["recurrent_kernel"], params.get("bias"), states[0],
                      mask=mask, activation=layer.activation,
                      recurrent_activation=layer.recurrent_activation, reset_after=layer.reset_after)
        return (results[0] if layer.return_sequences else None), [results[1]]
    return layer.apply(params, x, mask=mask, run_steps=run_steps)


@register(Conv2D)
@register(MaxPooling2D)
@register(AveragePooling2D)
def run_windowed(layer, params, x):
    return layer.apply(params, x, stack_windows=windows)


register(AttentionDecoder, supports=decoder.supports)(decoder.run_decoder)
