"""Every layer's integer, axis and shape arguments are checked at construction.

An int argument takes a Python or NumPy integer; a bool, a float (even 2.0) or
a string is refused with a ValueError naming the layer, the argument and the
value -- before any input is seen, never a bare TypeError later.
"""
import numpy as np
import pytest

from minattn import Input, clear_session
from minattn.arguments import check_int, check_int_tuple, int_range, is_int
from minattn.layers import (GRU, LSTM, Attention, AttentionDecoder, AttentionPooling, Concatenate, Conv2D, Dense,
                            Dropout, Embedding, KeyValueAttention, Lambda, MaxPooling2D, MultiHeadAttention,
                            Permute, PositionalEncoding, RepeatVector, Reshape, SpatialTransformer, SqueezeExcite,
                            StructuredSelfAttention)

BAD_INTS = [2.0, 1.5, True, "3", np.float64(2.0)]        # None means "the default" where allowed

# (build, argument name shown, label shown): build(value) makes the layer with that argument.
INT_ARGUMENTS = [
    (lambda v: Dense(v), "units", "Dense"),
    (lambda v: LSTM(v), "units", "LSTM"),
    (lambda v: GRU(v), "units", "GRU"),
    (lambda v: Embedding(v, 4), "input_dim", "Embedding"),
    (lambda v: Embedding(10, v), "output_dim", "Embedding"),
    (lambda v: Conv2D(v, 3), "filters", "Conv2D"),
    (lambda v: Conv2D(4, v), "kernel_size", "Conv2D"),
    (lambda v: Conv2D(4, 3, strides=v), "strides", "Conv2D"),
    (lambda v: MaxPooling2D(v), "pool_size", "MaxPooling2D"),
    (lambda v: RepeatVector(v), "n", "RepeatVector"),
    (lambda v: MultiHeadAttention(v, 4), "num_heads", "MultiHeadAttention"),
    (lambda v: MultiHeadAttention(2, v), "key_dim", "MultiHeadAttention"),
    (lambda v: MultiHeadAttention(2, 4, value_dim=v), "value_dim", "MultiHeadAttention"),
    (lambda v: Attention("additive", units=v), "units", "Attention"),
    (lambda v: StructuredSelfAttention(v), "da", "StructuredSelfAttention"),
    (lambda v: StructuredSelfAttention(4, r=v), "r", "StructuredSelfAttention"),
    (lambda v: KeyValueAttention(v), "window", "KeyValueAttention"),
    (lambda v: KeyValueAttention(3, units=v), "units", "KeyValueAttention"),
    (lambda v: AttentionDecoder(v, 5), "units", "AttentionDecoder"),
    (lambda v: AttentionDecoder(4, v), "vocab_size", "AttentionDecoder"),
    (lambda v: AttentionDecoder(4, 5, window=v), "window", "AttentionDecoder"),
    (lambda v: AttentionDecoder(4, 5, score_units=v), "score_units", "AttentionDecoder"),
    (lambda v: SqueezeExcite(v), "ratio", "SqueezeExcite"),
    (lambda v: Concatenate(axis=v), "axis", "Concatenate"),
]


@pytest.mark.parametrize("bad", BAD_INTS, ids=repr)
@pytest.mark.parametrize("build, argument, label", INT_ARGUMENTS, ids=[f"{c[2]}-{c[1]}" for c in INT_ARGUMENTS])
def test_integer_arguments_refuse_bools_floats_and_strings(build, argument, label, bad):
    with pytest.raises(ValueError) as info:
        build(bad)
    message = str(info.value)
    assert message.startswith(label + " '") and f"{argument} must be" in message and repr(bad) in message


@pytest.mark.parametrize("build, argument, label", INT_ARGUMENTS, ids=[f"{c[2]}-{c[1]}" for c in INT_ARGUMENTS])
def test_integer_arguments_take_numpy_integers(build, argument, label):
    build(np.int64(2))
    build(np.int32(1) if argument != "axis" else np.int32(-1))


@pytest.mark.parametrize("make, shown", [
    (lambda: Permute((2.0, 1.0)), "dims must be a tuple of ints, got (2.0, 1.0)"),
    (lambda: Permute(2), "dims must be a tuple of ints, got 2"),
    (lambda: Reshape((2.0, -1)), "target_shape must be a tuple of ints"),
    (lambda: Reshape("ab"), "target_shape must be a tuple of ints"),
    (lambda: Lambda(lambda x: x, output_shape=(2.0,)), "output_shape must be a tuple of ints or None"),
    (lambda: SpatialTransformer(2.5), "localization must be positive ints"),
    (lambda: SpatialTransformer(8, output_size=3), "output_size must be a tuple of ints, got 3"),
    (lambda: SpatialTransformer(8, output_size=(4.0, 4)), "output_size must be a tuple of ints"),
    (lambda: Dropout(True), "rate must be a finite number, got True"),
    (lambda: Dropout(1.0), "rate must be a number in [0, 1)"),
    (lambda: PositionalEncoding("big"), "max_wavelength must be a finite number"),
    (lambda: Concatenate(axis=0), "cannot join along the batch axis 0"),
])
def test_tuple_and_other_arguments_fail_at_construction(make, shown):
    with pytest.raises(ValueError) as info:
        make()
    assert shown in str(info.value)


def test_permute_and_reshape_take_numpy_integers():
    assert Permute((np.int64(2), np.int32(1)))(Input((3, 4))).shape == (4, 3)
    assert Reshape((np.int64(2), -1))(Input((3, 4))).shape == (2, 6)
    assert Concatenate(axis=np.int64(-1))([Input((3, 4)), Input((3, 2))]).shape == (3, 6)
    assert Dropout(np.float32(0.25)).rate == 0.25


@pytest.mark.parametrize("shape", [(3.0,), (True,), 2.5, "ab", (0, 2)])
def test_input_shape_must_be_positive_ints_or_none(shape):
    with pytest.raises(ValueError, match="Input: shape must be a tuple of"):
        Input(shape)


def test_input_shape_takes_numpy_integers_and_none():
    assert Input((np.int64(3), None)).shape == (3, None)
    assert Input(np.int32(5)).shape == (5,)


def test_the_one_int_check():
    assert [is_int(v) for v in (3, np.int8(3), True, 3.0, np.float32(3), "3", None)] == \
        [True, True, False, False, False, False, False]
    assert check_int(np.int64(4), "f: n", low=1) == 4 and type(check_int(np.int64(4), "f: n")) is int
    with pytest.raises(ValueError, match=r"^f: n must be a non-negative int, got -1$"):
        check_int(-1, "f: n")
    with pytest.raises(ValueError, match=r"^f: n must be an int in \[0, 9\], got 10$"):
        check_int(10, "f: n", 0, 9)
    assert int_range(low=None) == "an int" and int_range(1) == "a positive int" and int_range(3) == "an int >= 3"
    assert check_int_tuple([1, None, np.int64(2)], "s", allow_none=True) == (1, None, 2)


def setup_function():
    clear_session()
