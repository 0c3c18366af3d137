"""minattn's attention pooling layers as serializable Keras layers written with ``keras.ops``:
``AttentionPooling``, ``AttentionWithContext`` and ``StructuredSelfAttention``
(``minattn/layers/attention_pooling.py``, line for line). Masked steps get
weight exactly 0; the pooled output has no mask.
"""
from .activations import tanh_float64 as tanh
from .backend import import_keras
from .ops_attention import EPSILON, MinattnLayer, masked_softmax

keras = import_keras()
ops = keras.ops


def bool_mask(mask):
    return None if mask is None else ops.cast(mask, "bool")


class PoolingLayer(MinattnLayer):
    """A pooled output (and, with ``return_attention``, the weights): no mask goes on."""

    def compute_mask(self, inputs, mask=None):
        return [None, None] if self.return_attention else None


@keras.saving.register_keras_serializable(package="minattn")
class AttentionPooling(PoolingLayer):
    """``e_t = h_t . w (+ b_t)``, ``a = softmax_t(e)``, ``out = sum_t a_t h_t`` (article 003)."""
    SETTINGS = ("use_bias", "return_attention")

    def build(self, input_shape):
        self.kernel = self.weight("kernel", (input_shape[-1], 1), "random_normal")
        if self.use_bias:
            self.bias = self.weight("bias", (input_shape[1], 1), "zeros")

    def call(self, x, mask=None):
        e = ops.matmul(x, self.kernel)[:, :, 0]                      # (batch, T)
        if self.use_bias:
            e = e + self.bias[:, 0]
        a = masked_softmax(e, bool_mask(mask))                       # (batch, T)
        out = ops.sum(x * ops.expand_dims(a, -1), axis=1)           # (batch, F)
        return [out, a] if self.return_attention else out


@keras.saving.register_keras_serializable(package="minattn")
class AttentionWithContext(PoolingLayer):
    """Yang et al. 2016 (``context=True``) or the article's per-feature variant (``context=False``)."""
    SETTINGS = ("context", "use_bias", "return_attention")

    def build(self, input_shape):
        features = input_shape[-1]
        self.kernel = self.weight("kernel", (features, features))
        if self.use_bias:
            self.bias = self.weight("bias", (features,), "zeros")
        if self.context:
            self.context_vector = self.weight("context_vector", (features,))

    def call(self, x, mask=None):
        u = ops.matmul(x, self.kernel)                               # (batch, T, F)
        if self.use_bias:
            u = u + self.bias
        u = tanh(u)
        if self.context:
            a = masked_softmax(ops.matmul(u, self.context_vector), bool_mask(mask))   # (batch, T)
            s = ops.sum(x * ops.expand_dims(a, -1), axis=1)
        else:
            a = ops.exp(u)                                           # (batch, T, F)
            if mask is not None:
                a = a * ops.expand_dims(ops.cast(mask, a.dtype), -1)
            a = a / (ops.sum(a, axis=1, keepdims=True) + EPSILON)
            s = ops.sum(x * a, axis=1)
        return [s, a] if self.return_attention else s


@keras.saving.register_keras_serializable(package="minattn")
class StructuredSelfAttention(PoolingLayer):
    """Lin et al. 2017: ``A = softmax_t(tanh(H ws1) ws2)``, ``M = A H`` -> (batch, r, features)."""
    SETTINGS = ("da", "r", "return_attention")

    def build(self, input_shape):
        self.ws1 = self.weight("ws1", (input_shape[-1], self.da))
        self.ws2 = self.weight("ws2", (self.da, self.r))

    def call(self, x, mask=None):
        scores = ops.matmul(tanh(ops.matmul(x, self.ws1)), self.ws2)          # (batch, T, r)
        allowed = None if mask is None else ops.expand_dims(bool_mask(mask), -1)  # (batch, T, 1)
        a = ops.swapaxes(masked_softmax(scores, allowed, axis=1), 1, 2)          # (batch, r, T)
        m = ops.matmul(a, x)                                                       # (batch, r, F)
        return [m, a] if self.return_attention else m
