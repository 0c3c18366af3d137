"""The registry of gradient-check cases: one or more per layer, activation and loss.

``tests/layers/test_gradients.py`` runs every case through ``minattn.gradcheck`` and
fails when a layer class, an activation or a loss in the package has no case
here -- so when you add one to minattn, add its case below:

* a layer: a function ``() -> (layer, inputs, check_layer_kwargs)`` decorated
  with ``@layer_case("id")``; build the layer with ``built(...)`` so its
  weights are float64 and seeded;
* an activation: an entry in ``ACTIVATION_INPUTS`` (and in ``KINKS`` if it bends);
* a loss: an entry in ``LOSS_CASES``.

Inputs are small (batch 2-3, a few features), float64, seeded, and chosen away
from kinks (relu at 0, relu6 at 0 and 6, hard sigmoids at +-2.5 / +-3) and
clip points (the losses' 1e-7), where a finite difference straddles two
pieces and disagrees with any one-sided derivative.
"""
import autograd.numpy as anp
import numpy as np

from minattn import config
from minattn.layers import (LSTM, Activation, Add, Concatenate, Dense, Dropout, Embedding, Flatten,
                            Lambda, Multiply, Permute, RepeatVector, Reshape)
from minattn.pytree import tree_map

BATCH = 3


def rand(*shape, seed=0, scale=1.0):
    """Seeded standard-normal float64 array ``(shape) * scale``."""
    return scale * np.random.default_rng(seed).standard_normal(shape)


def built(layer, input_shape, seed=0):
    """Build ``layer`` for ``input_shape`` (no batch axis) with float64 weights from a seeded rng.

    Biases start at zero in Keras; here every weight gets a small seeded
    perturbation so no gradient is checked only at a special point.
    """
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        rng = np.random.default_rng(seed)
        output_shape, params = layer.init(rng, input_shape)
    finally:
        config.set_floatx(previous)
    params = tree_map(lambda v: v + 0.1 * rng.standard_normal(v.shape), params)     # nested dicts too
    layer.params, layer.input_shape, layer.output_shape = params, input_shape, output_shape
    return layer


def shape_of(inputs):
    if isinstance(inputs, (list, tuple)):
        return [np.shape(a)[1:] for a in inputs]
    return np.shape(inputs)[1:]


def case(layer, inputs, seed=0, **kwargs):
    """``(layer built for inputs, inputs, check_layer kwargs)``."""
    return built(layer, shape_of(inputs), seed), inputs, kwargs


# ---------------------------------------------------------------------------
# Layers: id -> factory () -> (layer, inputs, kwargs for gradcheck.check_layer)
# ---------------------------------------------------------------------------
LAYER_CASES = {}


def layer_case(case_id):
    def register(factory):
        if case_id in LAYER_CASES:
            raise ValueError(f"duplicate layer case id {case_id!r}")
        LAYER_CASES[case_id] = factory
        return factory
    return register


# ---------------------------------------------------------------------------
# Activations: name -> inputs, written out one by one (a new activation needs
# its own line here, with inputs chosen away from its kinks). Each is checked
# on its own (ACTIVATION_CASES) and inside a Dense and an Activation layer.
# ---------------------------------------------------------------------------
WIDE = np.array([[-7.3, -4.1, -2.8, -1.2, -0.4],
                 [0.3, 1.7, 2.65, 3.9, 6.8],
                 [-0.9, 0.6, -2.2, 2.2, 5.1]])      # (3, 5): both tails, off every kink below

ACTIVATION_INPUTS = {
    "linear": WIDE,
    "sigmoid": WIDE,                  # includes the flat tails (derivative ~7e-4)
    "tanh": WIDE,                     # tanh'(-7.3) ~ 2e-6: exercises the checker's floor
    "relu": WIDE,
    "relu6": WIDE,
    "softmax": WIDE,
    "hard_sigmoid": WIDE,
    "legacy_hard_sigmoid": WIDE,
    "hard_swish": WIDE,
    "gelu": WIDE,                     # smooth: erf's derivative is exact
}

# Where each piecewise activation bends. The tests check that no input of an
# activation case, and no pre-activation inside any layer case, comes near one.
KINKS = {
    "relu": (0.0,),
    "relu6": (0.0, 6.0),
    "hard_sigmoid": (-3.0, 3.0),
    "legacy_hard_sigmoid": (-2.5, 2.5),
    "hard_swish": (-3.0, 3.0),
}


