"""A character-level GPT on the Python standard library's own source, beside an n-gram and an LSTM.

The corpus is a fixed list of standard-library modules read from the running
interpreter (``minattn.datasets.char_corpus``; ``--corpus large``, the default,
about 3.1 MB, or ``small``, 430 kB): nothing to download, and nobody here wrote
it. It is cut into 2048-character blocks, 10% of them (seeded) held out. Each
epoch the neural models train on windows cut at a new random offset
(``--windows fixed``: the same windows every epoch). Three models learn from
the same training text and are scored like for like on the same held-out
characters, each with the same context (``minattn.datasets.lm_eval``: windows
of 64 every ``--eval-stride`` characters), in bits per character (lower is better):

* a smoothed (Witten-Bell) character n-gram model;
* an LSTM language model with about the GPT's number of weights;
* a decoder-only Transformer (GPT-2 layout: pre-norm blocks, causal self-attention).

The script prints the table, samples text from the GPT (temperature, top-k)
with a key/value cache and reports its tokens per second beside rerunning the
whole context, and draws its causal attention maps, per layer and head, for one prompt.

    python demos/char_gpt.py                    # full run
    python demos/char_gpt.py --quick            # a small run (the test's)
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # small matmuls: one BLAS thread per process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn.callbacks import History  # noqa: E402
from minattn.datasets import char_corpus as cc  # noqa: E402
from minattn.datasets import lm_eval  # noqa: E402
from minattn.plotting import transformer as plots  # noqa: E402
from minattn.experiments.cli import experiment_parser, int_at_least, parse_experiment_args  # noqa: E402
from minattn import Input  # noqa: E402
from minattn.layers import LSTM, Dense, Embedding  # noqa: E402
from minattn.model import Model  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402
from minattn.experiments.results import write_results  # noqa: E402
from minattn.seq2seq import masked_sparse_categorical_crossentropy  # noqa: E402
from minattn.transformers import attention_maps, build_gpt, sample_text  # noqa: E402

SAMPLES = 5_600             # training windows per epoch (cut afresh each epoch)
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
CORPUS = "large"            # cc.STDLIB_LARGE (3.1 MB) or "small" (cc.STDLIB_MODULES, 430 kB)
WINDOWS = "random"          # a new random offset each epoch, or "fixed"
EVAL_STRIDE = 32            # like-for-like scoring: every scored character has >= 64 - 32 before it
EVAL_CHARACTERS = 60_000    # the held-out characters scored (the first of the held-out text)
LSTM_EMBEDDING_DIM = 32
PROMPT = "    def __init__(self"
SAMPLE_LENGTH = 300
SAMPLES_SETTINGS = [(0.8, 10), (1.0, None)]          # (temperature, top_k)
QUICK = {"samples": 2_000, "epochs": 3, "ngram_order": 2, "eval_characters": 20_000}


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
    """One ``fit`` per epoch on that epoch's windows; the epochs' logs gathered in one History."""
    model.compile(Adam(LEARNING_RATE), loss=masked_sparse_categorical_crossentropy)
    history = History()
    wall, cpu = time.perf_counter(), time.process_time()
    for epoch in range(args.epochs):
        x, y = windows.for_epoch(epoch)
        if args.verbose:
            print(f"epoch {epoch + 1}/{args.epochs}: {len(x)} windows")
        logs = model.fit(x, y, epochs=1, batch_size=BATCH_SIZE, validation_data=validation, verbose=args.verbose)
        for key, values in logs.history.items():
            history.history.setdefault(key, []).extend(values)
        history.epoch.append(epoch)
        history.seconds.extend(logs.seconds)
    return history, time.perf_counter() - wall, time.process_time() - cpu


def evaluate(model, windows, blocks):
    """Like-for-like bits per character, and on the fixed 64-character blocks (the last validation loss)."""
    return {"bits_per_char": windows.model_bits(lambda x: model.predict(x, batch_size=128)),
            "block_bits_per_char": cc.bits_per_char(model.predict(blocks[0], batch_size=128), blocks[1]),
            "params": model.count_params()}


def tokens_per_second(gpt, prompt_ids, seed):
    """Sample SAMPLE_LENGTH ids with the key/value cache and by rerunning the context: ids/s of each."""
    speeds, ids = {}, {}
    for name, cache in (("cached", True), ("full_recompute", False)):
        start = time.perf_counter()
        ids[name] = sample_text(gpt, prompt_ids, SAMPLE_LENGTH, 0.8, 10, seed=seed, cache=cache)
        speeds[name] = SAMPLE_LENGTH / (time.perf_counter() - start)
    return {"tokens_per_second": speeds, "same_ids": bool(np.array_equal(ids["cached"], ids["full_recompute"]))}


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "char_gpt"), QUICK)
    parser.add_argument("--ngram-order", type=int, choices=range(1, 9), default=NGRAM_ORDER,
                        help=f"order of the n-gram baseline (default {NGRAM_ORDER}; --quick: 2)")
    parser.add_argument("--corpus", choices=("large", "small"), default=CORPUS,
                        help=f"the standard-library slice (default {CORPUS})")
    parser.add_argument("--windows", choices=("random", "fixed"), default=WINDOWS,
                        help=f"training windows cut at a random offset each epoch, or the same ones (default {WINDOWS})")
    parser.add_argument("--eval-stride", type=int, choices=range(1, SEQUENCE_LENGTH + 1), default=EVAL_STRIDE,
                        metavar=f"1..{SEQUENCE_LENGTH}", help=f"stride of the scoring windows (default {EVAL_STRIDE})")
    parser.add_argument("--eval-characters", type=int_at_least(SEQUENCE_LENGTH + 1), default=EVAL_CHARACTERS,
                        help=f"held-out characters scored (default {EVAL_CHARACTERS}; --quick: 20000)")
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    modules = cc.STDLIB_LARGE if args.corpus == "large" else cc.STDLIB_MODULES
    sources = cc.stdlib_sources(modules, skip_missing=True)          # another Python may lack a module
    corpus = "\n\n".join(sources.values())
    train_text, validation_text = cc.split_blocks(corpus, block=2048, validation=0.1, seed=args.seed)
    vocab = cc.CharVocab.from_text(train_text)
    train_ids = vocab.encode(train_text)
    eval_ids = vocab.encode(validation_text[:args.eval_characters])
    windows = cc.EpochWindows(train_ids, SEQUENCE_LENGTH, args.samples, args.seed, args.windows == "random")
    scoring = lm_eval.sliding_windows(eval_ids, SEQUENCE_LENGTH, args.eval_stride)
    blocks = cc.next_char_windows(eval_ids, SEQUENCE_LENGTH)          # fit's validation: fixed blocks
    print(f"{len(sources)} modules, {len(corpus)} characters: {len(train_text)} training / "
          f"{len(validation_text)} held out ({len(eval_ids)} scored), {len(vocab)} ids; "
          f"{args.samples} training windows of {SEQUENCE_LENGTH} per epoch ({args.windows} offsets)")

    ngram = cc.NGramModel(args.ngram_order, len(vocab)).fit(train_ids)
    results = {"ngram": {"bits_per_char": lm_eval.ngram_bits(ngram, eval_ids, scoring.positions()),
                         "order": args.ngram_order}}

    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    gpt, blocks_of_gpt = build_model(len(vocab))
    gpt_history, gpt_wall, gpt_cpu = train(gpt, windows, blocks, args)
    results["gpt"] = {**evaluate(gpt, scoring, blocks), "train_seconds": gpt_wall,
                      "train_cpu_seconds": gpt_cpu}

    minattn.set_random_seed(args.seed)
    units = lstm_units_for(gpt.count_params(), len(vocab))
    lstm = build_lstm(len(vocab), units)
    lstm_history, lstm_wall, lstm_cpu = train(lstm, windows, blocks, args)
    results["lstm"] = {**evaluate(lstm, scoring, blocks), "units": units,
                       "train_seconds": lstm_wall, "train_cpu_seconds": lstm_cpu}

    print(f"\nscored like for like: {len(scoring.positions())} held-out characters, windows of {SEQUENCE_LENGTH} "
          f"every {args.eval_stride} (each character after the first window sees >= "
          f"{SEQUENCE_LENGTH - args.eval_stride} before it; the n-gram its {args.ngram_order - 1})")
    print(f"\n| model | parameters | bits/char, like for like | on 64-char blocks | train s (CPU s) |\n"
          f"|---|---|---|---|---|")
    print(f"| {args.ngram_order}-gram, Witten-Bell | - | {results['ngram']['bits_per_char']:.3f} | - | - |")
    for name, label in (("lstm", f"LSTM({units})"), ("gpt", f"GPT {NUM_LAYERS}x{EMBEDDING_DIM}")):
        r = results[name]
        print(f"| {label} | {r['params']} | {r['bits_per_char']:.3f} | {r['block_bits_per_char']:.3f} | "
              f"{r['train_seconds']:.0f} ({r['train_cpu_seconds']:.0f}) |")

    generation = tokens_per_second(gpt, vocab.encode(PROMPT), args.seed)
    speeds = generation["tokens_per_second"]
    print(f"\ngeneration, {SAMPLE_LENGTH} characters: {speeds['cached']:.0f} characters/s with the key/value "
          f"cache, {speeds['full_recompute']:.0f}/s rerunning the context "
          f"({'the same' if generation['same_ids'] else 'DIFFERENT'} characters)")
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
                     for block in blocks_of_gpt])                            # (layers, heads, T, T)
    figures = [
        plots.model_bars({f"{args.ngram_order}-gram": results["ngram"]["bits_per_char"],
                          f"LSTM ({results['lstm']['params']} w)": results["lstm"]["bits_per_char"],
                          f"GPT ({results['gpt']['params']} w)": results["gpt"]["bits_per_char"]},
                         os.path.join(args.out, "bits_per_char.png"),
                         "Char GPT: held-out bits per character, like for like (Python stdlib source)", "bits per character"),
        plots.learning_curves({f"{name} {split}": [v / np.log(2) for v in h.history[key]]
                               for name, h in (("GPT", gpt_history), ("LSTM", lstm_history))
                               for split, key in (("train", "loss"), ("validation", "val_loss"))},
                              os.path.join(args.out, "learning_curves.png"),
                              "Char GPT: cross-entropy per character, train and held-out 64-character blocks",
                              "bits per character"),
        plots.head_grid(maps, os.path.join(args.out, "causal_attention.png"),
                        f"Char GPT: causal self-attention on {PROMPT.strip()!r}", list(PROMPT), list(PROMPT),
                        row_titles=[f"layer {i + 1}" for i in range(len(blocks_of_gpt))]),
    ]
    settings = {"experiment": "char_gpt", "samples": args.samples, "train_samples": args.samples * SEQUENCE_LENGTH,
                "epochs": args.epochs, "seed": args.seed, "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE, "sequence_length": SEQUENCE_LENGTH,
                "embedding_dim": EMBEDDING_DIM, "num_heads": NUM_HEADS, "num_layers": NUM_LAYERS,
                "activation": ACTIVATION, "ngram_order": args.ngram_order, "corpus": args.corpus,
                "modules": list(sources), "modules_missing": [m for m in modules if m not in sources],
                "python": platform.python_version(), "corpus_characters": len(corpus),
                "train_characters": len(train_text), "validation_characters": len(validation_text),
                "windows": args.windows, "eval_stride": args.eval_stride,
                "eval_characters": len(eval_ids), "scored_characters": int(scoring.scored.sum()),
                "vocabulary": len(vocab)}
    write_results(os.path.join(args.out, "results.json"), settings, gpt_history, models=results,
                  lstm_history=lstm_history.history, samples=samples, generation=generation,
                  attention=maps, figures=figures)
    print(f"figures, samples.txt and results.json written to {args.out}/")
    return results


if __name__ == "__main__":
    main()
