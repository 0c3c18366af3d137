"""Scale out: train in minattn, export to Keras 3, keep training data-parallel on JAX over every device.

minattn is where the model is written and understood; when it needs more
data or more devices than a laptop, ``minattn.keras_bridge.to_keras`` carries
the same model, with its trained weights, into Keras 3, and Keras's
distribution API spreads each batch over the devices. Nothing in the model
definition changes.

1. train a text model (Embedding(mask_zero) -> LSTM -> AttentionPooling ->
   Dense) in minattn for a few epochs;
2. set ``keras.distribution.DataParallel`` over every local device -- before
   the Keras model is built, so its weights are placed (replicated) on them;
3. export, check that Keras predicts what minattn predicts, then go on
   training in Keras: every batch is split evenly over the devices.

``--model gpt`` does the same with the character GPT of ``demos/char_gpt.py``
(``build_gpt``, on the standard library's source): trained for a few epochs
in minattn on windows cut at a new random offset each epoch (``--samples`` of
them per epoch), exported, scored in bits per character on the same held-out
windows on both sides of the export, trained on in Keras from the next
epoch's windows, and the time of one jit-compiled Keras step printed beside
one minattn step.

On a CPU-only machine JAX sees one device; this script asks XLA for two
virtual CPU devices (``XLA_FLAGS=--xla_force_host_platform_device_count=2``,
set before JAX starts, unless you set XLA_FLAGS yourself). On a multi-GPU
or TPU host the same script uses the accelerators as they are.

    python demos/scale_out.py --quick          # about a minute
    python demos/scale_out.py --model gpt --quick
    python demos/scale_out.py --keras-epochs 5
    XLA_FLAGS=--xla_force_host_platform_device_count=4 python demos/scale_out.py --quick
"""
import os
import sys

if "xla_force_host_platform_device_count" not in os.environ.get("XLA_FLAGS", ""):   # before JAX starts
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=2").strip()
os.environ.setdefault("KERAS_BACKEND", "jax")

import time  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn import Input, Model  # noqa: E402
from minattn.callbacks import History  # noqa: E402
from minattn.datasets import char_corpus as cc  # noqa: E402
from minattn.datasets import lm_eval, text, tokenizer  # noqa: E402
from minattn.experiments.cli import experiment_parser, parse_experiment_args  # noqa: E402
from minattn.layers import LSTM, AttentionPooling, Dense, Embedding  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402
from minattn.seq2seq import masked_sparse_categorical_crossentropy  # noqa: E402
from minattn.transformers import build_gpt  # noqa: E402

SAMPLES = 4096               # training reviews
EPOCHS = 2                   # in minattn
KERAS_EPOCHS = 3             # then in Keras, data parallel
SEED = 3
BATCH_SIZE = 64              # global batch: split over the devices, so a multiple of their number
LEARNING_RATE = 0.01
TEST_SAMPLES = 1024
MIN_LEN, MAX_LEN = 8, 30
EMBED_DIM, LSTM_UNITS = 32, 32
QUICK = {"samples": 1024, "epochs": 1, "keras_epochs": 2}
# --model gpt: demos/char_gpt.py's GPT on its small corpus; --samples counts 64-character windows per epoch
GPT_SEQUENCE_LENGTH, GPT_EMBEDDING_DIM, GPT_HEADS, GPT_LAYERS = 64, 64, 4, 2
GPT_LEARNING_RATE = 3e-3
GPT_EVAL_CHARACTERS, GPT_EVAL_STRIDE = 10_000, 32     # held-out characters scored on both sides of the export


def build_model(vocab_size, maxlen):
    """Embedding(mask_zero) -> LSTM -> AttentionPooling (article 003) -> Dense(1, sigmoid)."""
    inputs = Input((maxlen,))
    states = LSTM(LSTM_UNITS, return_sequences=True)(Embedding(vocab_size, EMBED_DIM, mask_zero=True)(inputs))
    return Model(inputs, Dense(1, activation="sigmoid")(AttentionPooling(name="attention")(states)))


