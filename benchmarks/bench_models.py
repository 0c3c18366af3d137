"""The seven models bench_train.py trains, their data, and how each framework's run is set up.

E1-E4 are the articles' four models, each built exactly as its article writes it (see
docs/articles/) and compiled with ``Adam()`` in float32, on the data of minattn.datasets.

GPT is demos/char_gpt.py's model (``minattn.transformers.build_gpt``:
pre-norm TransformerDecoder blocks, causal self-attention) at the demo's sizes
and batch -- read from the demo's constants by benchmarks/char_gpt_sizes.py,
so the benchmark follows the demo -- on random ids over its corpus's
vocabulary; PyTorch's is ``nn.TransformerEncoderLayer(norm_first=True)``
blocks with a causal mask, the same maths, loaded with minattn's initial weights. DATES is the dates Transformer
(``build_translator``, demos/translate_dates_transformer.py's sizes: a padded
source, cross-attention) and TEXT the review classifier (``build_classifier``:
padded words, dropout 0.1); their PyTorch twins are in
benchmarks/torch_transformers.py with the GPT's.

``setup_minattn`` builds one (seeded) with its data; ``setup_torch`` and ``setup_jax``
give PyTorch's and JAX's trainers (benchmarks/torch_models.py, jax_models.py) the same
data and minattn's initial weights.
"""
import bench_threads  # noqa: F401  (sets the BLAS thread count before NumPy loads)

import autograd.numpy as anp
import numpy as np

import minattn
from minattn import Input, Model
from minattn.datasets import abs_difference, planted_column, planted_time_step
from minattn.layers import (LSTM, Activation, Dense, Flatten, Lambda, Multiply, Permute,
                            RepeatVector)
from minattn.optimizers import Adam
from minattn.pytree import tree_leaves
from minattn.seq2seq import masked_sparse_categorical_crossentropy
from minattn.transformers import build_classifier, build_gpt, build_translator

from char_gpt_sizes import char_gpt_sizes, char_gpt_vocabulary

SEED = 0
FLOATX = "float32"
TIME_STEPS, DIM = 10, 10
GPT = char_gpt_sizes()  # demos/char_gpt.py's GPT: length, dim, heads, layers, activation, batch_size
BATCH_SIZE = {"E1": 32, "E2": 32, "E3": 64, "E4": 32, "GPT": GPT["batch_size"], "DATES": 64, "TEXT": 32}
LOSS = {"E1": "mse", "E2": "mse", "E3": "binary_crossentropy", "E4": "binary_crossentropy",
        "GPT": masked_sparse_categorical_crossentropy, "DATES": masked_sparse_categorical_crossentropy,
        "TEXT": "binary_crossentropy"}
# the Transformers' sizes, as benchmarks/torch_transformers.py builds them
DATES_SOURCE_VOCAB, DATES_TARGET_VOCAB, DATES_SOURCE_LENGTH, DATES_TARGET_LENGTH = 62, 14, 30, 11
TEXT_VOCAB, TEXT_LENGTH, TEXT_SHORTEST = 1000, 60, 8


# -- the models, as the articles write them ------------------------------------
def build_e1():
    """E1 (seed 000): Dense softmax attention over the 10 inputs, then a small MLP; mse."""
    inputs = Input((DIM,))
    attention_probs = Dense(DIM, activation="softmax", name="attention_vec")(inputs)
    attention_mul = Multiply()([inputs, attention_probs])
    hidden = Dense(10, activation="sigmoid")(attention_mul)
    output = Dense(1, activation="sigmoid")(hidden)
    model = Model(inputs, output)
    model.compile(optimizer=Adam(), loss=LOSS["E1"])
    return model


