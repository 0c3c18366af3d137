"""Recurrent layers in Keras's layout: LSTM and GRU (``bidirectional.py`` wraps either).

LSTM (Hochreiter & Schmidhuber 1997). For every time step t, with
z = x_t W + h_{t-1} U + b split in four:

    i = rec_act(z_i)           input gate
    f = rec_act(z_f)           forget gate
    g = act(z_c)               candidate cell
    o = rec_act(z_o)           output gate
    c_t = f * c_{t-1} + i * g
    h_t = o * act(c_t)

GRU (Cho et al. 2014), gates in Keras's order z, r, h. With reset_after=True
(TF2 Keras's default, cuDNN-compatible) the reset gate multiplies the
recurrent term *after* the matmul, and there are two biases, b_x and b_h:

    z  = rec_act(x_t W_z + b_xz + h_{t-1} U_z + b_hz)      update gate
    r  = rec_act(x_t W_r + b_xr + h_{t-1} U_r + b_hr)      reset gate
    hh = act(x_t W_h + b_xh + r * (h_{t-1} U_h + b_hh))    candidate
    h_t = z * h_{t-1} + (1 - z) * hh

With reset_after=False (Cho et al.'s original, Keras 2's default) there is
one bias and the reset gate acts before the matmul:
``hh = act(x_t W_h + b_h + (r * h_{t-1}) U_h)``.

Both layers share one loop (``_Recurrent.run_steps``): all time steps' input
projections ``x_t W + b`` in one matmul before the loop, then one ``step``
per time step; a masked step keeps the previous state. (On the fast path the
code that runs the graph uses the layers' records instead --
``minattn.fast.lstm`` / ``fast.gru`` --: the same maths, with the loop and its
backward pass written by hand.)
"""
import autograd.numpy as anp
import numpy as np

from .. import activations, config, initializers
from ..arguments import check_positive_int
from .base import Layer
from .vocabulary import layer_label, show_shape


class _Recurrent(Layer):
    """What LSTM and GRU share: arguments, weights, initial states, the loop over time.

    A subclass sets ``gates`` (blocks of ``units`` columns in the kernels) and
    ``state_count``, and defines ``initial_bias`` and ``step``.
    """
    accepts_mask = True
    first_input_mask = True                 # [x, h0, c0] with x's mask alone
    gates = None           # 4 for LSTM (i, f, c, o), 3 for GRU (z, r, h)
    state_count = None     # 2 for LSTM (h, c), 1 for GRU (h)

    def __init__(self, units, activation, recurrent_activation, use_bias, kernel_initializer,
                 recurrent_initializer, bias_initializer, return_sequences, return_state,
                 go_backwards, name):
        super().__init__(name)
        where = layer_label(self)
        self.units = check_positive_int(units, f"{where}: units")
        self.activation = activations.get(activation, where)
        self.recurrent_activation = activations.get(recurrent_activation, where)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, where)
        self.recurrent_initializer = initializers.get(recurrent_initializer, where)
        self.bias_initializer = initializers.get(bias_initializer, where)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)

    def get_config(self):
        """The constructor's arguments as this layer holds them (activations and initialisers
        as functions), so ``type(layer)(**layer.get_config())`` makes an unbuilt twin (Keras's
        ``get_config``)."""
        return {"units": self.units, "activation": self.activation,
                "recurrent_activation": self.recurrent_activation, "use_bias": self.use_bias,
                "kernel_initializer": self.kernel_initializer,
                "recurrent_initializer": self.recurrent_initializer,
                "bias_initializer": self.bias_initializer, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "name": self.name}

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

    def initial_bias(self, rng, dtype):
        """The bias at init; its shape is the layer's (LSTM (4u,), GRU (2, 3u) or (3u,))."""
        raise NotImplementedError

    def _check_shapes(self, input_shape):
        where = layer_label(self)
        x_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
        if len(x_shape) != 2 or x_shape[-1] is None:
            raise ValueError(f"{where}: expected input of shape (None, time, features), got "
                             f"{show_shape(x_shape)}")
        if isinstance(input_shape, list):
            states = input_shape[1:]
            if len(states) != self.state_count or any(tuple(s) != (self.units,) for s in states):
                raise ValueError(f"{where}: initial state must be {self.state_count} tensor(s) of "
                                 f"shape (None, {self.units}), got {show_shape(list(states))}")
        return x_shape

    # -- the maths -------------------------------------------------------------
    def apply(self, params, x, mask=None):
        """The layer's output for ``x``: the loop over time (``run_steps``), then what to return."""
        x, states, mask = self._split_inputs(x, mask)
        if self.go_backwards:                                 # read the steps last to first
            x = x[:, ::-1]                                    # (batch, time, features), reversed
            mask = None if mask is None else mask[:, ::-1]
        if states is None:
            zeros = np.zeros((x.shape[0], self.units), dtype=params["kernel"].dtype)
            states = [zeros] * self.state_count
        sequence, states = self.run_steps(params, x, states, mask)
        output = sequence if self.return_sequences else states[0]     # (b, t, u) | (b, u)
        return [output] + list(states) if self.return_state else output

    def run_steps(self, params, x, states, mask):
        """The loop over time: returns (every step's h, or None without return_sequences; the final states)."""
        inputs_proj = anp.matmul(x, params["kernel"])       # (batch, time, gates*u): all steps at once
        if self.use_bias:
            inputs_proj = inputs_proj + self.input_bias(params)
        outputs = []
        for t in range(x.shape[1]):
            new_states = self.step(params, inputs_proj[:, t], states)
            if mask is not None:                             # masked step: keep the old state
                keep = mask[:, t, None]                      # (batch, 1)
                new_states = [anp.where(keep, new, old) for new, old in zip(new_states, states)]
            states = new_states
            outputs.append(states[0])
        sequence = anp.stack(outputs, axis=1) if self.return_sequences else None   # (b, t, u)
        return sequence, states

    def input_bias(self, params):
        """The bias added to the input projection ``x W`` (LSTM: all of it)."""
        return params["bias"]

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