def load_data(args):
    """Padded synthetic reviews: (x, y, test_x, test_y, vocabulary size)."""
    texts, labels = text.synthetic_reviews(args.samples, args.seed, MIN_LEN, MAX_LEN)
    test_texts, test_labels = text.synthetic_reviews(TEST_SAMPLES, args.seed + 1, MIN_LEN, MAX_LEN)
    vocab = tokenizer.Vocabulary.fit(texts)
    x = tokenizer.pad_sequences(vocab.texts_to_sequences(texts), MAX_LEN)
    test_x = tokenizer.pad_sequences(vocab.texts_to_sequences(test_texts), MAX_LEN)
    return x, np.asarray(labels, float)[:, None], test_x, np.asarray(test_labels, float)[:, None], len(vocab)


def even_batches(x, y, batch_size, devices):
    """Keep a whole number of batches, each a multiple of the device count; say what was dropped."""
    if batch_size % devices:
        raise SystemExit(f"--batch-size {batch_size} does not split over {devices} devices; "
                         f"use a multiple of {devices}")
    kept = len(x) // batch_size * batch_size
    if kept == 0:
        raise SystemExit(f"{len(x)} samples are fewer than one batch of {batch_size}")
    if kept < len(x):
        print(f"dropping the last {len(x) - kept} training samples so every batch, the last one "
              f"too, splits evenly over {devices} devices")
    return x[:kept], y[:kept]


def accuracy(probabilities, y):
    return float(np.mean((probabilities > 0.5) == (y > 0.5)))


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "scale_out"), QUICK)
    parser.add_argument("--keras-epochs", type=int, default=KERAS_EPOCHS,
                        help=f"epochs in Keras after the export (default {KERAS_EPOCHS})")
    parser.add_argument("--model", choices=("reviews", "gpt"), default="reviews",
                        help="the LSTM text classifier (default) or the character GPT")
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                        help=f"global batch size, a multiple of the device count (default {BATCH_SIZE})")
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    from minattn.keras_bridge import import_keras, to_keras      # imports Keras and JAX
    keras = import_keras()
    devices = keras.distribution.list_devices()
    print(f"Keras {keras.__version__} on {keras.backend.backend()}; {len(devices)} devices: {devices}")

    if args.model == "gpt":
        return run_gpt(args, keras, to_keras, devices)
    x, y, test_x, test_y, vocab_size = load_data(args)
    x, y = even_batches(x, y, args.batch_size, len(devices))
    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    model = build_model(vocab_size, MAX_LEN)
    model.compile(optimizer=Adam(LEARNING_RATE), loss="binary_crossentropy")
    print(f"\n== minattn: {args.epochs} epochs on {len(x)} reviews")
    history = model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose)
    minattn_probability = model.predict(test_x, batch_size=256)

    # The distribution first: the Keras model's weights are created under it.
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    keras_model = to_keras(model)
    keras_probability = keras_model.predict(test_x, batch_size=args.batch_size, verbose=0)
    gap = float(np.max(np.abs(keras_probability - minattn_probability)))
    print(f"\nexported; before training, Keras and minattn differ by at most {gap:.2e} on "
          f"{len(test_x)} held-out reviews")

    keras_model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy")
    print(f"\n== Keras, data parallel over {len(devices)} devices: {args.keras_epochs} epochs, "
          f"global batch {args.batch_size} ({args.batch_size // len(devices)} per device)")
    keras_history = keras_model.fit(x, y, epochs=args.keras_epochs, batch_size=args.batch_size,
                                    shuffle=True, verbose=args.verbose)
    keras_losses = [float(v) for v in keras_history.history["loss"]]
    print("minattn losses:", " ".join(f"{v:.4f}" for v in history.history["loss"]))
    print("Keras losses:  ", " ".join(f"{v:.4f}" for v in keras_losses))
    after = keras_model.predict(test_x, batch_size=args.batch_size, verbose=0)
    print(f"held-out accuracy: {accuracy(minattn_probability, test_y):.4f} after minattn, "
          f"{accuracy(after, test_y):.4f} after Keras")
    path = os.path.join(args.out, "model.keras")
    keras_model.save(path)
    print(f"saved {path} (load it with minattn.keras_bridge imported: keras.saving.load_model)")
    write_summary(args, devices, history, keras_losses, gap, minattn_probability, after, test_y, len(x))
    return 0