def _dense_activation(name):
    def factory():
        return case(Dense(4, activation=name), rand(BATCH, 5, seed=3))
    return factory


def _activation_layer(name):
    def factory():
        return case(Activation(name), ACTIVATION_INPUTS[name].copy())
    return factory


for _name in ACTIVATION_INPUTS:
    layer_case(f"dense_{_name}")(_dense_activation(_name))
    layer_case(f"activation_{_name}")(_activation_layer(_name))


@layer_case("dense_3d_gelu")
def _():
    return case(Dense(4, activation="gelu"), rand(BATCH, 3, 5, seed=4))       # every position a row


@layer_case("dense_3d_relu")
def _():
    return case(Dense(4, activation="relu"), rand(BATCH, 3, 5, seed=5))


@layer_case("activation_softmax_3d")
def _():
    return case(Activation("softmax"), rand(2, 3, 4))


@layer_case("permute_3d")
def _():
    return case(Permute((2, 1)), rand(BATCH, 3, 4))


@layer_case("permute_4d")
def _():
    return case(Permute((3, 1, 2)), rand(2, 2, 3, 4))


@layer_case("reshape")
def _():
    return case(Reshape((4, 3)), rand(BATCH, 2, 6))


@layer_case("reshape_minus_one")
def _():
    return case(Reshape((3, -1)), rand(BATCH, 2, 6))


@layer_case("flatten")
def _():
    return case(Flatten(), rand(BATCH, 2, 3, 2))


@layer_case("repeat_vector")
def _():
    return case(RepeatVector(3), rand(BATCH, 4))


@layer_case("lambda_mean_axis1")
def _():
    return case(Lambda(lambda x: anp.mean(x, axis=1)), rand(BATCH, 4, 3))


@layer_case("lambda_two_inputs")
def _():
    return case(Lambda(lambda xs: xs[0] * anp.tanh(xs[1]) + xs[0] ** 2),
                [rand(BATCH, 4, seed=1), rand(BATCH, 4, seed=2)])


@layer_case("multiply_2")
def _():
    return case(Multiply(), [rand(BATCH, 4, seed=1), rand(BATCH, 4, seed=2)])


@layer_case("multiply_3")
def _():
    return case(Multiply(), [rand(BATCH, 2, 3, seed=s) for s in (1, 2, 3)])


@layer_case("multiply_broadcast")
def _():
    # (H, W, C) * (1, 1, C), as in squeeze-and-excitation
    return case(Multiply(), [rand(2, 2, 3, 4, seed=1), rand(2, 1, 1, 4, seed=2)])


@layer_case("add_2")
def _():
    return case(Add(), [rand(BATCH, 4, seed=1), rand(BATCH, 4, seed=2)])


@layer_case("add_3")
def _():
    return case(Add(), [rand(BATCH, 2, 3, seed=s) for s in (1, 2, 3)])


@layer_case("add_broadcast")
def _():
    return case(Add(), [rand(BATCH, 3, 4, seed=1), rand(BATCH, 1, 4, seed=2), rand(BATCH, 3, 1, seed=3)])


@layer_case("concatenate_last")
def _():
    return case(Concatenate(), [rand(BATCH, 3, 2, seed=1), rand(BATCH, 3, 4, seed=2)])


@layer_case("concatenate_axis1")
def _():
    return case(Concatenate(axis=1), [rand(BATCH, 2, 4, seed=1), rand(BATCH, 3, 4, seed=2)])


@layer_case("concatenate_axis2_three")
def _():
    return case(Concatenate(axis=2), [rand(2, 3, s, seed=s) for s in (1, 2, 3)])


@layer_case("concatenate_2d")
def _():
    return case(Concatenate(axis=1), [rand(BATCH, 2, seed=1), rand(BATCH, 3, seed=2)])


@layer_case("embedding")
def _():
    ids = np.array([[1, 4, 4, 0], [2, 2, 3, 1], [0, 0, 4, 2]])      # repeats: gradients add up
    return case(Embedding(5, 3), ids, wrt_inputs=False)


@layer_case("dropout_training")
def _():
    return case(Dropout(0.5), rand(BATCH, 6), training=True, rng=7)


