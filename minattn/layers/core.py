"""Core layers: Dense, Activation, Lambda, Dropout."""
import inspect

import autograd.numpy as anp
import numpy as np

from .. import activations, config, initializers
from ..arguments import check_fraction, check_int_tuple, check_positive_int
from .base import Layer
from .vocabulary import layer_label, show_shape


class Dense(Layer):
    """Fully connected layer on the last axis: ``y = activation(x @ kernel + bias)``.

    Args:
        units: number of outputs per position.
        activation: name or function (default None, i.e. linear); "softmax"
            normalises over the last axis.
        use_bias: add a learned bias (default True).
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".
        name: layer name (default dense_1, dense_2, ...).

    Input shape: ``(batch, ..., in)``, any rank >= 2.
    Output shape: ``(batch, ..., units)``.

    Weights: ``kernel (in, units)``, ``bias (units,)`` -- Keras's layout.

    Example:
        >>> probs = Dense(10, activation="softmax", name="attention_vec")(inputs)
    """
    propagates_mask = True

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", name=None):
        super().__init__(name)
        self.units = check_positive_int(units, f"{layer_label(self)}: units")
        self.activation = activations.get(activation, layer_label(self))
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, layer_label(self))
        self.bias_initializer = initializers.get(bias_initializer, layer_label(self))

    def init(self, rng, input_shape):
        if len(input_shape) < 1 or input_shape[-1] is None:
            raise ValueError(f"{layer_label(self)}: input needs a known last axis, got shape "
                             f"{show_shape(input_shape)}")
        dtype = config.floatx()
        params = {"kernel": self.kernel_initializer(rng, (input_shape[-1], self.units), dtype)}
        if self.use_bias:
            params["bias"] = self.bias_initializer(rng, (self.units,), dtype)
        return tuple(input_shape[:-1]) + (self.units,), params

    def apply(self, params, x):
        y = anp.matmul(x, params["kernel"])       # (batch, ..., units); matmul: dot is slow on 3-D x
        if self.use_bias:
            y = y + params["bias"]
        return self.activation(y)


class Activation(Layer):
    """Apply an activation function: ``y = activation(x)``.

    Args:
        activation: name (e.g. "softmax", "relu") or function.
        name: layer name (default activation_1, ...).

    Input shape: any. Output shape: the same.
    Softmax normalises over the last axis, as in Keras.
    """
    propagates_mask = True

    def __init__(self, activation, name=None):
        super().__init__(name)
        self.activation = activations.get(activation, layer_label(self))

    def apply(self, params, x):
        return self.activation(x)


class Lambda(Layer):
    """Wrap any autograd-differentiable function of the input(s) as a layer.

    Args:
        function: ``f(x) -> y`` written with ``autograd.numpy`` (for several
            inputs, ``f([a, b]) -> y``). It sees the batch axis.
        output_shape: optional, a tuple of ints or None, batch axis left out;
            by default inferred by running ``function`` on zeros (a size that
            changes with an unknown input size stays None).
        name: layer name (default lambda_1, ...).

    Input shape: whatever ``function`` takes (a list of tensors for a list).
    Output shape: whatever it returns, inferred as above.

    Call arguments (Keras's ``Lambda.call``): ``inputs``; ``mask`` and
    ``training``, handed to ``function`` as keywords when its signature takes
    them (then a model hands it the input's mask, and fit's mode), refused
    by name when it does not (Keras would drop them).

    Example (E2's mean over the feature axis):
        >>> Lambda(lambda x: anp.mean(x, axis=1), name="dim_reduction")
    """

    def __init__(self, function, output_shape=None, name=None):
        super().__init__(name)
        if not callable(function):
            raise ValueError(f"{layer_label(self)}: function must be callable, got {function!r}")
        self.function = function
        taken = _keywords_taken(function)
        self.accepts_mask, self.accepts_training = "mask" in taken, "training" in taken
        self.fixed_output_shape = None if output_shape is None else check_int_tuple(
            output_shape, f"{layer_label(self)}: output_shape", allow_none=True)

    def init(self, rng, input_shape):
        if self.fixed_output_shape is not None:
            return self.fixed_output_shape, {}
        first, second = (self._trial_shape(input_shape, size) for size in (2, 3))
        if isinstance(first, list):
            return [_merge_trials(a, b) for a, b in zip(first, second)], {}
        return _merge_trials(first, second), {}

    def _trial_shape(self, input_shape, unknown_size):
        def zeros(shape):
            return np.zeros((2,) + tuple(unknown_size if d is None else d for d in shape))
        trial = [zeros(s) for s in input_shape] if isinstance(input_shape, list) else zeros(input_shape)
        try:
            out = self.function(trial)
        except Exception as err:
            raise ValueError(f"{layer_label(self)}: function failed on an input of shape "
                             f"{show_shape(input_shape)}: {err}") from err
        if isinstance(out, (list, tuple)):
            return [np.shape(o)[1:] for o in out]
        return np.shape(out)[1:]

    def apply(self, params, x, mask=None, training=False, rng=None):
        kwargs = {}
        if self.accepts_mask:
            kwargs["mask"] = mask
        if self.accepts_training:
            kwargs["training"] = training
        return self.function(x, **kwargs)


def _keywords_taken(function):
    """The names among ``mask`` and ``training`` that ``function`` takes as keywords."""
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):           # a builtin without a signature takes neither
        return set()
    return {name for name in ("mask", "training") if name in parameters}


def _merge_trials(a, b):
    """Sizes that differ between two trial runs depend on an unknown size: None."""
    return tuple(d if d == e else None for d, e in zip(a, b))


class Dropout(Layer):
    """Randomly zero a fraction ``rate`` of inputs while training (Srivastava et al. 2014).

    ``y = x * keep / (1 - rate)`` with ``keep ~ Bernoulli(1 - rate)`` in
    training; ``y = x`` at inference. Scaling by ``1 / (1 - rate)`` keeps the
    expected value the same, so nothing changes at test time.

    Args:
        rate: the fraction dropped, in [0, 1) -- Keras's meaning.
        name: layer name.

    Call arguments (Keras's): ``inputs``; ``training``: drop (True) or pass
    ``x`` unchanged (False, the default on arrays). In a model, ``fit`` runs
    it in training mode and ``predict`` / ``evaluate`` not, unless the call
    fixed ``training=True`` or ``False``, as in Keras.

    Input shape: any. Output shape: the same.
    """
    accepts_training = True
    propagates_mask = True

    def __init__(self, rate, name=None):
        super().__init__(name)
        self.rate = check_fraction(rate, f"{layer_label(self)}: rate")

    def apply(self, params, x, training=False, rng=None):
        if not training or self.rate == 0.0:
            return x
        rng = rng if rng is not None else config.rng()
        keep = rng.random(np.shape(x)) >= self.rate     # True for the kept inputs
        return x * keep * (1.0 / (1.0 - self.rate))
