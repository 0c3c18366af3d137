"""Training throughput of the articles' four models (E1-E4) and the three Transformers in minattn, beside PyTorch.

Each model is built exactly as its article writes it (see
docs/articles/), compiled with ``Adam()`` in float32, and trained with
``model.fit`` -- the real training path: by default the one fast step
(``minattn.fast.step.FastStep`` on one flat weight buffer: each layer's
record -- its hand-written backward called directly -- and autograd for each
layer without one, e.g. the GPT's attention blocks; then the optimizer's
``update``), with ``--traced`` the readable one (``training.ReadableSteps``), batch after
batch. One warm-up ``fit`` runs first; then ``fit`` runs on exactly
``--batches`` batches, ``--repeats`` times, and the median time is reported.

If PyTorch is installed (it is optional, never a dependency of minattn), the
same run trains the same four models in PyTorch (benchmarks/torch_models.py:
a plain zero_grad / forward / loss / backward / step loop over the same NumPy
data, starting from minattn's initial weights). Before timing, the script
checks that both frameworks give the same outputs, loss and gradients, on
float64 copies of both models (``check_same_model`` says why). The
timed runs alternate -- minattn, torch, minattn, torch, ... -- so both see the
same machine load, and the table shows the ratio of the medians.

If JAX is installed (optional too: ``pip install jax``, the CPU build), the
run also trains the four models as pure JAX functions (benchmarks/jax_models.py:
the layers and Keras's Adam written with ``jax.numpy``, one ``jax.jit`` of the
whole step -- forward, loss, gradient, update), again from minattn's initial
weights and checked against minattn on the first batch before timing. JAX is
the compiled anchor: how far minattn is from a compiler, in the same run. Its
first call compiles; that happens in the warm-up, never in a timed run. The
timed runs alternate minattn, torch, jax.

    python benchmarks/bench_train.py                      # all four, 300 batches each
    python benchmarks/bench_train.py --only E1,E3 --batches 100
    python benchmarks/bench_train.py --no-torch           # minattn (and JAX if installed)
    python benchmarks/bench_train.py --no-torch --no-jax  # minattn only (reference columns)
    python benchmarks/bench_train.py --json bench.json    # also save the numbers
    python benchmarks/bench_train.py --only GPT --batches 50
    python benchmarks/bench_train.py --only GPT,DATES,TEXT --batches 20 --no-memory
    python benchmarks/bench_train.py --default-threads    # no thread count set anywhere

GPT is demos/char_gpt.py's model (``minattn.transformers.build_gpt``:
pre-norm TransformerDecoder blocks, causal self-attention) at the demo's sizes
and batch -- read from the demo's constants by benchmarks/char_gpt_sizes.py,
so the benchmark follows the demo -- on random ids over its corpus's
vocabulary; PyTorch's is ``nn.TransformerEncoderLayer(norm_first=True)``
blocks with a causal mask, the same maths, loaded with minattn's initial weights. DATES is the dates Transformer
(``build_translator``, demos/translate_dates_transformer.py's sizes: a padded
source, cross-attention) and TEXT the review classifier (``build_classifier``:
padded words, dropout 0.1); their PyTorch twins are in
benchmarks/torch_transformers.py with the GPT's, checked like it.

Memory: for each experiment and framework a fresh Python process (this script
with ``--memory-child``) trains ``MEMORY_BATCHES`` batches and reports its
resident memory before training and its peak (VmHWM, else ``ru_maxrss``) -- both include
the interpreter, NumPy, autograd and minattn (the data comes from
minattn.datasets), plus PyTorch or JAX in their processes (the jax process
compiles its step during those batches, so its peak includes XLA's compiler). For minattn it also
reports the peak of the NumPy/Python allocations made during one ``fit``
(``tracemalloc``), i.e. the training working set without the libraries.
``--no-memory`` skips this.

BLAS threads: these matrices are tiny (at most 64 x 256), so a second BLAS
thread only adds synchronisation -- and on a busy 2-core machine it made E2's
step 10x slower (the backward pass of every ``dot`` multiplies by a transposed
matrix, which OpenBLAS splits over threads). The script therefore asks for one
thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS is already set, and gives
PyTorch the same number of intra-op threads (``torch.set_num_threads``); run
``OPENBLAS_NUM_THREADS=2 python benchmarks/bench_train.py`` to compare.
With one BLAS thread, XLA's CPU code is asked for one thread too
(``--xla_cpu_multi_thread_eigen=false`` is added to XLA_FLAGS unless that
flag is already there). JAX has no switch for the size of its runtime's own
thread pool, which follows the CPUs the process may use: ``taskset -c 0``
pins everything to one core. The cpu/wall column shows what each framework used.
``--default-threads`` sets none of this: NumPy, PyTorch and XLA run as a user
who sets nothing gets them (minattn's ``fit`` still asks OpenBLAS for one
thread itself while it trains). Each timed run starts after a 0.5 s pause
(``settle``), so worker threads the previous framework left spinning are idle.
"""
import argparse
import copy
import importlib.util
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from importlib import metadata