@layer_case("dropout_inference")
def _():
    return case(Dropout(0.5), rand(BATCH, 6), training=False)


# LSTM: x is scaled by 0.3 and the weights are Keras-sized (glorot, orthogonal,
# forget bias 1) so every gate pre-activation stays well inside (-2.5, 2.5),
# off the kinks of both hard sigmoids.
def _seq(batch=BATCH, time=4, features=3, seed=0):
    return rand(batch, time, features, seed=seed, scale=0.3)


@layer_case("lstm")
def _():
    return case(LSTM(3), _seq())


@layer_case("lstm_return_sequences")
def _():
    return case(LSTM(3, return_sequences=True), _seq())


@layer_case("lstm_return_state")
def _():
    return case(LSTM(2, return_state=True), _seq())


@layer_case("lstm_sequences_and_state")
def _():
    return case(LSTM(2, return_sequences=True, return_state=True), _seq())


@layer_case("lstm_initial_state")
def _():
    x, h0, c0 = _seq(), rand(BATCH, 3, seed=5, scale=0.3), rand(BATCH, 3, seed=6, scale=0.3)
    return case(LSTM(3, return_sequences=True, return_state=True), [x, h0, c0])


@layer_case("lstm_mask")
def _():
    mask = np.array([[True, True, True, True],
                     [True, True, False, False],       # padded at the end
                     [False, True, True, False]])       # masked at both ends
    return case(LSTM(3, return_sequences=True), _seq(), mask=mask)


@layer_case("lstm_mask_initial_state")
def _():
    mask = np.array([[True, False, True, True], [False, False, True, True], [True, True, True, False]])
    x, h0, c0 = _seq(), rand(BATCH, 2, seed=5, scale=0.3), rand(BATCH, 2, seed=6, scale=0.3)
    return case(LSTM(2, return_state=True), [x, h0, c0], mask=mask)


@layer_case("lstm_legacy_hard_sigmoid")
def _():
    return case(LSTM(3, recurrent_activation="legacy_hard_sigmoid", return_sequences=True), _seq())


@layer_case("lstm_hard_sigmoid")
def _():
    return case(LSTM(3, recurrent_activation="hard_sigmoid", return_sequences=True), _seq())


@layer_case("lstm_no_bias")
def _():
    return case(LSTM(3, use_bias=False, return_sequences=True), _seq())


@layer_case("lstm_relu_activation")
def _():
    # from c0 = 0 a step with relu(z_c) = 0 would leave c exactly on relu's kink: start from c0 != 0
    x, h0, c0 = _seq(seed=3), rand(BATCH, 2, seed=8, scale=0.3), rand(BATCH, 2, seed=9, scale=0.3)
    return case(LSTM(2, activation="relu", return_sequences=True), [x, h0, c0])


# (case id, activation name, x, keyword arguments for the activation)
ACTIVATION_CASES = [(name, name, x.copy(), {}) for name, x in ACTIVATION_INPUTS.items()] + [
    ("softmax_axis0", "softmax", rand(3, 4, seed=1), {"axis": 0}),
    ("softmax_axis1_3d", "softmax", rand(2, 3, 4, seed=2), {"axis": 1}),
    ("softmax_large", "softmax", 30.0 * rand(2, 5, seed=3), {}),
]


# ---------------------------------------------------------------------------
# Losses: (case id, loss name as in all_losses(), y_true, y_pred, check wrt y_true too)
# ---------------------------------------------------------------------------
def _probabilities(*shape, seed):
    return np.random.default_rng(seed).uniform(0.05, 0.95, size=shape)


def _positive_rows(*shape, seed):
    return np.random.default_rng(seed).uniform(0.1, 1.0, size=shape)     # rows need not sum to 1


_Y_REG = rand(BATCH, 4, seed=10)
_ONE_HOT = np.eye(4)[[2, 0, 3]]                                       # (3, 4)

