"""minattn's attention layers that Keras 3 lacks, written with ``keras.ops``.

Each is a serializable Keras layer (``get_config``, registered as
``minattn>Name``), so a model using it saves and loads as a ``.keras``
file in plain Keras; only this module must be imported before loading.
Weights have minattn's names, shapes and order, and the maths is line for
line that of ``minattn/layers/attention*.py``. ``tanh`` is
``activations.tanh_float64`` (Keras 3.15's ``ops.tanh`` drops float64).
"""
import numpy as np

from .activations import tanh_float64 as tanh
from .backend import import_keras

keras = import_keras()
ops = keras.ops
MASK_VALUE = -1e9
EPSILON = 1e-7


def masked_softmax(scores, allowed=None, axis=-1):
    """Softmax over ``axis``; where ``allowed`` is False the weight is exactly 0 (a row with none: all 0)."""
    if allowed is None:
        return ops.softmax(scores, axis=axis)
    weights = ops.softmax(ops.where(allowed, scores, MASK_VALUE), axis=axis)
    return ops.where(allowed, weights, ops.zeros_like(weights))


def zero_masked_steps(x, mask):
    """``x`` (batch, time, ...) with the steps where ``mask`` is False set to 0."""
    if mask is None:
        return x
    return x * ops.cast(ops.expand_dims(mask, -1), x.dtype)


def additive_score(query, keys, query_kernel, key_kernel, v):
    """Bahdanau: ``e_ij = v . tanh(q_i W1 + k_j W2)`` -> (batch, Tq, Tk)."""
    q = ops.expand_dims(ops.matmul(query, query_kernel), 2)       # (batch, Tq, 1, units)
    k = ops.expand_dims(ops.matmul(keys, key_kernel), 1)          # (batch, 1, Tk, units)
    return ops.sum(tanh(q + k) * v, axis=-1)


class MinattnLayer(keras.layers.Layer):
    """What our layers share: masks are read, and ``get_config`` lists ``SETTINGS``."""
    SETTINGS = ()

    def __init__(self, **kwargs):
        settings = {s: kwargs.pop(s) for s in self.SETTINGS if s in kwargs}
        super().__init__(**kwargs)
        self.supports_masking = True
        for key, value in settings.items():
            setattr(self, key, value)

    def get_config(self):
        return {**super().get_config(), **{s: getattr(self, s) for s in self.SETTINGS}}

    def weight(self, name, shape, initializer=None):
        return self.add_weight(name=name, shape=shape, initializer=initializer or "glorot_uniform")


@keras.saving.register_keras_serializable(package="minattn")
class ScoredAttention(MinattnLayer):
    """minattn's ``Attention`` with a score Keras lacks: "scaled_dot", "general", "additive", "concat".

    Call on ``[query, value]`` or ``[query, value, key]``; weights as the score's in minattn.
    """
    SETTINGS = ("score", "units", "causal", "return_attention_scores")

    def build(self, input_shape):
        dq, dk = input_shape[0][-1], input_shape[-1][-1]
        units = self.units or dk
        if self.score == "general":
            self.kernel = self.weight("kernel", (dq, dk))
        elif self.score == "additive":
            self.query_kernel = self.weight("query_kernel", (dq, units))
            self.key_kernel = self.weight("key_kernel", (dk, units))
            self.v = self.weight("v", (units,))
        elif self.score == "concat":
            self.kernel = self.weight("kernel", (dq + dk, units))
            self.v = self.weight("v", (units,))

    def scores(self, query, keys):
        if self.score == "scaled_dot":
            return ops.matmul(query, ops.swapaxes(keys, -1, -2)) / float(np.sqrt(query.shape[-1]))
        if self.score == "general":
            return ops.matmul(ops.matmul(query, self.kernel), ops.swapaxes(keys, -1, -2))
        if self.score == "additive":
            return additive_score(query, keys, self.query_kernel, self.key_kernel, self.v)
        dq = query.shape[-1]                                              # concat = additive, W split
        return additive_score(query, keys, self.kernel[:dq], self.kernel[dq:], self.v)

    def call(self, inputs, mask=None):
        query, value = inputs[0], inputs[1]
        key = inputs[2] if len(inputs) == 3 else value
        masks = list(mask) if mask is not None else [None] * len(inputs)
        key_masks = [m for m in masks[1:] if m is not None]
        allowed = None
        if key_masks:
            key_mask = key_masks[0] if len(key_masks) == 1 else ops.logical_and(*key_masks[:2])
            allowed = ops.expand_dims(ops.cast(key_mask, "bool"), 1)          # (batch, 1, Tk)
        if self.causal:
            tq, tk = ops.shape(query)[1], ops.shape(key)[1]
            lower = ops.expand_dims(ops.tril(ops.ones((tq, tk), dtype="bool")), 0)
            allowed = lower if allowed is None else ops.logical_and(allowed, lower)
        weights = masked_softmax(self.scores(query, key), allowed)              # (batch, Tq, Tk)
        context = zero_masked_steps(ops.matmul(weights, value), masks[0])       # (batch, Tq, dv)
        return [context, weights] if self.return_attention_scores else context

    def compute_mask(self, inputs, mask=None):
        query_mask = None if mask is None else mask[0]
        return [query_mask, None] if self.return_attention_scores else query_mask