def build_e2():
    """E2 (seed 000): one attention weight per time step, shared by all features, before an LSTM; mse."""
    inputs = Input((TIME_STEPS, DIM))
    a = Permute((2, 1))(inputs)                                           # (DIM, TIME_STEPS)
    a = Dense(TIME_STEPS, activation="softmax")(a)                        # softmax over time
    a = Lambda(lambda x: anp.mean(x, axis=1), name="dim_reduction")(a)    # (TIME_STEPS,)
    a = RepeatVector(DIM)(a)                                              # (DIM, TIME_STEPS)
    a_probs = Permute((2, 1), name="attention_vec")(a)                    # (TIME_STEPS, DIM)
    weighted = Multiply()([inputs, a_probs])
    out = LSTM(64, return_sequences=False)(weighted)
    out = Dense(1, activation="sigmoid")(out)
    model = Model(inputs, out)
    model.compile(optimizer=Adam(), loss=LOSS["E2"])
    return model


def build_e3():
    """E3 (seed 002): LSTM(32) then attention_3d_block over time; binary cross-entropy."""
    inputs = Input((TIME_STEPS, 2))
    lstm_out = LSTM(32, return_sequences=True)(inputs)                    # (TIME_STEPS, 32)
    a = Permute((2, 1))(lstm_out)                                         # (32, TIME_STEPS)
    a = Dense(TIME_STEPS, activation="softmax")(a)                        # softmax over time
    a_probs = Permute((2, 1), name="attention_vec")(a)                    # (TIME_STEPS, 32)
    mul = Multiply(name="attention_mul")([lstm_out, a_probs])
    out = Dense(1, activation="sigmoid")(Flatten()(mul))
    model = Model(inputs, out)
    model.compile(optimizer=Adam(), loss=LOSS["E3"], metrics=["accuracy"])
    return model


def build_e4():
    """E4 (seed 004): two stacked Dense attention blocks, 369 weights; binary cross-entropy.

    The article prints only the summary; dense_2's activation is not shown,
    so it is left linear here (it does not change the cost of a step).
    """
    inputs = Input((4,))
    a = Dense(4, use_bias=False)(inputs)                                  # 16 weights
    a = Activation("softmax", name="attention_vec")(a)
    mul = Multiply()([inputs, a])
    h = Dense(16)(mul)                                                    # 80 weights
    a = Dense(16, use_bias=False)(h)                                      # 256 weights
    a = Activation("softmax", name="attention_vec1")(a)
    mul = Multiply()([h, a])
    out = Dense(1, activation="sigmoid")(mul)                             # 17 weights
    model = Model(inputs, out)
    assert model.count_params() == 369, model.count_params()
    model.compile(optimizer=Adam(), loss=LOSS["E4"], metrics=["accuracy"])
    return model


# -- the Transformers and the data -------------------------------------------------
def build_gpt_bench():
    """The character GPT at demos/char_gpt.py's sizes (``char_gpt_sizes``); masked cross-entropy."""
    model, _ = build_gpt(char_gpt_vocabulary(), GPT["length"], GPT["dim"], GPT["heads"], GPT["layers"],
                         activation=GPT["activation"])
    model.compile(optimizer=Adam(), loss=LOSS["GPT"])
    return model


def data_gpt(n):
    """Random ids 1..vocabulary-1 (0 is padding) and the same windows shifted by one: (n, length) each."""
    ids = np.random.default_rng(SEED).integers(1, char_gpt_vocabulary(), size=(n, GPT["length"] + 1))
    return ids[:, :-1], ids[:, 1:]


def build_dates_bench():
    """The dates Transformer (demos/translate_dates_transformer.py's sizes): one post-norm encoder
    block over the padded source, one decoder block with cross-attention; masked cross-entropy."""
    model, _ = build_translator(DATES_SOURCE_VOCAB, DATES_TARGET_VOCAB, DATES_SOURCE_LENGTH, DATES_TARGET_LENGTH)
    model.compile(optimizer=Adam(), loss=LOSS["DATES"])
    return model