LOSS_CASES = [
    ("mse", "mean_squared_error", _Y_REG, rand(BATCH, 4, seed=11), True),
    ("mse_3d", "mean_squared_error", rand(2, 3, 4, seed=12), rand(2, 3, 4, seed=13), True),
    # |y_pred - y_true| >= 0.1 everywhere: off the kink of abs
    ("mae", "mean_absolute_error", _Y_REG, _Y_REG + np.where(rand(BATCH, 4, seed=14) > 0, 1, -1)
     * np.random.default_rng(15).uniform(0.1, 1.0, (BATCH, 4)), True),
    ("binary_crossentropy", "binary_crossentropy", np.array([[0., 1, 1], [1, 0, 0], [0, 0, 1]]),
     _probabilities(BATCH, 3, seed=16), True),
    ("binary_crossentropy_soft_labels", "binary_crossentropy", _probabilities(BATCH, 3, seed=17),
     _probabilities(BATCH, 3, seed=18), True),
    ("binary_crossentropy_from_logits", "binary_crossentropy_from_logits",
     np.array([[0., 1, 1], [1, 0, 0], [0, 0, 1]]), rand(BATCH, 3, seed=19, scale=3.0), True),
    ("categorical_crossentropy", "categorical_crossentropy", _ONE_HOT, _positive_rows(BATCH, 4, seed=20),
     True),
    ("categorical_crossentropy_3d", "categorical_crossentropy", np.eye(3)[[[0, 2], [1, 1]]],
     _positive_rows(2, 2, 3, seed=21), True),
    ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy", np.array([2, 0, 3]),
     _positive_rows(BATCH, 4, seed=22), False),
    ("sparse_categorical_crossentropy_column", "sparse_categorical_crossentropy",
     np.array([[1], [3], [0]]), _positive_rows(BATCH, 4, seed=23), False),
]


# ---------------------------------------------------------------------------
# Recurrent family: GRU, go_backwards, Bidirectional (appended section)
# ---------------------------------------------------------------------------
from minattn.layers import GRU, Bidirectional  # noqa: E402  (kept with the section that uses them)

# Same scales as the LSTM cases (x * 0.3, Keras-sized weights): every gate
# pre-activation stays well inside (-2.5, 2.5), off the hard sigmoids' kinks.
_PADDED = np.array([[True, True, True, True],
                    [True, True, False, False],        # padded at the end
                    [False, True, True, False]])        # masked at both ends


def nested_case(layer, inputs, seed=0, **kwargs):
    """``case`` for a layer whose weights are dicts of dicts (Bidirectional):
    the same seeded float64 build and small perturbation of every weight."""
    previous = config.floatx()
    config.set_floatx("float64")
    try:
        rng = np.random.default_rng(seed)
        output_shape, params = layer.init(rng, shape_of(inputs))
    finally:
        config.set_floatx(previous)
    params = tree_map(lambda v: v + 0.1 * rng.standard_normal(v.shape), params)
    layer.params, layer.input_shape, layer.output_shape = params, shape_of(inputs), output_shape
    return layer, inputs, kwargs


@layer_case("gru")
def _():
    return case(GRU(3), _seq())


@layer_case("gru_return_sequences")
def _():
    return case(GRU(3, return_sequences=True), _seq())


@layer_case("gru_sequences_and_state")
def _():
    return case(GRU(2, return_sequences=True, return_state=True), _seq())


@layer_case("gru_initial_state")
def _():
    return case(GRU(3, return_sequences=True, return_state=True), [_seq(), rand(BATCH, 3, seed=5, scale=0.3)])


@layer_case("gru_mask")
def _():
    return case(GRU(3, return_sequences=True), _seq(), mask=_PADDED)


@layer_case("gru_mask_initial_state")
def _():
    return case(GRU(2, return_state=True), [_seq(), rand(BATCH, 2, seed=5, scale=0.3)], mask=_PADDED)


@layer_case("gru_reset_before")
def _():
    return case(GRU(3, reset_after=False, return_sequences=True), _seq())


@layer_case("gru_reset_before_mask_state")
def _():
    return case(GRU(3, reset_after=False, return_state=True), [_seq(), rand(BATCH, 3, seed=5, scale=0.3)],
                mask=_PADDED)


@layer_case("gru_no_bias")
def _():
    return case(GRU(3, use_bias=False, return_sequences=True), _seq())


@layer_case("gru_reset_before_no_bias")
def _():
    return case(GRU(3, reset_after=False, use_bias=False), _seq())


@layer_case("gru_hard_sigmoid")
def _():
    return case(GRU(3, recurrent_activation="hard_sigmoid", return_sequences=True), _seq())


