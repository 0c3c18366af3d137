"""Layer normalization (Ba, Kiros & Hinton 2016): each position's features rescaled to mean 0, variance 1."""
import autograd.numpy as anp
import numpy as np

from .. import config, initializers
from ..arguments import check_positive
from .base import Layer
from .vocabulary import layer_label, show_shape


class LayerNormalization(Layer):
    """Normalize each sample's features, then scale and shift them (Keras 3's layer):

        mean  = mean(x over axis)             var = mean((x - mean)^2 over axis)
        y     = (x - mean) / sqrt(var + epsilon) * gamma + beta

    Unlike batch normalization nothing is averaged over the batch, so training
    and inference compute the same thing and there is no moving statistic.

    Args:
        axis: the axis (or tuple of axes) normalized over, counted with the
            batch axis as Keras does (default -1, the features).
        epsilon: added to the variance, a finite number > 0 (NumPy scalars
            accepted; default 1e-3, Keras's; keras_hub's Transformer blocks pass 1e-5).
        center: learn the shift ``beta`` (default True).
        scale: learn the scale ``gamma`` (default True).
        beta_initializer: default "zeros".  gamma_initializer: default "ones".
        name: layer name.

    Input shape: any. Output shape: the same. The mask is passed on.

    Weights, Keras's names and order: ``gamma``, then ``beta``, each of the
    shape of the normalized axes.
    """
    propagates_mask = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", name=None):
        super().__init__(name)
        axes = axis if isinstance(axis, (list, tuple)) else (axis,)
        if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
            raise ValueError(f"{layer_label(self)}: axis must be an int or a tuple of ints, got {axis!r}")
        self.axis = tuple(int(a) for a in axes)
        self.epsilon = check_positive(epsilon, f"{layer_label(self)}: epsilon")      # finite, > 0
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer, layer_label(self))
        self.gamma_initializer = initializers.get(gamma_initializer, layer_label(self))

    def _axes(self, input_shape):
        """The normalized axes of the input without its batch axis, as non-negative ints."""
        rank = len(input_shape) + 1                       # Keras counts the batch axis
        axes = []
        for a in self.axis:
            if not -rank <= a < rank or a % rank == 0:
                raise ValueError(f"{layer_label(self)}: axis {a} is out of range (or the batch axis) for "
                                 f"input shape {show_shape(input_shape)}")
            axes.append(a % rank - 1)
        if any(input_shape[a] is None for a in axes):
            raise ValueError(f"{layer_label(self)}: the normalized axes of {show_shape(input_shape)} "
                             "must have known sizes")
        return tuple(sorted(set(axes)))

    def init(self, rng, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"{layer_label(self)}: expected one input, got {show_shape(input_shape)}")
        axes = self._axes(input_shape)
        shape = tuple(input_shape[a] for a in axes)       # (features,) for axis=-1
        params = {}
        if self.scale:
            params["gamma"] = self.gamma_initializer(rng, shape, config.floatx())
        if self.center:
            params["beta"] = self.beta_initializer(rng, shape, config.floatx())
        return tuple(input_shape), params

    def apply(self, params, x):
        rank = anp.ndim(x)
        axes = tuple(a + 1 for a in self._axes(np.shape(x)[1:]))           # with the batch axis
        mean = anp.mean(x, axis=axes, keepdims=True)
        centred = x - mean
        variance = anp.mean(centred * centred, axis=axes, keepdims=True)
        y = centred / anp.sqrt(variance + self.epsilon)
        # gamma / beta have the normalized axes' shape; put them where those axes are
        weight_shape = tuple(np.shape(x)[i] if i in axes else 1 for i in range(rank))
        if self.scale:
            y = y * anp.reshape(params["gamma"], weight_shape)
        if self.center:
            y = y + anp.reshape(params["beta"], weight_shape)
        return y