@keras.saving.register_keras_serializable(package="minattn")
class KeyValueAttention(MinattnLayer):
    """minattn's ``KeyValueAttention`` (Daniluk et al. 2017): each step attends to the ``window`` before it."""
    SETTINGS = ("window", "units", "return_attention")

    def build(self, input_shape):
        half = input_shape[-1] // 2
        units = self.units or half
        self.memory_kernel = self.weight("memory_kernel", (half, units))
        self.query_kernel = self.weight("query_kernel", (half, units))
        self.v = self.weight("v", (units,))

    def call(self, x, mask=None):
        half, time = x.shape[-1] // 2, ops.shape(x)[1]
        keys, values = x[:, :, :half], x[:, :, half:]                            # (batch, T, F/2)
        scores = additive_score(keys, keys, self.query_kernel, self.memory_kernel, self.v)   # (batch, T, T)
        steps = ops.arange(time)
        lag = ops.expand_dims(steps, 1) - ops.expand_dims(steps, 0)              # (T, T): t - s
        allowed = ops.expand_dims(ops.logical_and(lag >= 1, lag <= self.window), 0)
        if mask is not None:
            allowed = ops.logical_and(allowed, ops.expand_dims(ops.cast(mask, "bool"), 1))
        weights = masked_softmax(scores, allowed)
        contexts = zero_masked_steps(ops.matmul(weights, values), mask)          # (batch, T, F/2)
        return [contexts, weights] if self.return_attention else contexts

    def compute_mask(self, inputs, mask=None):
        return [mask, None] if self.return_attention else mask


def sinusoidal_table(positions, depth, max_wavelength, math=np):
    """``PE[t, 2i] = sin(t / w^(2i/d))``, ``PE[t, 2i+1] = cos(...)`` for positions (T, 1): (T, d).

    ``math`` is NumPy, or ``keras.ops`` when the length is known only at run
    time (then float64 models get float32 sines, as Keras 3.15 computes them).
    """
    index = np.arange(depth)[None, :]                                         # (1, d)
    angles = positions * (1.0 / max_wavelength ** (2 * (index // 2) / depth))  # (T, d)
    return math.where(index % 2 == 0, math.sin(angles), math.cos(angles))


@keras.saving.register_keras_serializable(package="minattn")
class PositionalEncoding(MinattnLayer):
    """minattn's ``PositionalEncoding``: ``y[:, t] = x[:, t] + PE[t]``, the sinusoidal table."""
    SETTINGS = ("max_wavelength",)

    def call(self, x):
        time, depth = x.shape[1], x.shape[-1]
        if time is not None:                         # the table in NumPy, float64, as minattn
            return x + ops.cast(sinusoidal_table(np.arange(time)[:, None], depth, self.max_wavelength), x.dtype)
        positions = ops.expand_dims(ops.cast(ops.arange(ops.shape(x)[1]), x.dtype), 1)   # (T, 1)
        return x + ops.cast(sinusoidal_table(positions, depth, self.max_wavelength, ops), x.dtype)

    def compute_mask(self, inputs, mask=None):
        return mask