BLAS_THREADS = "1"      # set before NumPy loads (if this script loads it first), unless already set
DEFAULT_THREADS = "--default-threads" in sys.argv      # read before argparse: NumPy loads below
if not DEFAULT_THREADS:
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, BLAS_THREADS)

import autograd.numpy as anp
import numpy as np
from autograd import value_and_grad

import minattn
import minattn.losses
from minattn import Input, Model
from minattn.datasets import abs_difference, planted_column, planted_time_step
from minattn.experiments.results import provenance, started
from minattn.layers import (LSTM, Activation, Dense, Flatten, Lambda, Multiply, Permute,
                            RepeatVector)
from minattn.optimizers import Adam
from minattn.pytree import tree_leaves, tree_map
from minattn.seq2seq import masked_sparse_categorical_crossentropy
from minattn.transformers import build_classifier, build_gpt, build_translator

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)          # its sibling modules: char_gpt_sizes, torch_models, jax_models
from char_gpt_sizes import char_gpt_sizes, char_gpt_vocabulary  # noqa: E402  (benchmarks/ on the path)

BATCHES = 300           # timed batches per run
WARMUP = 30             # batches of the untimed warm-up (each framework)
REPEATS = 3             # timed runs per experiment and framework; the median is reported
MEMORY_BATCHES = 50     # batches trained by each memory-measuring child process
SEED = 0
FLOATX = "float32"
TIME_STEPS, DIM = 10, 10
SETTLE_SECONDS = 0.5    # pause before each timed run (see settle)
CHECK_TOLERANCE = 1e-4  # max |difference| allowed between minattn and jax (float32) outputs, loss, gradients
CHECK_TOLERANCE_FLOAT64 = 1e-9   # the same between minattn and torch, both in float64 (see check_same_model)
XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false"   # XLA_FLAGS entry when one BLAS thread is asked

GPT = char_gpt_sizes()  # demos/char_gpt.py's GPT: length, dim, heads, layers, activation, batch_size
BATCH_SIZE = {"E1": 32, "E2": 32, "E3": 64, "E4": 32, "GPT": GPT["batch_size"], "DATES": 64, "TEXT": 32}
LOSS = {"E1": "mse", "E2": "mse", "E3": "binary_crossentropy", "E4": "binary_crossentropy",
        "GPT": masked_sparse_categorical_crossentropy, "DATES": masked_sparse_categorical_crossentropy,
        "TEXT": "binary_crossentropy"}
# the Transformers' sizes, as benchmarks/torch_transformers.py builds them
DATES_SOURCE_VOCAB, DATES_TARGET_VOCAB, DATES_SOURCE_LENGTH, DATES_TARGET_LENGTH = 62, 14, 30, 11
TEXT_VOCAB, TEXT_LENGTH, TEXT_SHORTEST = 1000, 60, 8
# Reference throughputs (samples/s) of the same models, shown when torch is not measured:
# PyTorch on the CPU and a plain hand-written autograd script, measured earlier on this machine.
TORCH_CPU = {"E1": 66_000, "E2": 15_700, "E3": 27_700, "E4": 62_000}
PLAIN_AUTOGRAD = {"E2": 4_900, "E3": 9_300}


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


# -- the data ------------------------------------------------------------------------
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


# -- setting up ------------------------------------------------------------------------
def import_torch_models(threads):
    """benchmarks/torch_models.py with ``threads`` intra-op threads, or None without PyTorch."""
    try:
        import torch  # noqa: F401  (only to see whether it is installed)
    except ImportError:
        return None
    import torch_models
    if threads is not None:
        torch_models.set_num_threads(threads)
    return torch_models