def padded_ids(rng, n, length, vocabulary):
    """Random ids 1..vocabulary-1, each row cut at a random length >= TEXT_SHORTEST, zeros after."""
    ids = rng.integers(1, vocabulary, size=(n, length))
    ids[np.arange(length) >= rng.integers(TEXT_SHORTEST, length + 1, size=(n, 1))] = 0
    return ids


def data_dates(n):
    """Padded random sources (n, 30), targets (n, 11) and the decoder input (start id, then the targets)."""
    rng = np.random.default_rng(SEED)
    source = padded_ids(rng, n, DATES_SOURCE_LENGTH, DATES_SOURCE_VOCAB)
    target = rng.integers(3, DATES_TARGET_VOCAB, size=(n, DATES_TARGET_LENGTH))     # 0-2: pad, start, end
    decoder_in = np.concatenate([np.ones((n, 1), target.dtype), target[:, :-1]], axis=1)
    return [source, decoder_in], target


def build_text_bench():
    """The Transformer text classifier (demos/text_attention.py's head): binary cross-entropy."""
    model, _ = build_classifier(TEXT_VOCAB, TEXT_LENGTH)
    model.compile(optimizer=Adam(), loss=LOSS["TEXT"])
    return model


def data_text(n):
    """Padded random reviews (n, 60) and random 0/1 labels (n, 1) float32."""
    rng = np.random.default_rng(SEED)
    return padded_ids(rng, n, TEXT_LENGTH, TEXT_VOCAB), rng.integers(0, 2, size=(n, 1)).astype(FLOATX)


def data_e1(n):
    x, _, y = abs_difference(n)
    return x, y


def data_e2(n):
    _, x_one_hot, y = abs_difference(n)
    return x_one_hot, y


def data_e3(n):
    return planted_time_step(n, time_steps=TIME_STEPS, input_dim=2, attention_column=2)


def data_e4(n):
    return planted_column(n, input_dim=4, attention_column=1)


EXPERIMENTS = {"E1": (build_e1, data_e1), "E2": (build_e2, data_e2),
               "E3": (build_e3, data_e3), "E4": (build_e4, data_e4), "GPT": (build_gpt_bench, data_gpt),
               "DATES": (build_dates_bench, data_dates), "TEXT": (build_text_bench, data_text)}
INTEGER_DATA = {"GPT", "DATES", "TEXT"}          # token ids stay integers
JAX_MODELS = {"E1", "E2", "E3", "E4"}            # benchmarks/jax_models.py has these


# -- one model and its data, in each framework ----------------------------------------------
def setup_minattn(name, n):
    """The minattn model of experiment ``name`` (seeded) and ``n`` float32 samples of its data."""
    build, data = EXPERIMENTS[name]
    minattn.set_random_seed(SEED)
    model = build()
    x, y = data(n)
    if name in INTEGER_DATA:
        return model, x, y
    return model, x.astype(FLOATX), y.astype(FLOATX)   # fit would cast; do it once here


def setup_torch(tm, name, model, x, y):
    """A torch Trainer on the same data, starting from the minattn model's initial weights."""
    trainer = tm.Trainer(name, x, y, BATCH_SIZE[name], seed=SEED)
    if hasattr(trainer.model, "minattn_view"):           # the Transformers: nested weights, leaf by leaf
        tm.set_view_weights(trainer.model, tree_leaves(model.params))
    else:
        tm.set_weights(trainer.model, list(model.params.values()))
    return trainer


def setup_jax(jm, name, model, x, y):
    """A jax Trainer on the same data, starting from the minattn model's initial weights."""
    return jm.Trainer(name, x, y, BATCH_SIZE[name], list(model.params.values()))


def first(x, n):
    """The first ``n`` samples of ``x``, an array or a list of arrays (a model with several inputs)."""
    return [a[:n] for a in x] if isinstance(x, list) else x[:n]


def as_inputs(x):
    """``x`` as a list of input arrays: a model with one input gets a list of one."""
    return x if isinstance(x, list) else [x]

