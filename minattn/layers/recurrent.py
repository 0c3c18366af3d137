"""Recurrent layers. LSTM (Hochreiter & Schmidhuber 1997) in Keras's layout.

For every time step t, with z = x_t W + h_{t-1} U + b split in four:

    i = rec_act(z_i)           input gate
    f = rec_act(z_f)           forget gate
    g = act(z_c)               candidate cell
    o = rec_act(z_o)           output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)

All time steps' input projections ``x_t W + b`` are computed in one matmul
before the loop; the loop does one matmul per step (``h U``).
"""
import autograd.numpy as anp
import numpy as np

from .. import activations, config, fused, initializers
from .base import Layer, show_shape
from .core import _positive_int


class LSTM(Layer):
    """Long short-term memory layer.

    Args:
        units: size of the hidden state h and cell state c.
        activation: for the candidate and the output (default "tanh").
        recurrent_activation: for the gates (default "sigmoid"; Keras 2's
            default was "legacy_hard_sigmoid").
        use_bias: default True.
        kernel_initializer: default "glorot_uniform".
        recurrent_initializer: default "orthogonal".
        bias_initializer: default "zeros".
        unit_forget_bias: add 1 to the forget gate's bias at init (default True,
            Jozefowicz et al. 2015).
        return_sequences: return h for every step instead of only the last.
        return_state: also return the final ``h`` and ``c``: ``[output, h, c]``.
        name: layer name.

    Input shape: ``(batch, time, features)``; optionally called on
        ``[x, h0, c0]`` (or with ``initial_state=[h0, c0]``) to start from a
        given state.
    Output shape: ``(batch, units)``, or ``(batch, time, units)`` with
        ``return_sequences``; plus two ``(batch, units)`` with ``return_state``.

    Weights: ``kernel (features, 4 units)``, ``recurrent_kernel (units, 4 units)``,
    ``bias (4 units,)``, gates in the order i, f, c, o -- Keras's layout.

    Masking: with a mask (from ``Embedding(mask_zero=True)``), a masked step
    keeps the previous h and c, as Keras does.
    """
    accepts_mask = True
    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, return_sequences=False,
                 return_state=False, name=None):
        super().__init__(name)
        where = f"{type(self).__name__} '{self.name}'"
        self.units = _positive_int(units, where, "units")
        self.activation = activations.get(activation, where)
        self.recurrent_activation = activations.get(recurrent_activation, where)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, where)
        self.recurrent_initializer = initializers.get(recurrent_initializer, where)
        self.bias_initializer = initializers.get(bias_initializer, where)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)

    def __call__(self, inputs, initial_state=None):
        if initial_state is not None:
            inputs = [inputs] + list(initial_state)
        return super().__call__(inputs)

    # -- shapes and weights --------------------------------------------------
    def init(self, rng, input_shape):
        x_shape = self._check_shapes(input_shape)
        features, units, dtype = x_shape[-1], self.units, config.floatx()
        params = {
            "kernel": self.kernel_initializer(rng, (features, self.gates * units), dtype),
            "recurrent_kernel": self.recurrent_initializer(rng, (units, self.gates * units), dtype),
        }
        if self.use_bias:
            params["bias"] = self.initial_bias(rng, dtype)
        out = (x_shape[0], units) if self.return_sequences else (units,)
        return ([out] + [(units,)] * self.state_count if self.return_state else out), params

    state_count = 2     # h and c

    def initial_bias(self, rng, dtype):
        bias = self.bias_initializer(rng, (self.gates * self.units,), dtype)
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] += 1.0      # forget gate slice
        return bias

    def _check_shapes(self, input_shape):
        where = f"{type(self).__name__} '{self.name}'"
        x_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(x_shape) != 2 or x_shape[-1] is None:
            raise ValueError(f"{where}: expected input of shape (None, time, features), got "
                             f"{show_shape(x_shape)}")
        if isinstance(input_shape, list):
            states = input_shape[1:]
            if len(states) != self.state_count or any(tuple(s) != (self.units,) for s in states):
                raise ValueError(f"{where}: initial state must be {self.state_count} tensors of "
                                 f"shape (None, {self.units}), got {show_shape(list(states))}")
        return x_shape

    # -- the maths -------------------------------------------------------------
    def apply(self, params, x, mask=None):
        x, states, mask = self._split_inputs(x, mask)
        if config.fused() and type(self) is LSTM and fused.supports(self.activation, self.recurrent_activation):
            return self._apply_fused(params, x, states, mask)
        inputs_proj = anp.matmul(x, params["kernel"])       # (batch, time, 4u): all steps at once
        if self.use_bias:
            inputs_proj = inputs_proj + params["bias"]
        if states is None:
            zeros = anp.zeros((x.shape[0], self.units), dtype=inputs_proj.dtype)
            states = [zeros] * self.state_count
        outputs = []
        for t in range(x.shape[1]):
            new_states = self.step(params, inputs_proj[:, t], states)
            if mask is not None:                             # masked step: keep the old state
                keep = mask[:, t, None]                      # (batch, 1)
                new_states = [anp.where(keep, new, old) for new, old in zip(new_states, states)]
            states = new_states
            outputs.append(states[0])
        output = anp.stack(outputs, axis=1) if self.return_sequences else states[0]  # (b, t, u) | (b, u)
        return [output] + list(states) if self.return_state else output

    def _apply_fused(self, params, x, states, mask):
        """The same maths as one op with a hand-written backward pass (``fused.lstm``)."""
        if states is None:
            zeros = np.zeros((x.shape[0], self.units), dtype=params["kernel"].dtype)
            states = [zeros, zeros]
        results = fused.lstm(x, params["kernel"], params["recurrent_kernel"], params.get("bias"),
                             states[0], states[1], mask=mask, activation=self.activation,
                             recurrent_activation=self.recurrent_activation)
        hs_or_last = results[0] if self.return_sequences else results[1]     # (b, t, u) | (b, u)
        return [hs_or_last, results[1], results[2]] if self.return_state else hs_or_last

    def step(self, params, input_proj_t, states):
        """One LSTM step: ``input_proj_t = x_t W + b`` (batch, 4u); states [h, c]."""
        h, c = states
        u = self.units
        z = input_proj_t + anp.dot(h, params["recurrent_kernel"])    # (batch, 4u)
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        g = self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        c = f * c + i * g
        h = o * self.activation(c)
        return [h, c]

    def _split_inputs(self, x, mask):
        if isinstance(x, (list, tuple)):
            x, states = x[0], list(x[1:])
            mask = mask[0] if isinstance(mask, (list, tuple)) else mask
        else:
            states = None
        return x, states, mask

    def compute_mask(self, x, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if not self.return_sequences:
            return [None] * (1 + self.state_count) if self.return_state else None
        return [mask] + [None] * self.state_count if self.return_state else mask