def import_jax_models(threads):
    """benchmarks/jax_models.py, XLA asked for one thread when ``threads`` is 1; None without JAX.

    XLA reads XLA_FLAGS when JAX starts its backend, so the flag is set before JAX loads.
    """
    if importlib.util.find_spec("jax") is None:
        return None
    flags = os.environ.get("XLA_FLAGS", "")
    if threads == 1 and "xla_cpu_multi_thread_eigen" not in flags:
        os.environ["XLA_FLAGS"] = f"{flags} {XLA_ONE_THREAD}".strip()
    import jax_models
    return jax_models


def blas_threads():
    """BLAS threads NumPy uses (set at the top of this file unless given); torch gets as many.

    None with ``--default-threads``: nothing is set, each library runs as a user gets it.
    """
    return None if DEFAULT_THREADS else int(os.environ["OPENBLAS_NUM_THREADS"])


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


def minattn_reference(model, name, xb, yb, params=None):
    """(outputs, loss, per-layer gradient dicts) of the minattn model on one batch.

    Only public pieces -- ``Model.apply``, ``minattn.losses`` and autograd --
    so the checks do not depend on how ``fit`` is implemented. ``params``
    (default the model's) may be a float64 copy: ``apply`` computes in their dtype.
    """
    params = model.params if params is None else params
    loss_fn = minattn.losses.get(LOSS[name])
    loss, grads = value_and_grad(lambda p: anp.mean(loss_fn(yb, model.apply(p, *as_inputs(xb)))))(params)
    return model.apply(params, *as_inputs(xb)), float(loss), list(grads.values())


def largest_difference(name, framework, ours, theirs, tolerance=CHECK_TOLERANCE):
    """Largest |difference| of two (outputs, loss, gradients) triples; an error above ``tolerance``."""
    (out_a, loss_a, grads_a), (out_b, loss_b, grads_b) = ours, theirs
    diffs = [np.max(np.abs(out_a - out_b)), abs(loss_a - loss_b)]
    for a, b in zip(grads_a, grads_b, strict=True):
        if a.keys() != b.keys():
            raise AssertionError(f"{name}: minattn weights {sorted(a)} but {framework} {sorted(b)}")
        diffs += [np.max(np.abs(a[k] - b[k])) for k in a]
    worst = float(max(diffs))
    if worst > tolerance:
        raise AssertionError(f"{name}: minattn and {framework} models differ by {worst:.3g} "
                             f"(> {tolerance}); the comparison would be meaningless")
    return worst


def in_float64(array):
    """``array`` as float64 if it holds floats (ids stay integers)."""
    return array.astype(np.float64) if array.dtype.kind == "f" else array


def check_same_model(tm, model, trainer, x, y):
    """Largest |difference| of outputs, loss and gradients between minattn and torch on one batch, in float64.

    Both sides are float64 copies of the timed models (same weights): in float32 a relu unit whose
    input lies within rounding of 0 may fall on either side in either framework and move a gradient
    by 1e-4 (the char GPT's feed-forward has 2 x 64 x 32 x 512 of them), so only float64 separates
    different maths from rounding (they agree to about 1e-15).
    """
    name = trainer.name
    xb, yb = [in_float64(a) for a in as_inputs(first(x, BATCH_SIZE[name]))], in_float64(y[:BATCH_SIZE[name]])
    torch_model = copy.deepcopy(trainer.model).double()
    torch_model.eval()                                  # no dropout: minattn_reference runs inference
    torch_out = torch_model(*[tm.torch.from_numpy(a) for a in xb])
    torch_loss = torch_model.loss(torch_out, tm.torch.from_numpy(yb))
    torch_loss.backward()
    nested = hasattr(torch_model, "minattn_view")
    torch_grads = tm.view_leaves(torch_model, grads=True) if nested else tm.get_weights(torch_model, grads=True)
    ours = minattn_reference(model, name, xb if len(xb) > 1 else xb[0], yb, tree_map(in_float64, model.params))
    if nested:                        # nested blocks: compare the gradients leaf by leaf, in Keras's order
        ours = ours[:2] + ([{"w": leaf} for grads in ours[2] for leaf in tree_leaves(grads)],)
        torch_grads = [{"w": leaf} for leaf in torch_grads]
    theirs = (torch_out.detach().numpy(), float(torch_loss.detach()), torch_grads)
    return largest_difference(name, "torch", ours, theirs, CHECK_TOLERANCE_FLOAT64)


