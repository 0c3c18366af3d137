"""``Bidirectional``: a recurrent layer run forwards and a twin of it backwards, merged."""
import autograd.numpy as anp

from .base import Layer
from .recurrent import GRU, LSTM
from .vocabulary import layer_label


MERGE_MODES = ("concat", "sum", "mul", "ave", None)


class Bidirectional(Layer):
    """Run a recurrent layer forwards and a copy of it backwards, and merge the two.

    As Keras: the wrapped layer's settings make two fresh layers,
    ``forward_<name>`` and ``backward_<name>`` (the latter with
    ``go_backwards`` flipped); the backward layer's sequence is reversed back
    into time order before merging, so position t holds both the summary of
    steps 0..t and that of steps t..T-1.

    Args:
        layer: an ``LSTM`` or ``GRU`` (not built; only its settings are used).
        merge_mode: how to combine the two outputs: "concat" (default, on the
            last axis), "sum", "mul", "ave", or None (a list ``[forward, backward]``).
        name: layer name (default bidirectional_1, ...).

    Call arguments (Keras's): ``sequences``; ``initial_state``, the forward
    layer's states then the backward layer's; ``mask``, boolean (batch, time),
    replacing the input's own mask; ``training``, accepted as in Keras.

    Input shape: ``(batch, time, features)``; optionally with initial states,
        the forward layer's first then the backward layer's
        (``initial_state=[h_f, c_f, h_b, c_b]`` for an LSTM).
    Output shape: the wrapped layer's output, with ``2 * units`` on the last
        axis for "concat"; with ``return_state``, followed by the forward
        states and then the backward states: ``[output, h_f, c_f, h_b, c_b]``
        (LSTM) or ``[output, h_f, h_b]`` (GRU).

    Weights: ``{"forward_<name>": {...}, "backward_<name>": {...}}`` -- each
    the wrapped layer's own weights; ``get_weights`` lists the forward
    layer's, then the backward layer's, as Keras.

    Masking: the backward layer reads the reversed sequence with the reversed
    mask; masked steps keep the state, so right-padding (read first going
    backwards) leaves the state at its initial value and each sequence is in
    effect read from its last real step back to its first. With
    ``return_sequences``, outputs at masked steps are zeros in both
    directions (Keras sets ``zero_output_for_mask`` in Bidirectional).

    Example:
        >>> seq = Bidirectional(LSTM(32, return_sequences=True))(embedded)   # (batch, time, 64)
    """
    accepts_mask = True
    first_input_mask = True                 # [x, *states] with x's mask alone
    call_inputs = ("sequences",)            # Keras: layer(sequences, initial_state=None, mask=None, training=None)
    state_keyword = "initial_state"         # layer(x, initial_state=[...]) is layer([x, ...])

    def __init__(self, layer, merge_mode="concat", name=None):
        super().__init__(name)
        where = layer_label(self)
        if not isinstance(layer, (LSTM, GRU)):
            raise TypeError(f"{where}: expected a recurrent layer (LSTM or GRU) to wrap, got {layer!r}")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"{where}: merge_mode must be one of {list(MERGE_MODES)}, got {merge_mode!r}")
        self.merge_mode = merge_mode
        settings = layer.get_config()          # two fresh layers from the wrapped one's settings, as Keras
        self.forward_layer = type(layer)(**{**settings, "name": f"forward_{layer.name}"})
        self.backward_layer = type(layer)(**{**settings, "name": f"backward_{layer.name}",
                                             "go_backwards": not layer.go_backwards})
        self.return_sequences, self.return_state = layer.return_sequences, layer.return_state

    def init(self, rng, input_shape):
        x_shape, states = self._split(input_shape)
        forward, backward = self.forward_layer, self.backward_layer
        forward_shape, forward_params = forward.init(rng, [x_shape] + states[0] if states else x_shape)
        _, backward_params = backward.init(rng, [x_shape] + states[1] if states else x_shape)
        params = {forward.name: forward_params, backward.name: backward_params}
        out, state_shapes = ((forward_shape[0], forward_shape[1:]) if self.return_state
                             else (forward_shape, []))
        if self.merge_mode == "concat":
            merged = [tuple(out[:-1]) + (2 * out[-1],)]
        else:
            merged = [out, out] if self.merge_mode is None else [out]
        shapes = merged + state_shapes * 2
        return (shapes if len(shapes) > 1 else shapes[0]), params

    def _split(self, inputs):
        """``x`` or ``[x, *states]`` (arrays or shapes) -> (x, None or (forward states, backward states))."""
        if not isinstance(inputs, list):          # a list: several inputs; a tuple: one shape
            return inputs, None
        x, states, count = inputs[0], list(inputs[1:]), self.forward_layer.state_count
        if len(states) != 2 * count:
            raise ValueError(f"{layer_label(self)}: expected {2 * count} initial states "
                             f"({count} forward, then {count} backward), got {len(states)}")
        return x, (states[:count], states[count:])

    def apply(self, params, x, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        x, states = self._split(list(x) if isinstance(x, tuple) else x)
        forward, backward = self.forward_layer, self.backward_layer
        y = forward.forward(params[forward.name], [x] + states[0] if states else x, mask=mask)
        y_rev = backward.forward(params[backward.name], [x] + states[1] if states else x, mask=mask)
        forward_states = backward_states = []
        if self.return_state:
            (y, *forward_states), (y_rev, *backward_states) = y, y_rev
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]                        # back into time order: (batch, time, units)
            if mask is not None:                           # zeros at masked steps, as Keras
                keep = mask[:, :, None]                    # (batch, time, 1)
                y, y_rev = anp.where(keep, y, 0.0), anp.where(keep, y_rev, 0.0)
        outputs = self._merge(y, y_rev) + forward_states + backward_states
        return outputs if len(outputs) > 1 else outputs[0]

    def _merge(self, y, y_rev):
        if self.merge_mode == "concat":
            return [anp.concatenate([y, y_rev], axis=-1)]   # (..., 2 units)
        if self.merge_mode == "sum":
            return [y + y_rev]
        if self.merge_mode == "mul":
            return [y * y_rev]
        if self.merge_mode == "ave":
            return [(y + y_rev) / 2.0]
        return [y, y_rev]

    def compute_mask(self, x, mask):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        masks = [out_mask] * (2 if self.merge_mode is None else 1)
        if self.return_state:
            masks += [None] * (2 * self.forward_layer.state_count)
        return masks if len(masks) > 1 else masks[0]