@layer_case("gru_legacy_hard_sigmoid_reset_before")
def _():
    return case(GRU(3, recurrent_activation="legacy_hard_sigmoid", reset_after=False,
                    return_sequences=True), _seq())


@layer_case("gru_relu_activation")
def _():
    return case(GRU(2, activation="relu", return_sequences=True),
                [_seq(seed=3), rand(BATCH, 2, seed=8, scale=0.3)])


@layer_case("gru_go_backwards_mask")
def _():
    return case(GRU(3, go_backwards=True, return_sequences=True), _seq(), mask=_PADDED)


@layer_case("lstm_go_backwards_mask")
def _():
    return case(LSTM(2, go_backwards=True, return_sequences=True, return_state=True), _seq(), mask=_PADDED)


@layer_case("bidirectional_lstm_concat")
def _():
    return nested_case(Bidirectional(LSTM(2, return_sequences=True)), _seq())


@layer_case("bidirectional_gru_sum_last")
def _():
    return nested_case(Bidirectional(GRU(3), merge_mode="sum"), _seq())


@layer_case("bidirectional_gru_mul_mask")
def _():
    return nested_case(Bidirectional(GRU(2, return_sequences=True), merge_mode="mul"), _seq(), mask=_PADDED)


@layer_case("bidirectional_lstm_ave_mask")
def _():
    return nested_case(Bidirectional(LSTM(2), merge_mode="ave"), _seq(), mask=_PADDED)


@layer_case("bidirectional_gru_none_state")
def _():
    return nested_case(Bidirectional(GRU(2, reset_after=False, return_sequences=True, return_state=True),
                                     merge_mode=None), _seq())


@layer_case("bidirectional_lstm_state_initial_mask")
def _():
    states = [rand(BATCH, 2, seed=s, scale=0.3) for s in (5, 6, 7, 8)]      # h_f, c_f, h_b, c_b
    return nested_case(Bidirectional(LSTM(2, return_sequences=True, return_state=True)),
                       [_seq()] + states, mask=_PADDED)


# ---------------------------------------------------------------------------
# Attention family (minattn/layers/attention.py, multihead.py, attention_pooling.py) (appended section)
# ---------------------------------------------------------------------------
from minattn.layers import (Attention, AttentionPooling, AttentionWithContext,  # noqa: E402
                            KeyValueAttention, MultiHeadAttention, PositionalEncoding,
                            StructuredSelfAttention)

_KEYS_PADDED = np.array([[True, True, True, True],
                         [True, True, True, False],         # padded at the end
                         [False, True, True, False]])        # masked at both ends
_KEYS_ONE_SAMPLE_EMPTY = np.array([[True, True, False, False],
                                   [False, False, False, False],   # nothing to attend to: weights 0, no NaN
                                   [True, False, True, True]])
_QUERIES_PADDED = np.array([[True, True, True], [True, True, False], [True, False, False]])


def _att_inputs(dq=4, dv=3, dk=None, tq=3, tk=4):
    """[query (3, tq, dq), value (3, tk, dv)] and, with dk, a key (3, tk, dk)."""
    xs = [rand(BATCH, tq, dq, seed=31), rand(BATCH, tk, dv, seed=32)]
    return xs + [rand(BATCH, tk, dk, seed=33)] if dk else xs


@layer_case("attention_dot")
def _():
    return case(Attention(), _att_inputs(dq=3))           # key = value: dq == dv


@layer_case("attention_scaled_dot_key")
def _():
    return case(Attention(score="scaled_dot"), _att_inputs(dk=4))


@layer_case("attention_general")
def _():
    return case(Attention(score="general"), _att_inputs(dk=2))


@layer_case("attention_additive")
def _():
    return case(Attention(score="additive", units=5), _att_inputs(dk=2))


@layer_case("attention_concat")
def _():
    return case(Attention(score="concat"), _att_inputs())


@layer_case("attention_dot_masks")
def _():
    return case(Attention(), _att_inputs(dq=3), mask=[_QUERIES_PADDED, _KEYS_PADDED])


@layer_case("attention_general_empty_row_weights")
def _():
    return case(Attention(score="general", return_attention_scores=True), _att_inputs(),
                mask=[None, _KEYS_ONE_SAMPLE_EMPTY])


