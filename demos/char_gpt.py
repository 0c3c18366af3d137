"""A character-level GPT on the Python standard library's own source, beside an n-gram and an LSTM.

The corpus is a fixed list of standard-library modules read from the running
interpreter (``minattn.datasets.char_corpus``): nothing to download, and nobody here
wrote it. It is cut into 2048-character blocks, 10% of them (seeded) held out
for validation. Three models are trained on the same training text and scored
on the same validation text in bits per character (lower is better):

* a smoothed (Witten-Bell) character n-gram model;
* an LSTM language model with about the GPT's number of weights;
* a decoder-only Transformer (GPT-2 layout: pre-norm blocks, causal self-attention).

The script prints the table, samples text from the GPT (temperature, top-k),
and draws its causal attention maps, per layer and head, for one prompt.

    python demos/char_gpt.py                    # full run
    python demos/char_gpt.py --quick            # a small run (the test's)
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # small matmuls: one BLAS thread per process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn.datasets import char_corpus as cc  # noqa: E402
from minattn.plotting import transformer as plots  # noqa: E402
from minattn.experiments.cli import experiment_parser, parse_experiment_args  # noqa: E402
from minattn import Input  # noqa: E402
from minattn.layers import LSTM, Dense, Embedding  # noqa: E402
from minattn.model import Model  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402
from minattn.experiments.results import write_results  # noqa: E402
from minattn.seq2seq import masked_sparse_categorical_crossentropy  # noqa: E402
from minattn.transformers import attention_maps, build_gpt, sample_text  # noqa: E402

SAMPLES = 5_600             # training windows per epoch (at most the ~5 700 the training text has)
EPOCHS = 16
SEED = 0
SEQUENCE_LENGTH = 64
EMBEDDING_DIM = 64
NUM_HEADS = 4
NUM_LAYERS = 2
ACTIVATION = "relu"         # keras_hub's default; "gelu" is exact but ~40% slower here (math.erf per element)
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
NGRAM_ORDER = 6
LSTM_EMBEDDING_DIM = 32
PROMPT = "    def __init__(self"
SAMPLE_LENGTH = 300
SAMPLES_SETTINGS = [(0.8, 10), (1.0, None)]          # (temperature, top_k)
QUICK = {"samples": 2_000, "epochs": 3, "ngram_order": 2}


def build_model(vocab_size):
    return build_gpt(vocab_size, SEQUENCE_LENGTH, EMBEDDING_DIM, NUM_HEADS, NUM_LAYERS, activation=ACTIVATION)


def lstm_units_for(target_params, vocab_size):
    """The LSTM width whose language model has closest to ``target_params`` weights."""
    def count(units):
        return (vocab_size * LSTM_EMBEDDING_DIM + 4 * units * (LSTM_EMBEDDING_DIM + units + 1)
                + (units + 1) * vocab_size)
    return min(range(8, 512), key=lambda u: abs(count(u) - target_params))


def build_lstm(vocab_size, units):
    ids = Input((SEQUENCE_LENGTH,), name="ids", dtype="int32")
    x = Embedding(vocab_size, LSTM_EMBEDDING_DIM, name="embedding")(ids)
    x = LSTM(units, return_sequences=True, name="lstm")(x)
    return Model(ids, Dense(vocab_size, activation="softmax", name="next_char")(x))


def train(model, windows, validation, args):
    model.compile(Adam(LEARNING_RATE), loss=masked_sparse_categorical_crossentropy)
    wall, cpu = time.perf_counter(), time.process_time()
    history = model.fit(*windows, epochs=args.epochs, batch_size=BATCH_SIZE, validation_data=validation,
                        verbose=args.verbose)
    return history, time.perf_counter() - wall, time.process_time() - cpu


def model_bits(model, x, y):
    return cc.bits_per_char(model.predict(x, batch_size=128, verbose=0), y)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "char_gpt"), QUICK)
    parser.add_argument("--ngram-order", type=int, choices=range(1, 9), default=NGRAM_ORDER,
                        help=f"order of the n-gram baseline (default {NGRAM_ORDER}; --quick: 2)")
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    train_text, validation_text = cc.split_blocks(cc.stdlib_text(), block=2048, validation=0.1, seed=args.seed)
    vocab = cc.CharVocab.from_text(train_text)
    train_ids, validation_ids = vocab.encode(train_text), vocab.encode(validation_text)
    x, y = cc.next_char_windows(train_ids, SEQUENCE_LENGTH)
    order = np.sort(np.random.default_rng(args.seed).permutation(len(x))[:args.samples])    # text order
    x, y = x[order], y[order]
    x_val, y_val = cc.next_char_windows(validation_ids, SEQUENCE_LENGTH)
    print(f"{len(train_text)} training / {len(validation_text)} validation characters, "
          f"{len(vocab)} ids; {len(x)} training windows of {SEQUENCE_LENGTH}")

    used_text = vocab.decode(np.concatenate([x[:, :1], y], axis=1).ravel())      # the windows trained on
    ngram = cc.NGramModel(args.ngram_order, len(vocab)).fit(vocab.encode(used_text))
    scored = validation_ids[:y_val.size + 1]          # the neural models predict exactly scored[1:]
    results = {"ngram": {"bits_per_char": ngram.bits_per_char(scored), "order": args.ngram_order}}

    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    gpt, blocks = build_model(len(vocab))
    gpt_history, gpt_wall, gpt_cpu = train(gpt, (x, y), (x_val, y_val), args)
    results["gpt"] = {"bits_per_char": model_bits(gpt, x_val, y_val), "params": gpt.count_params(),
                      "train_seconds": gpt_wall, "train_cpu_seconds": gpt_cpu}

    minattn.set_random_seed(args.seed)
    units = lstm_units_for(gpt.count_params(), len(vocab))
    lstm = build_lstm(len(vocab), units)
    lstm_history, lstm_wall, lstm_cpu = train(lstm, (x, y), (x_val, y_val), args)
    results["lstm"] = {"bits_per_char": model_bits(lstm, x_val, y_val), "params": lstm.count_params(),
                       "units": units, "train_seconds": lstm_wall, "train_cpu_seconds": lstm_cpu}

    print(f"\n| model | parameters | validation bits/char | train s (CPU s) |\n|---|---|---|---|")
    print(f"| {args.ngram_order}-gram, Witten-Bell | - | {results['ngram']['bits_per_char']:.3f} | - |")
    for name, label in (("lstm", f"LSTM({units})"), ("gpt", f"GPT {NUM_LAYERS}x{EMBEDDING_DIM}")):
        r = results[name]
        print(f"| {label} | {r['params']} | {r['bits_per_char']:.3f} | "
              f"{r['train_seconds']:.0f} ({r['train_cpu_seconds']:.0f}) |")

    samples = {}
    for temperature, top_k in SAMPLES_SETTINGS:
        ids = sample_text(gpt, vocab.encode(PROMPT), SAMPLE_LENGTH, temperature, top_k, seed=args.seed)
        samples[f"temperature={temperature}, top_k={top_k}"] = PROMPT + vocab.decode(ids)
    for setting, text in samples.items():
        print(f"\n--- GPT sample, {setting} ---\n{text}")
    with open(os.path.join(args.out, "samples.txt"), "w") as handle:
        handle.write("\n\n".join(f"--- {k} ---\n{v}" for k, v in samples.items()))

    prompt = np.zeros((1, SEQUENCE_LENGTH), dtype=np.int64)
    prompt_ids = vocab.encode(PROMPT)
    prompt[0, :len(prompt_ids)] = prompt_ids
    maps = np.stack([attention_maps(gpt, block, [prompt])["self_attention"][0, :, :len(PROMPT), :len(PROMPT)]
                     for block in blocks])                                   # (layers, heads, T, T)
    figures = [
        plots.model_bars({f"{args.ngram_order}-gram": results["ngram"]["bits_per_char"],
                          f"LSTM ({results['lstm']['params']} w)": results["lstm"]["bits_per_char"],
                          f"GPT ({results['gpt']['params']} w)": results["gpt"]["bits_per_char"]},
                         os.path.join(args.out, "bits_per_char.png"),
                         "Char GPT: validation bits per character (Python stdlib source)", "bits per character"),
        plots.learning_curves({f"{name} {split}": [v / np.log(2) for v in h.history[key]]
                               for name, h in (("GPT", gpt_history), ("LSTM", lstm_history))
                               for split, key in (("train", "loss"), ("validation", "val_loss"))},
                              os.path.join(args.out, "learning_curves.png"),
                              "Char GPT: cross-entropy per character, train and validation", "bits per character"),
        plots.head_grid(maps, os.path.join(args.out, "causal_attention.png"),
                        f"Char GPT: causal self-attention on {PROMPT.strip()!r}", list(PROMPT), list(PROMPT),
                        row_titles=[f"layer {i + 1}" for i in range(len(blocks))]),
    ]
    settings = {"experiment": "char_gpt", "samples": args.samples, "train_samples": len(x) * SEQUENCE_LENGTH,
                "epochs": args.epochs, "seed": args.seed, "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE, "sequence_length": SEQUENCE_LENGTH,
                "embedding_dim": EMBEDDING_DIM, "num_heads": NUM_HEADS, "num_layers": NUM_LAYERS,
                "activation": ACTIVATION, "ngram_order": args.ngram_order, "modules": list(cc.STDLIB_MODULES),
                "train_characters": len(train_text), "validation_characters": len(validation_text),
                "vocabulary": len(vocab)}
    write_results(os.path.join(args.out, "results.json"), settings, gpt_history, models=results,
                  lstm_history=lstm_history.history, samples=samples, attention=maps, figures=figures)
    print(f"figures, samples.txt and results.json written to {args.out}/")
    return results


if __name__ == "__main__":
    main()
