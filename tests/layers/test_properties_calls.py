"""The call arguments, on random layers and random arguments from Keras's signatures (Hypothesis).

For every layer class of the property suite (``property_layers.BUILDERS``), a
random layer and inputs, then random call arguments among the ones the layer
declares (``calls.accepted_keywords``: ``mask``, ``training``,
``use_causal_mask``, ``attention_mask``, ``initial_state``, keras_hub's
padding masks, ``start_index``, ...), in the call form Keras uses (separate
``query``, ``value``, ``key``; the encoder sequence apart; ``initial_state=``):

* the eager call equals the same call inside a Model, in float64, values
  exactly as computed twice the same way (to 1e-12) and the output masks as
  the layer computes them from the masks given;
* a keyword the layer does not take is a TypeError naming the layer and it,
  eagerly and on symbolic tensors.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minattn
from minattn import Input
from minattn.layers.calls import accepted_keywords, call_mask, mask_keywords

from call_helpers import NO_MASK, in_model
from property_layers import BUILDERS, drawn_layer

LAYERS = sorted(BUILDERS)
NOT_KERAS = ["use_casual_mask", "masks", "trainning", "padding", "initial_states", "return_scores",
             "attention_masks", "causal", "key"]


def bool_array(draw, shape):
    return np.random.default_rng(draw(st.integers(0, 2**16))).random(shape) > 0.3


def keyword_value(draw, layer, name, xs):
    """A value for call keyword ``name`` of ``layer`` whose inputs (apply form) are the arrays ``xs``;
    None to leave it out."""
    batch, times = xs[0].shape[0], [x.shape[1] if x.ndim > 1 else None for x in xs]
    if name == "training":
        return draw(st.sampled_from([False, True]))
    if name in ("use_causal_mask", "return_attention_scores"):
        return draw(st.booleans())
    if name == "start_index":
        room = getattr(layer, "sequence_length", times[0] + 3) - times[0]
        return draw(st.integers(0, room))
    if name == "attention_mask":                          # MHA (Tq, Tk) or the encoder (T, T)
        key_time = times[1] if len(xs) > 1 else times[0]
        return bool_array(draw, (batch, times[0], key_time))
    if name in ("padding_mask", "decoder_padding_mask"):
        return bool_array(draw, (batch, times[0]))
    if name == "decoder_attention_mask":
        return bool_array(draw, (batch, times[0], times[0]))
    if name.startswith("encoder_"):                       # only with an encoder sequence
        if len(xs) < 2:
            return None
        shape = (batch, times[1]) if name == "encoder_padding_mask" else (batch, times[0], times[1])
        return bool_array(draw, shape)
    raise AssertionError(f"no strategy for call argument {name!r} of {layer!r}: add one")


@st.composite
def call_form(draw, layer, drawn):
    """``(inputs, call keywords, x in apply form)``: the drawn example as a Keras-style call."""
    x = drawn.inputs
    xs = x if isinstance(x, list) else [x]
    inputs, call = x, {}
    if layer.state_keyword and isinstance(x, list):            # [x, *states] -> x, initial_state=states
        inputs, call["initial_state"] = x[0], x[1:]
    elif len(layer.call_inputs) > 1 and isinstance(x, list) and draw(st.booleans()):
        inputs = x[0]                                           # query, value=..., key=... apart
        call.update(zip(layer.call_inputs[1:], x[1:]))
    names = mask_keywords(layer)
    if "mask" in names:
        if drawn.mask is not None and draw(st.booleans()):
            call["mask"] = drawn.mask
    elif names and drawn.mask is not None:                      # query_mask, value_mask, key_mask
        for index, name in enumerate(names):
            given = drawn.mask[min(index, len(drawn.mask) - 1)]
            if given is not None and draw(st.booleans()):
                call[name] = given
    for name in accepted_keywords(layer):
        if name in names or name == layer.state_keyword or name in layer.refused_keywords:
            continue
        if draw(st.booleans()):
            value = keyword_value(draw, layer, name, xs)
            if value is not None:
                call[name] = value
    return inputs, call, x


def expected_masks(layer, x, call, count):
    """The output masks the layer computes for this call from the masks it was given."""
    masks = layer.call_compute_mask(x, call_mask(layer, None, call, len(x) if isinstance(x, list) else 1), call)
    return masks if isinstance(masks, list) else [masks] * count


@pytest.mark.parametrize("name", LAYERS)
@settings(max_examples=max(4, settings.default.max_examples // 3))
@given(data=st.data())
def test_the_eager_call_equals_the_call_inside_a_model(name, data):
    minattn.set_floatx("float64")
    drawn = data.draw(drawn_layer(name, "float64"))
    layer = drawn.make()
    inputs, call, x = data.draw(call_form(layer, drawn))
    minattn.set_random_seed(1)
    eager = layer(inputs, **call)
    minattn.set_random_seed(1)                                  # training=True: the same dropout draws
    graph, masks = in_model(layer, inputs, probe_masks=True, **call)
    eager = eager if isinstance(eager, list) else [eager]
    graph = graph if isinstance(graph, list) else [graph]
    assert len(graph) == len(eager)
    for got, want in zip(graph, eager):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    probed = [o for o in eager if o.ndim >= 2]
    wanted = [m for o, m in zip(eager, expected_masks(layer, x, call, len(eager))) if o.ndim >= 2]
    for got, want, out in zip(masks, wanted, probed):
        np.testing.assert_array_equal(got, NO_MASK * np.ones(out.shape[:2]) if want is None else want)


@pytest.mark.parametrize("name", LAYERS)
@settings(max_examples=max(3, settings.default.max_examples // 5))
@given(data=st.data())
def test_a_keyword_the_layer_does_not_take_is_refused_by_name(name, data):
    drawn = data.draw(drawn_layer(name, "float64"))
    layer = drawn.make()
    taken = set(accepted_keywords(layer)) | set(layer.call_inputs)
    unknown = data.draw(st.sampled_from([word for word in NOT_KERAS if word not in taken]))
    message = rf"{type(layer).__name__} '{layer.name}': unexpected call argument '{unknown}'"
    with pytest.raises(TypeError, match=message):
        layer(drawn.inputs, **{unknown: True})
    symbolic = [Input(a.shape[1:]) for a in drawn.inputs] if isinstance(drawn.inputs, list) \
        else Input(drawn.inputs.shape[1:])
    with pytest.raises(TypeError, match=message):
        layer(symbolic, **{unknown: True})