@layer_case("attention_additive_causal_mask_weights")
def _():
    x = rand(BATCH, 4, 3, seed=34)
    return case(Attention(score="additive", causal=True, return_attention_scores=True), [x, x],
                mask=[_KEYS_PADDED, _KEYS_PADDED])


@layer_case("attention_scaled_dot_causal")
def _():
    x = rand(BATCH, 4, 3, seed=35)
    return case(Attention(score="scaled_dot", causal=True), [x, x, x])


@layer_case("attention_concat_key_mask_weights")
def _():
    return case(Attention(score="concat", units=2, return_attention_scores=True), _att_inputs(dk=2),
                mask=[None, _KEYS_PADDED, _KEYS_ONE_SAMPLE_EMPTY])


@layer_case("multi_head_self")
def _():
    x = rand(BATCH, 4, 4, seed=36)
    return case(MultiHeadAttention(2, 3), [x, x])


@layer_case("multi_head_cross_key_weights")
def _():
    return case(MultiHeadAttention(2, 2, value_dim=3, return_attention_scores=True), _att_inputs(dk=2))


@layer_case("multi_head_causal_mask")
def _():
    x = rand(BATCH, 4, 3, seed=37)
    return case(MultiHeadAttention(3, 2, causal=True), [x, x], mask=[_KEYS_PADDED, _KEYS_PADDED])


@layer_case("multi_head_no_bias_empty_row")
def _():
    return case(MultiHeadAttention(1, 2, use_bias=False, return_attention_scores=True), _att_inputs(),
                mask=[None, _KEYS_ONE_SAMPLE_EMPTY])


@layer_case("positional_encoding")
def _():
    return case(PositionalEncoding(), rand(BATCH, 4, 5, seed=38))


@layer_case("structured_self_attention")
def _():
    return case(StructuredSelfAttention(3, r=2), rand(BATCH, 4, 3, seed=39))


@layer_case("structured_self_attention_mask_weights")
def _():
    return case(StructuredSelfAttention(2, r=3, return_attention=True), rand(BATCH, 4, 3, seed=40),
                mask=_KEYS_PADDED)


@layer_case("key_value_attention")
def _():
    return case(KeyValueAttention(2), rand(BATCH, 4, 4, seed=41))


@layer_case("key_value_attention_mask_weights")
def _():
    return case(KeyValueAttention(3, units=2, return_attention=True), rand(BATCH, 4, 6, seed=42),
                mask=_KEYS_PADDED)


@layer_case("attention_with_context")
def _():
    return case(AttentionWithContext(), rand(BATCH, 4, 3, seed=43))


@layer_case("attention_with_context_mask_weights")
def _():
    return case(AttentionWithContext(return_attention=True), rand(BATCH, 4, 3, seed=44),
                mask=_KEYS_ONE_SAMPLE_EMPTY)


@layer_case("attention_with_context_article")
def _():
    return case(AttentionWithContext(context=False), rand(BATCH, 4, 3, seed=45))


@layer_case("attention_with_context_article_mask_weights")
def _():
    return case(AttentionWithContext(context=False, return_attention=True), rand(BATCH, 4, 3, seed=46),
                mask=_KEYS_PADDED)


@layer_case("attention_with_context_no_bias")
def _():
    return case(AttentionWithContext(use_bias=False), rand(BATCH, 4, 3, seed=47), mask=_KEYS_PADDED)


@layer_case("attention_pooling")
def _():
    return case(AttentionPooling(), rand(BATCH, 4, 3, seed=48))


@layer_case("attention_pooling_mask_weights")
def _():
    return case(AttentionPooling(return_attention=True), rand(BATCH, 4, 3, seed=49), mask=_KEYS_PADDED)


@layer_case("attention_pooling_bias_mask")
def _():
    return case(AttentionPooling(use_bias=True), rand(BATCH, 4, 3, seed=50), mask=_KEYS_ONE_SAMPLE_EMPTY)


# ---------------------------------------------------------------------------
# Vision: Conv2D, pooling, SqueezeExcite, SpatialTransformer (appended section)
# ---------------------------------------------------------------------------
from minattn.layers import (AveragePooling2D, Conv2D, GlobalAveragePooling1D,  # noqa: E402
                            GlobalAveragePooling2D, MaxPooling2D, SpatialTransformer, SqueezeExcite)