def gpt_data(args, devices):
    """The small standard-library corpus: (EpochWindows of training windows, held-out SlidingWindows, vocab size)."""
    if args.batch_size % len(devices) or args.samples < args.batch_size:
        raise SystemExit(f"--batch-size {args.batch_size} must split over {len(devices)} devices and "
                         f"--samples {args.samples} hold one batch")
    train_text, held_out = cc.split_blocks(cc.stdlib_text(cc.STDLIB_MODULES), 2048, 0.1, seed=args.seed)
    vocab = cc.CharVocab.from_text(train_text)
    count = args.samples // args.batch_size * args.batch_size          # whole batches, each splits evenly
    windows = cc.EpochWindows(vocab.encode(train_text), GPT_SEQUENCE_LENGTH, count, args.seed)
    scoring = lm_eval.sliding_windows(vocab.encode(held_out[:GPT_EVAL_CHARACTERS]), GPT_SEQUENCE_LENGTH,
                                      GPT_EVAL_STRIDE)
    return windows, scoring, len(vocab)


def keras_predict(keras_model, batch_size):
    """``keras_model.predict`` on any number of windows: the last batch padded (repeated) to split evenly, then cut."""
    def predict(x):
        padded = np.concatenate([x, np.repeat(x[-1:], -len(x) % batch_size, axis=0)])
        return keras_model.predict(padded, batch_size=batch_size, verbose=0)[:len(x)]
    return predict