def first(x, n):
    """The first ``n`` samples of ``x``, an array or a list of arrays (a model with several inputs)."""
    return [a[:n] for a in x] if isinstance(x, list) else x[:n]


def as_inputs(x):
    return x if isinstance(x, list) else [x]


def check_same_jax(jm, model, name, x, y):
    """Largest |difference| of outputs, loss and gradients between minattn and jax on one batch."""
    xb, yb = x[:BATCH_SIZE[name]], y[:BATCH_SIZE[name]]
    theirs = jm.outputs_loss_grads(name, list(model.params.values()), xb, yb)
    return largest_difference(name, "jax", minattn_reference(model, name, xb, yb), theirs)


# -- timing ----------------------------------------------------------------------------
def time_minattn(model, x, y, batch_size):
    """(wall seconds, cpu seconds, last loss) of one ``fit`` epoch over ``x``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    return time.perf_counter() - start, time.process_time() - start_cpu, history.history["loss"][-1]


def time_trainer(trainer, batches):
    """(wall seconds, cpu seconds, last loss) of ``batches`` torch or jax training steps."""
    start_cpu = time.process_time()
    seconds = trainer.run(batches)
    return seconds, time.process_time() - start_cpu, trainer.last_loss


def summarise(runs, samples, batches):
    """Median throughput of a list of (wall, cpu, loss) runs."""
    walls, cpus = [r[0] for r in runs], [r[1] for r in runs]
    seconds = float(np.median(walls))
    return {"seconds": seconds, "all_seconds": walls, "samples_per_s": samples / seconds,
            "ms_per_step": 1000.0 * seconds / batches,
            "cpu_over_wall": float(np.sum(cpus) / np.sum(walls)), "last_loss": runs[-1][2]}


def settle():
    """Pause before a timed run: worker threads that the previous framework left spinning
    (OpenMP's and XLA's wait actively for a while after their work) go idle first."""
    time.sleep(SETTLE_SECONDS)


def bench(name, batches, warmup, repeats, tm=None, jm=None):
    """Warm up, then time ``batches`` batches ``repeats`` times, alternating minattn, torch and jax."""
    batch_size = BATCH_SIZE[name]
    n_timed, n_warm = batches * batch_size, warmup * batch_size
    model, x, y = setup_minattn(name, max(n_timed, n_warm))
    trainer = setup_torch(tm, name, model, first(x, n_timed), y[:n_timed]) if tm else None
    check = check_same_model(tm, model, trainer, x, y) if tm else None
    jm = jm if name in JAX_MODELS else None
    jax_trainer = setup_jax(jm, name, model, x[:n_timed], y[:n_timed]) if jm else None
    jax_check = check_same_jax(jm, model, name, x, y) if jm else None
    if n_warm:
        model.fit(first(x, n_warm), y[:n_warm], batch_size=batch_size, epochs=1, verbose=0)
        if trainer:
            trainer.run(warmup)
    if jax_trainer:
        jax_trainer.run(max(warmup, 1))                 # the first call compiles: never timed
    ours, theirs, jax_runs = [], [], []
    for _ in range(repeats):
        settle()
        ours.append(time_minattn(model, first(x, n_timed), y[:n_timed], batch_size))
        if trainer:
            settle()
            theirs.append(time_trainer(trainer, batches))
        if jax_trainer:
            settle()
            jax_runs.append(time_trainer(jax_trainer, batches))
    result = {"experiment": name, "batch_size": batch_size, "batches": batches,
              "params": model.count_params(), "minattn": summarise(ours, n_timed, batches),
              "torch": summarise(theirs, n_timed, batches) if trainer else None,
              "torch_check_max_abs_diff": check,
              "jax": summarise(jax_runs, n_timed, batches) if jax_trainer else None,
              "jax_check_max_abs_diff": jax_check,
              "reference_torch_cpu_samples_per_s": TORCH_CPU.get(name),
              "reference_plain_autograd_samples_per_s": PLAIN_AUTOGRAD.get(name)}
    torch_rate = result["torch"]["samples_per_s"] if trainer else TORCH_CPU.get(name)
    result["ratio_minattn_over_torch"] = (result["minattn"]["samples_per_s"] / torch_rate
                                          if torch_rate else None)
    result["ratio_against"] = "torch measured in this run" if trainer else "reference torch figure"
    result["ratio_minattn_over_jax"] = (result["minattn"]["samples_per_s"] / result["jax"]["samples_per_s"]
                                        if jax_trainer else None)
    return result


# -- memory (one fresh process per experiment and framework) ----------------------------------
def peak_rss_mb():
    """Peak resident memory of this process so far, in MB.

    Linux's /proc VmHWM where available: ``ru_maxrss`` survives ``exec``, so
    a child started from a big parent would report the parent's peak.
    """
    kib = proc_status_kib("VmHWM")
    if kib is not None:
        return kib / 1024.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # KiB on Linux, bytes on macOS
    return peak / (1024.0 ** 2 if sys.platform == "darwin" else 1024.0)


def current_rss_mb():
    """Resident memory now, in MB (Linux /proc); the peak so far where /proc is missing."""
    kib = proc_status_kib("VmRSS")
    return kib / 1024.0 if kib is not None else peak_rss_mb()


def proc_status_kib(field):
    """A memory field of /proc/self/status in KiB, or None off Linux."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def memory_child(framework, name, batches):
    """In a fresh process: train ``batches`` batches; return its memory figures (MB)."""
    batch_size = BATCH_SIZE[name]
    minattn.set_floatx(FLOATX)
    tm = import_torch_models(blas_threads()) if framework == "torch" else None
    jm = import_jax_models(blas_threads()) if framework == "jax" else None
    model, x, y = setup_minattn(name, batches * batch_size)
    trainer = setup_torch(tm, name, model, x, y) if tm else setup_jax(jm, name, model, x, y) if jm else None
    before, peak_before = current_rss_mb(), peak_rss_mb()
    if trainer:
        trainer.run(batches)
    else:
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    out = {"rss_before_training_mb": before, "peak_rss_before_training_mb": peak_before,
           "peak_rss_mb": peak_rss_mb()}
    if not trainer:                       # after the peak is read: tracemalloc costs memory itself
        tracemalloc.start()
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
        out["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2.0 ** 20
        tracemalloc.stop()
    return out


def measure_memory(framework, name, batches=MEMORY_BATCHES):
    """Run ``memory_child`` in a fresh interpreter (same environment, so same threads)."""
    command = [sys.executable, os.path.abspath(__file__), "--memory-child", f"{framework}:{name}",
               "--batches", str(batches)] + ([] if minattn.fast_enabled() else ["--traced"]) + (
               ["--default-threads"] if DEFAULT_THREADS else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- reporting -------------------------------------------------------------------------------
def column(value, width, form):
    """``value`` formatted to ``width`` characters, '-' for None (a framework not measured)."""
    return f"{'-' if value is None else format(value, form):>{width}}"


def format_measured_table(results):
    """minattn beside the frameworks measured in this run, torch and jax ('-' for one not measured)."""
    header = (f"{'exp':<4} {'batch':>5} {'params':>7} {'minattn samples/s':>17} {'torch samples/s':>15} "
              f"{'jax samples/s':>13} {'minattn/torch':>13} {'minattn/jax':>11} {'cpu/wall m, t, j':>17}")
    lines = [header, "-" * len(header)]
    for r in results:
        runs = [r["minattn"], r["torch"], r["jax"]]                     # None: not measured
        rates = [column(run and run["samples_per_s"], width, ",.0f")
                 for run, width in zip(runs, (17, 15, 13))]
        torch_ratio = r["ratio_minattn_over_torch"] if r["torch"] else None   # not the reference figure
        loads = ", ".join(column(run and run["cpu_over_wall"], 0, ".2f") for run in runs)
        lines.append(f"{r['experiment']:<4} {r['batch_size']:>5} {r['params']:>7} {' '.join(rates)} "
                     f"{column(torch_ratio, 13, '.2f')} {column(r['ratio_minattn_over_jax'], 11, '.2f')} "
                     f"{loads:>17}")
    return "\n".join(lines)


def format_reference_table(results):
    header = (f"{'exp':<4} {'batch':>5} {'params':>7} {'samples/s':>10} {'ms/step':>8} "
              f"{'cpu/wall':>8} {'torch cpu':>10} {'autograd':>9} {'minattn/torch':>13}")
    lines = [header, "-" * len(header)]
    for r in results:
        ours, plain = r["minattn"], r["reference_plain_autograd_samples_per_s"]
        torch_cpu, ratio = r["reference_torch_cpu_samples_per_s"], r["ratio_minattn_over_torch"]
        lines.append(f"{r['experiment']:<4} {r['batch_size']:>5} {r['params']:>7} "
                     f"{ours['samples_per_s']:>10,.0f} {ours['ms_per_step']:>8.2f} "
                     f"{ours['cpu_over_wall']:>8.2f} {(f'{torch_cpu:,}' if torch_cpu else '-'):>10} "
                     f"{(f'{plain:,}' if plain else '-'):>9} {(f'{ratio:.2f}' if ratio else '-'):>13}")
    return "\n".join(lines)


def format_memory_table(results):
    frameworks = [f for f in ("minattn", "torch", "jax") if any(f in r["memory"] for r in results)]
    group = f"{'':<4} " + " ".join(f"{f + ' process (MB)':^23}" for f in frameworks)
    header = f"{'exp':<4} " + " ".join(f"{'before':>7} {'peak':>7} {'+train':>7}" for _ in frameworks)
    group, header = group + f" {'minattn fit':>13}", header + f" {'numpy (MB)':>13}"
    lines = [group, header, "-" * len(header)]
    for r in results:
        cells = []
        for f in frameworks:
            m = r["memory"].get(f)
            if m is None:                                   # not measured for this model (jax: E1-E4 only)
                cells.append(f"{'-':>23}")
                continue
            cells.append(f"{m['rss_before_training_mb']:>7.0f} {m['peak_rss_mb']:>7.0f} "
                         f"{m['peak_rss_mb'] - m['rss_before_training_mb']:>+7.0f}")
        lines.append(f"{r['experiment']:<4} {' '.join(cells)} "
                     f"{r['memory']['minattn']['tracemalloc_peak_mb']:>13.2f}")
    return "\n".join(lines)


# -- the command line ------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=BATCHES, help="timed batches per run")
    parser.add_argument("--warmup", type=int, default=WARMUP, help="untimed warm-up batches")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs (median reported)")
    parser.add_argument("--only", default=",".join(EXPERIMENTS),
                        help="comma-separated experiments, e.g. E1,E3")
    parser.add_argument("--no-torch", action="store_true",
                        help="do not measure PyTorch even if it is installed")
    parser.add_argument("--no-jax", action="store_true",
                        help="do not measure JAX even if it is installed")
    parser.add_argument("--no-memory", action="store_true",
                        help="skip the per-framework memory measurement (fresh processes)")
    parser.add_argument("--traced", action="store_true",
                        help="time minattn's traced layers (the code to read) instead of the fused ones")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--default-threads", action="store_true",
                        help="set no thread counts: BLAS, torch and XLA as a user gets them "
                             "(minattn's fit still asks OpenBLAS for one thread itself)")
    parser.add_argument("--memory-child", metavar="FRAMEWORK:EXP", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.names = [s.strip().upper() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.names if s not in EXPERIMENTS]
    if unknown or not args.names:
        parser.error(f"--only: unknown experiment(s) {unknown}; choose from {list(EXPERIMENTS)}")
    if args.batches < 1 or args.warmup < 0 or args.repeats < 1:
        parser.error("--batches and --repeats must be >= 1, --warmup >= 0")
    return args


def describe_environment(tm, no_torch, jm=None, no_jax=False):
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "autograd": metadata.version("autograd"), "minattn": minattn.__version__,
           "floatx": FLOATX, "layers": "fused" if minattn.fast_enabled() else "traced",
           "cpus": os.cpu_count(), "blas_threads": blas_threads()}
    if tm:
        env.update(torch=tm.torch.__version__, torch_threads=tm.torch.get_num_threads())
    else:
        env["torch"] = "not measured (--no-torch)" if no_torch else "not installed"
    if jm:
        env.update(jax=jm.jax.__version__, jax_backend=jm.jax.default_backend(),
                   xla_flags=os.environ.get("XLA_FLAGS", ""))
    else:
        env["jax"] = "not measured (--no-jax)" if no_jax else "not installed"
    return env


def main(argv=None):
    args = parse_args(argv)
    started()                                               # the commit (and a dirty tree) as the run begins
    minattn.set_fast(not args.traced)
    if args.memory_child:                                   # internal: see measure_memory
        framework, name = args.memory_child.split(":")
        print(json.dumps(memory_child(framework, name, args.batches)))
        return None

    minattn.set_floatx(FLOATX)
    tm = None if args.no_torch else import_torch_models(blas_threads())
    jm = None if args.no_jax else import_jax_models(blas_threads())
    env = describe_environment(tm, args.no_torch, jm, args.no_jax)
    print("training throughput -- " + ", ".join(f"{k} {v}" for k, v in env.items()))
    threads = ("default thread counts (none set; minattn's fit asks OpenBLAS for one thread)"
               if DEFAULT_THREADS else f"{env['blas_threads']} BLAS thread(s)") + (
        f", torch threads {env['torch_threads']}" if tm else "") + (
        f", XLA_FLAGS={env['xla_flags']!r}" if jm else "")
    order = ", ".join(["minattn"] + (["torch"] if tm else []) + (["jax"] if jm else []))
    print(f"{args.batches} timed batches after {args.warmup} warm-up batches, median of "
          f"{args.repeats} runs{f' (alternating {order})' if tm or jm else ''}; {threads}; "
          f"Adam, {FLOATX}\n")

    results = [bench(name, args.batches, args.warmup, args.repeats, tm, jm) for name in args.names]
    print(format_measured_table(results) if tm or jm else format_reference_table(results))
    if tm or jm:
        checks = {f: max((r[f"{f}_check_max_abs_diff"] for r in results if r[f]), default=None)
                  for f in ("torch", "jax")}
        worst = "; ".join(f"{f}, in {kind}: max |diff| {checks[f]:.1e}"
                          for f, kind in (("torch", "float64"), ("jax", "float32")) if checks[f] is not None)
        print(f"\nminattn/torch, minattn/jax > 1 mean minattn is faster. All frameworks compute the same "
              f"outputs, loss and gradients from the same initial weights ({worst});\n"
              "minattn runs model.fit (shuffles, per-batch loss/metrics), torch a bare loop, jax one "
              "jax.jit call per step (compiled in the warm-up).")
    else:
        print("\ntorch cpu / autograd: reference throughputs of the same models in PyTorch (CPU) "
              "and in plain autograd, measured earlier on this machine, samples/s.")
    print("cpu/wall well below 1 means other processes took the CPU (rerun).")

    if not args.no_memory:
        frameworks = ["minattn"] + (["torch"] if tm else []) + (["jax"] if jm else [])
        for r in results:                                   # jax: the models jax_models.py has
            r["memory"] = {f: measure_memory(f, r["experiment"]) for f in frameworks if r[f] or f == "minattn"}
        print(f"\nmemory: each framework trains {MEMORY_BATCHES} batches in a fresh process holding the "
              f"interpreter, NumPy, autograd, minattn,\nthe data and the model"
              f"{' (and torch or jax, in their processes; jax compiles during training)' if tm or jm else ''}"
              ": resident memory before training, "
              "peak (VmHWM), and their difference.\nLast column: peak of minattn's NumPy/Python "
              "allocations during one fit (tracemalloc) -- the training working set without the libraries.\n")
        print(format_memory_table(results))
    peak = peak_rss_mb()
    print(f"\npeak memory of this process (VmHWM, everything above together): {peak:.0f} MB")

    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"provenance": provenance(__file__, argv), "env": env, "batches": args.batches, "warmup": args.warmup,
                       "repeats": args.repeats, "memory_batches": MEMORY_BATCHES,
                       "check_tolerance": {"torch_float64": CHECK_TOLERANCE_FLOAT64, "jax_float32": CHECK_TOLERANCE},
                       "peak_rss_mb": peak, "results": {r["experiment"]: r for r in results}}, handle, indent=2)
        print(f"results written to {args.json}")
    return results


if __name__ == "__main__":
    main()