def _image(height=5, width=5, channels=2, seed=60, batch=2):
    return rand(batch, height, width, channels, seed=seed)


@layer_case("conv2d_valid")
def _():
    return case(Conv2D(3, 3), _image())


@layer_case("conv2d_same_stride2_odd")
def _():
    return case(Conv2D(2, (3, 2), strides=2, padding="same", activation="tanh"), _image(5, 7, seed=61))


@layer_case("conv2d_valid_strides_no_bias")
def _():
    return case(Conv2D(2, 2, strides=(2, 1), use_bias=False), _image(5, 4, seed=62))


@layer_case("max_pooling2d")
def _():
    return case(MaxPooling2D(2), _image(4, 4, seed=63))          # distinct values: no ties


@layer_case("max_pooling2d_same_overlapping")
def _():
    return case(MaxPooling2D(3, strides=2, padding="same"), _image(5, 4, seed=64))


@layer_case("average_pooling2d")
def _():
    return case(AveragePooling2D(2, strides=1), _image(3, 4, seed=65))


@layer_case("average_pooling2d_same")
def _():
    return case(AveragePooling2D((2, 3), strides=2, padding="same"), _image(5, 5, seed=66))


@layer_case("global_average_pooling2d")
def _():
    return case(GlobalAveragePooling2D(), _image(3, 4, seed=67))


@layer_case("global_average_pooling1d")
def _():
    return case(GlobalAveragePooling1D(), rand(BATCH, 4, 3, seed=68))


@layer_case("global_average_pooling1d_mask")
def _():
    return case(GlobalAveragePooling1D(), rand(BATCH, 4, 3, seed=69), mask=_KEYS_ONE_SAMPLE_EMPTY)


# SE: the relu6 / hard_swish / hard_sigmoid pre-activations of these seeded
# cases are away from 0, 6 and +-3 (tests/layers/test_vision.py checks it).
@layer_case("squeeze_excite_hard_swish")
def _():
    return case(SqueezeExcite(2), _image(3, 3, channels=4, seed=70))


@layer_case("squeeze_excite_hard_sigmoid_weights")
def _():
    return case(SqueezeExcite(2, gate="hard_sigmoid", return_weights=True), _image(3, 3, channels=4, seed=71))


# STN: the weights get nested_case's seeded perturbation, so theta is a generic
# transform and no sampling point sits on an integer pixel coordinate, where
# bilinear sampling has a kink (tests/layers/test_vision.py checks the distance).
@layer_case("spatial_transformer_dense")
def _():
    return nested_case(SpatialTransformer(3, output_size=(3, 4)), _image(4, 5, channels=2, seed=72))


@layer_case("spatial_transformer_conv_theta")
def _():
    stn = SpatialTransformer([Conv2D(2, 2, activation="tanh"), AveragePooling2D(2)], return_theta=True)
    return nested_case(stn, _image(5, 5, channels=1, seed=73), seed=1)


# ---------------------------------------------------------------------------
# Encoder-decoder: AttentionDecoder (minattn/layers/decoder.py) (appended section)
# Inputs [decoder_inputs (3, Ty=3, E=2), encoder_outputs (3, Tx=5, dv=4), h0, c0 (3, 4)],
# scaled by 0.5 so every LSTM gate stays in the smooth middle of the sigmoid.
# The "hard" alignment is not here: its straight-through gradient is, by design,
# not the derivative of its forward pass (tests/test_seq2seq.py checks it).
# ---------------------------------------------------------------------------
from minattn.layers import AttentionDecoder  # noqa: E402

_SOURCE_PADDED = np.array([[True, True, True, True, True],
                           [True, True, True, False, False],       # padded at the end
                           [True, True, True, True, False]])


def _decoder_inputs(units=4, dv=4):
    return [rand(BATCH, 3, 2, seed=60, scale=0.5), rand(BATCH, 5, dv, seed=61, scale=0.5),
            rand(BATCH, units, seed=62, scale=0.5), rand(BATCH, units, seed=63, scale=0.5)]


def _decoder_mask():
    return [None, _SOURCE_PADDED, None, None]


@layer_case("attention_decoder_additive_mask")
def _():
    return case(AttentionDecoder(4, 6, score="additive", return_attention=True), _decoder_inputs(),
                mask=_decoder_mask())