class LSTM(_Recurrent):
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
        go_backwards: read the sequence last step first; the returned
            sequence is then in that reversed order too (as Keras).
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
    gates = 4
    state_count = 2     # h and c

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, name=None):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, name)
        self.unit_forget_bias = bool(unit_forget_bias)

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}

    def initial_bias(self, rng, dtype):
        bias = self.bias_initializer(rng, (self.gates * self.units,), dtype)
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] += 1.0      # forget gate slice
        return bias

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


class GRU(_Recurrent):
    """Gated recurrent unit (Cho et al. 2014), in Keras's layout and gate order z, r, h.

    For each step (``reset_after=True``, the default, as TF2 Keras):

        z  = rec_act(x W_z + b_xz + h U_z + b_hz)
        r  = rec_act(x W_r + b_xr + h U_r + b_hr)
        hh = act(x W_h + b_xh + r * (h U_h + b_hh))
        h  = z * h + (1 - z) * hh

    With ``reset_after=False`` the bias is single and ``hh = act(x W_h + b_h + (r * h) U_h)``.

    Args:
        units: size of the hidden state h.
        activation: for the candidate hh (default "tanh").
        recurrent_activation: for the gates z and r (default "sigmoid").
        use_bias: default True.
        kernel_initializer: default "glorot_uniform".
        recurrent_initializer: default "orthogonal".
        bias_initializer: default "zeros".
        reset_after: apply the reset gate after the recurrent matmul, with
            separate input and recurrent biases (default True, Keras 2.x on
            TF2); False is Cho et al.'s original form.
        return_sequences: return h for every step instead of only the last.
        return_state: also return the final ``h``: ``[output, h]``.
        go_backwards: read the sequence last step first; the returned
            sequence is then in that reversed order too (as Keras).
        name: layer name.

    Input shape: ``(batch, time, features)``; optionally called on ``[x, h0]``
        (or with ``initial_state=[h0]``) to start from a given state.
    Output shape: ``(batch, units)``, or ``(batch, time, units)`` with
        ``return_sequences``; plus ``(batch, units)`` with ``return_state``.

    Weights: ``kernel (features, 3 units)``, ``recurrent_kernel (units, 3 units)``,
    ``bias (2, 3 units)`` -- row 0 the input bias, row 1 the recurrent bias --
    or ``bias (3 units,)`` with ``reset_after=False``; Keras's layout.

    Masking: a masked step keeps the previous h, as Keras does.

    Example:
        >>> seq, h = GRU(64, return_sequences=True, return_state=True)(Input((10, 16)))
    """
    gates = 3
    state_count = 1     # h

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", reset_after=True, return_sequences=False,
                 return_state=False, go_backwards=False, name=None):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, name)
        self.reset_after = bool(reset_after)

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}

    def initial_bias(self, rng, dtype):
        shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        return self.bias_initializer(rng, shape, dtype)

    def input_bias(self, params):
        return params["bias"][0] if self.reset_after else params["bias"]

    def step(self, params, input_proj_t, states):
        """One GRU step: ``input_proj_t = x_t W + b_x`` (batch, 3u); states [h]."""
        h, = states
        u, recurrent = self.units, params["recurrent_kernel"]
        x_z, x_r, x_h = input_proj_t[:, :u], input_proj_t[:, u:2 * u], input_proj_t[:, 2 * u:]
        if self.reset_after:                               # one matmul for all three gates
            rec = anp.dot(h, recurrent)                    # (batch, 3u)
            if self.use_bias:
                rec = rec + params["bias"][1]
            z = self.recurrent_activation(x_z + rec[:, :u])
            r = self.recurrent_activation(x_r + rec[:, u:2 * u])
            candidate = self.activation(x_h + r * rec[:, 2 * u:])
        else:                                              # r acts before U_h: a second matmul
            rec = anp.dot(h, recurrent[:, :2 * u])         # (batch, 2u)
            z = self.recurrent_activation(x_z + rec[:, :u])
            r = self.recurrent_activation(x_r + rec[:, u:])
            candidate = self.activation(x_h + anp.dot(r * h, recurrent[:, 2 * u:]))
        return [z * h + (1.0 - z) * candidate]

