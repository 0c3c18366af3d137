"""Save -> load round-trips bit for bit, for every layer, on random settings (Hypothesis).

A model made of one random layer (``property_layers.py``) is saved with
``save_weights`` and loaded into the same architecture rebuilt from scratch --
after ``minattn.clear_session()`` (the same layer names) or without it (other
names: the file is matched by structure) -- in float32 and float64. The
weights come back with the same dtype and the same bits, and so do the
predictions.
"""
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minattn
from minattn import Input, Model

from property_layers import BUILDERS, drawn_layer

# Saving fsyncs the file (an atomic save); on a RAM disk that costs nothing, on a busy disk it dominates.
MEMORY_DISK = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def model_of(drawn):
    """``Model(inputs, layer(inputs))`` for a fresh layer from ``drawn``."""
    arrays = drawn.inputs if isinstance(drawn.inputs, list) else [drawn.inputs]
    inputs = [Input(a.shape[1:], dtype="int32" if drawn.int_inputs else None) for a in arrays]
    layer = drawn.make()
    outputs = layer(inputs if isinstance(drawn.inputs, list) else inputs[0])
    return Model(inputs, outputs), layer


def nudged(model, seed):
    """Every weight moved off its initial value (zeros biases included), in its own dtype."""
    rng = np.random.default_rng(seed)
    model.set_weights([(w + rng.standard_normal(w.shape)).astype(w.dtype) for w in model.get_weights()])
    return model


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("name", sorted(BUILDERS))
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]), clear_session=st.booleans())
def test_save_then_load_into_a_rebuilt_model_is_bit_for_bit(name, data, dtype, clear_session):
    drawn = data.draw(drawn_layer(name, dtype))
    minattn.clear_session()                                       # each example names its layers from _1
    minattn.set_floatx(dtype)
    model, layer = model_of(drawn)
    nudged(model, seed=1)
    expected = model.predict(drawn.inputs)
    with tempfile.TemporaryDirectory(dir=MEMORY_DISK) as folder:
        path = os.path.join(folder, "weights.npz")
        model.save_weights(path)
        if clear_session:
            minattn.clear_session()
        rebuilt, rebuilt_layer = model_of(drawn)
        nudged(rebuilt, seed=2)                                   # so that loading has to change every weight
        rebuilt.load_weights(path)
    assert (rebuilt_layer.name == layer.name) == clear_session or not layer.params
    saved, loaded = model.get_weights(), rebuilt.get_weights()
    assert len(saved) == len(loaded) and all(same_bits(a, b) for a, b in zip(saved, loaded))
    predicted = rebuilt.predict(drawn.inputs)
    pairs = zip(expected, predicted) if isinstance(expected, list) else [(expected, predicted)]
    assert all(same_bits(a, b) for a, b in pairs)