@layer_case("attention_decoder_dot")
def _():
    return case(AttentionDecoder(4, 6, score="dot"), _decoder_inputs())


@layer_case("attention_decoder_general_no_state")
def _():
    return case(AttentionDecoder(4, 6, score="general"), _decoder_inputs(dv=3)[:2], mask=[None, _SOURCE_PADDED])


@layer_case("attention_decoder_concat_mask")
def _():
    return case(AttentionDecoder(4, 6, score="concat"), _decoder_inputs(dv=3), mask=_decoder_mask())


@layer_case("attention_decoder_local_p_mask")
def _():
    return case(AttentionDecoder(4, 6, attention="local_p", window=1, return_attention=True),
                _decoder_inputs(), mask=_decoder_mask())


@layer_case("attention_decoder_scaled_dot_local_p")
def _():
    return case(AttentionDecoder(4, 6, score="scaled_dot", attention="local_p", window=2), _decoder_inputs())


# ---------------------------------------------------------------------------
# The Transformer (minattn/layers/normalization.py, position.py, transformer.py) (appended section)
# Block inputs are scaled by 0.5; relu cases are checked off relu's kink by
# test_layer_case_pre_activations_stay_off_the_kinks like every relu layer.
# ---------------------------------------------------------------------------
from minattn.layers import (LayerNormalization, SinePositionEncoding,  # noqa: E402
                            TokenAndPositionEmbedding, TransformerDecoder, TransformerEncoder)

_STEPS_PADDED = np.array([[True, True, True, True],
                          [True, True, False, False],
                          [True, True, True, False]])
_SOURCE_STEPS_PADDED = np.array([[True, True, True], [True, False, False], [True, True, False]])


def _tokens(seed, time=4, features=4):
    return rand(BATCH, time, features, seed=seed, scale=0.5)


@layer_case("layer_normalization")
def _():
    return case(LayerNormalization(), rand(BATCH, 3, 4, seed=80))


@layer_case("layer_normalization_two_axes_scale_only")
def _():
    return case(LayerNormalization(axis=(1, 2), center=False, epsilon=1e-5), rand(BATCH, 3, 4, seed=81))


@layer_case("multi_head_dropout_training")
def _():
    x = rand(BATCH, 4, 4, seed=82)
    return case(MultiHeadAttention(2, 2, dropout=0.4), [x, x], training=True, rng=5)


@layer_case("sine_position_encoding")
def _():
    return case(SinePositionEncoding(), rand(BATCH, 4, 6, seed=83))


@layer_case("token_and_position_embedding_mask_zero")
def _():
    ids = np.array([[1, 4, 4, 0], [2, 2, 3, 1], [3, 0, 0, 0]])       # repeats: gradients add up
    return nested_case(TokenAndPositionEmbedding(5, 6, 3, mask_zero=True), ids, wrt_inputs=False)


@layer_case("transformer_encoder_post_norm_mask")
def _():
    return nested_case(TransformerEncoder(6, 2), _tokens(84), mask=_STEPS_PADDED)


@layer_case("transformer_encoder_pre_norm_gelu_mask")
def _():
    return nested_case(TransformerEncoder(5, 2, activation="gelu", normalize_first=True), _tokens(85),
                       mask=_STEPS_PADDED)


@layer_case("transformer_encoder_dropout_training")
def _():
    return nested_case(TransformerEncoder(6, 2, dropout=0.3, activation="tanh"), _tokens(86),
                       training=True, rng=3)


@layer_case("transformer_decoder_causal_mask")
def _():
    return nested_case(TransformerDecoder(6, 2), _tokens(87), mask=_STEPS_PADDED)


@layer_case("transformer_decoder_cross_masks")
def _():
    return nested_case(TransformerDecoder(5, 2, activation="gelu"),
                       [_tokens(88), rand(BATCH, 3, 5, seed=89, scale=0.5)],
                       mask=[_STEPS_PADDED, _SOURCE_STEPS_PADDED])


@layer_case("transformer_decoder_cross_pre_norm_dropout_training")
def _():
    return nested_case(TransformerDecoder(6, 2, dropout=0.3, normalize_first=True, activation="tanh"),
                       [_tokens(90), rand(BATCH, 3, 4, seed=91, scale=0.5)],
                       mask=[None, _SOURCE_STEPS_PADDED], training=True, rng=4)