def train_gpt_in_minattn(model, windows, args):
    """``args.epochs`` epochs, each on its own windows: (losses per epoch, seconds per step per epoch)."""
    model.compile(optimizer=Adam(GPT_LEARNING_RATE), loss=masked_sparse_categorical_crossentropy)
    losses, step_seconds = [], []
    for epoch in range(args.epochs):
        x, y = windows.for_epoch(epoch)
        history = model.fit(x, y, epochs=1, batch_size=args.batch_size, verbose=args.verbose)
        losses.append(history.history["loss"][0])
        step_seconds.append(history.seconds[0] / (len(x) // args.batch_size))
    return losses, step_seconds


def train_gpt_in_keras(keras_model, windows, args):
    """``args.keras_epochs`` more epochs, from epoch ``args.epochs``'s windows on: (losses, seconds per step).

    The first epoch's time includes compiling the step (XLA, through ``jax.jit``); later
    ``fit`` calls reuse the compiled step.
    """
    losses, step_seconds = [], []
    for epoch in range(args.epochs, args.epochs + args.keras_epochs):
        x, y = windows.for_epoch(epoch)
        start = time.perf_counter()
        history = keras_model.fit(x, y, epochs=1, batch_size=args.batch_size, shuffle=True, verbose=args.verbose)
        step_seconds.append((time.perf_counter() - start) / (len(x) // args.batch_size))
        losses.append(float(history.history["loss"][0]))
    return losses, step_seconds


def run_gpt(args, keras, to_keras, devices):
    """The character GPT: minattn, then Keras data parallel; bits per character either side of the export."""
    windows, scoring, vocab_size = gpt_data(args, devices)
    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    model, _ = build_gpt(vocab_size, GPT_SEQUENCE_LENGTH, GPT_EMBEDDING_DIM, GPT_HEADS, GPT_LAYERS,
                         activation="relu")
    print(f"\n== minattn: GPT of {model.count_params()} weights, {args.epochs} epochs of {windows.count} windows")
    losses, minattn_steps = train_gpt_in_minattn(model, windows, args)
    bits = {"minattn": scoring.model_bits(lambda x: model.predict(x, batch_size=256))}

    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    keras_model = to_keras(model)
    bits["keras_exported"] = scoring.model_bits(keras_predict(keras_model, args.batch_size))
    print(f"\nexported; {len(scoring.positions())} held-out characters: {bits['minattn']:.5f} bits/char in "
          f"minattn, {bits['keras_exported']:.5f} in Keras (differ by "
          f"{abs(bits['minattn'] - bits['keras_exported']):.1e})")
    # the windows' targets are characters, never padding (0): Keras's plain loss is minattn's masked one
    keras_model.compile(optimizer=keras.optimizers.Adam(GPT_LEARNING_RATE), loss="sparse_categorical_crossentropy")
    print(f"\n== Keras, data parallel over {len(devices)} devices: {args.keras_epochs} epochs, "
          f"global batch {args.batch_size} ({args.batch_size // len(devices)} per device)")
    keras_losses, keras_steps = train_gpt_in_keras(keras_model, windows, args)
    bits["keras_trained"] = scoring.model_bits(keras_predict(keras_model, args.batch_size))
    print("minattn losses:", " ".join(f"{v:.4f}" for v in losses))
    print("Keras losses:  ", " ".join(f"{v:.4f}" for v in keras_losses))
    print(f"held-out bits/char: {bits['minattn']:.4f} after minattn, {bits['keras_trained']:.4f} after Keras")
    steps = {"minattn": float(np.median(minattn_steps)), "keras_first_epoch": keras_steps[0],
             "keras_jit": float(np.median(keras_steps[1:])) if len(keras_steps) > 1 else None}
    print(f"seconds per step (global batch {args.batch_size}): minattn {steps['minattn']:.4f}, Keras jit "
          + (f"{steps['keras_jit']:.4f}" if steps["keras_jit"] else "- (needs --keras-epochs >= 2)")
          + f" (its first epoch, compiling: {steps['keras_first_epoch']:.4f})")
    from minattn.experiments.results import write_results
    settings = {"model": "gpt", "samples": windows.count, "train_samples": windows.count * GPT_SEQUENCE_LENGTH,
                "epochs": args.epochs, "keras_epochs": args.keras_epochs, "batch_size": args.batch_size,
                "seed": args.seed, "params": model.count_params(), "eval_stride": GPT_EVAL_STRIDE,
                "scored_characters": len(scoring.positions())}
    history = History()
    history.history, history.seconds = {"loss": losses}, [s * (windows.count // args.batch_size)
                                                          for s in minattn_steps]
    import jax
    write_results(os.path.join(args.out, "results.json"), settings, history, keras_version=keras.__version__,
                  jax_version=jax.__version__, devices=[str(d) for d in devices], bits_per_char=bits,
                  keras_loss=keras_losses,
                  seconds_per_step=steps, minattn_seconds_per_step=minattn_steps,
                  keras_seconds_per_step=keras_steps)
    return 0


def write_summary(args, devices, history, keras_losses, gap, before, after, test_y, samples):
    from minattn.experiments.results import write_results
    settings = {"samples": args.samples, "train_samples": samples, "epochs": args.epochs,
                "keras_epochs": args.keras_epochs, "batch_size": args.batch_size, "seed": args.seed}
    write_results(os.path.join(args.out, "results.json"), settings, history,
                  devices=[str(d) for d in devices], export_max_difference=gap, keras_loss=keras_losses,
                  accuracy_minattn=accuracy(before, test_y), accuracy_keras=accuracy(after, test_y))


if __name__ == "__main__":
    sys.exit(main())
