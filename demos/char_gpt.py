"""A character-level GPT on the Python standard library's own source, beside an n-gram and an LSTM.

The corpus is a fixed list of standard-library modules read from the running
interpreter (``minattn.datasets.char_corpus``; ``--corpus large``, the default,
about 3.1 MB, or ``small``, 430 kB): nothing to download, and nobody here wrote
it. It is cut into 2048-character blocks, 10% of them (seeded) held out. Each
epoch the neural models train on windows cut at a new random offset
(``--windows fixed``: the same windows every epoch). Three models learn from
the same training text and are scored like for like on the same held-out
characters, each with the same context (``minattn.datasets.lm_eval``: windows
of 128 every ``--eval-stride`` characters), in bits per character (lower is better):

* a smoothed (Witten-Bell) character n-gram model, its order the best of
  1..8 on other held-out text (``--ngram-order`` fixes it);
* an LSTM language model with about the GPT's number of weights, trained for
  the same steps with the same recipe;
* a decoder-only Transformer (GPT-2 layout: pre-norm blocks, causal self-attention).

Both networks train with the Transformer recipe (``make_optimizer``): AdamW
with weight decay on the kernels and embeddings, the gradient's global norm
clipped to 1, and a learning rate that warms up in a straight line then
follows a cosine down to a tenth of its peak. The LSTM trains in a second
process while the GPT trains in this one: one core each.

The script prints the table, samples text from the GPT (temperature, top-k)
with a key/value cache and reports its tokens per second beside rerunning the
whole context, and draws its causal attention maps, per layer and head, for one prompt.

    python demos/char_gpt.py                    # full run
    python demos/char_gpt.py --quick            # a small run (the test's)
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # small matmuls: one BLAS thread per process
os.environ.setdefault("OMP_NUM_THREADS", "1")

import multiprocessing  # noqa: E402
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
from minattn.optimizers import AdamW, schedules  # noqa: E402
from minattn.experiments.results import write_results  # noqa: E402
from minattn.seq2seq import masked_sparse_categorical_crossentropy  # noqa: E402
from minattn.transformers import attention_maps, build_gpt, sample_text  # noqa: E402

SAMPLES = 5_120             # training windows per epoch (cut afresh each epoch): 320 steps of 16
EPOCHS = 16
SEED = 0
SEQUENCE_LENGTH = 128       # characters per window: the GPT's context and its position table
EMBEDDING_DIM = 128
NUM_HEADS = 4
NUM_LAYERS = 2
ACTIVATION = "relu"         # keras_hub's default; "gelu" is exact but ~3x slower here (math.erf per element)
BATCH_SIZE = 16             # 16 windows of 128: 2 048 characters a step
PEAK_LEARNING_RATE = 3e-3   # reached after the warmup, then a cosine down to FINAL_FRACTION of it
WARMUP_STEPS = 200
FINAL_FRACTION = 0.1
WEIGHT_DECAY = 0.01         # AdamW's, on kernels and embeddings (not on biases or LayerNorm's gamma, beta)
GLOBAL_CLIPNORM = 1.0
NGRAM_ORDERS = range(1, 9)  # the orders tried on held-out tuning text
CORPUS = "large"            # cc.STDLIB_LARGE (3.1 MB) or "small" (cc.STDLIB_MODULES, 430 kB)
WINDOWS = "random"          # a new random offset each epoch, or "fixed"
EVAL_STRIDE = 8             # like-for-like scoring: every scored character has >= 128 - 8 before it
EVAL_CHARACTERS = 60_000    # the held-out characters scored (the first of the held-out text)
TUNING_CHARACTERS = 20_000  # the next held-out characters: the n-gram's order is chosen on them
LSTM_EMBEDDING_DIM = 32
PROMPT = "    def __init__(self"
SAMPLE_LENGTH = 300
SAMPLES_SETTINGS = [(0.8, 10), (1.0, None)]          # (temperature, top_k)
QUICK = {"samples": 2_000, "epochs": 3, "ngram_order": 2, "eval_characters": 20_000, "eval_stride": 64}


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


def total_steps(args):
    """Gradient steps of one network: epochs x batches per epoch."""
    return args.epochs * -(-args.samples // BATCH_SIZE)


def make_optimizer(total_steps):
    """AdamW, warmup then cosine decay, global-norm clipping: the recipe both networks train with."""
    warmup = min(WARMUP_STEPS, total_steps // 10)
    rate = schedules.CosineDecay(0.0, max(total_steps - warmup, 1), alpha=FINAL_FRACTION,
                                 warmup_target=PEAK_LEARNING_RATE, warmup_steps=warmup)
    optimizer = AdamW(rate, weight_decay=WEIGHT_DECAY, global_clipnorm=GLOBAL_CLIPNORM)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def train(model, windows, validation, args):
    """One ``fit`` per epoch on that epoch's windows; the epochs' logs gathered in one History."""
    model.compile(make_optimizer(total_steps(args)), loss=masked_sparse_categorical_crossentropy)
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


def baselines(data, units, args):
    """The second process's work: the n-gram (its order chosen, then scored) and the LSTM (seeded,
    trained, scored). Returns ``(results of both, the LSTM's History)``."""
    vocab_size = len(data["vocab"])
    ngram, tried = choose_ngram(data["train_ids"], data["tuning_ids"], vocab_size, args)
    results = {"ngram": {"bits_per_char": lm_eval.ngram_bits(ngram, data["eval_ids"], data["scoring"].positions()),
                         "order": ngram.order, "tuning_bits_per_char": tried}}
    minattn.set_random_seed(args.seed)
    lstm = build_lstm(vocab_size, units)
    history, wall, cpu = train(lstm, data["windows"], data["blocks"], args)
    results["lstm"] = {**evaluate(lstm, data["scoring"], data["blocks"]), "units": units,
                       "train_seconds": wall, "train_cpu_seconds": cpu}
    return results, history


def choose_ngram(train_ids, tuning_ids, vocab_size, args):
    """The n-gram of ``--ngram-order``, or of the order in NGRAM_ORDERS best on ``tuning_ids``;
    and ``{order: bits on the tuning text}`` (empty when the order is given)."""
    if args.ngram_order is not None:
        return cc.NGramModel(args.ngram_order, vocab_size).fit(train_ids), {}
    largest = cc.NGramModel(max(NGRAM_ORDERS), vocab_size).fit(train_ids)
    tried = {order: largest.with_order(order).bits_per_char(tuning_ids) for order in NGRAM_ORDERS}
    print("n-gram order on the tuning text: " + ", ".join(f"{k}: {v:.3f}" for k, v in tried.items()), flush=True)
    return largest.with_order(min(tried, key=tried.get)), tried


def evaluate(model, windows, blocks):
    """Like-for-like bits per character, and on the fixed SEQUENCE_LENGTH-character blocks (the last validation loss)."""
    return {"bits_per_char": windows.model_bits(lambda x: model.predict(x, batch_size=128, verbose=0)),
            "block_bits_per_char": cc.bits_per_char(model.predict(blocks[0], batch_size=128, verbose=0), blocks[1]),
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
    parser.add_argument("--ngram-order", type=int, choices=NGRAM_ORDERS, default=None,
                        help=f"order of the n-gram baseline (default: the best of {NGRAM_ORDERS[0]}.."
                             f"{NGRAM_ORDERS[-1]} on {TUNING_CHARACTERS} held-out characters after the "
                             "scored ones; --quick: 2)")
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
    demo_started, load_at_start = time.perf_counter(), os.getloadavg()
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    modules = cc.STDLIB_LARGE if args.corpus == "large" else cc.STDLIB_MODULES
    sources = cc.stdlib_sources(modules, skip_missing=True)          # another Python may lack a module
    corpus = "\n\n".join(sources.values())
    train_text, validation_text = cc.split_blocks(corpus, block=2048, validation=0.1, seed=args.seed)
    vocab = cc.CharVocab.from_text(train_text)
    train_ids = vocab.encode(train_text)
    eval_ids = vocab.encode(validation_text[:args.eval_characters])
    tuning = validation_text[args.eval_characters:args.eval_characters + TUNING_CHARACTERS]
    scoring = lm_eval.sliding_windows(eval_ids, SEQUENCE_LENGTH, args.eval_stride)
    data = {"vocab": vocab, "train_ids": train_ids, "eval_ids": eval_ids, "tuning_ids": vocab.encode(tuning),
            "windows": cc.EpochWindows(train_ids, SEQUENCE_LENGTH, args.samples, args.seed, args.windows == "random"),
            "scoring": scoring, "blocks": cc.next_char_windows(eval_ids, SEQUENCE_LENGTH)}   # fit's validation
    print(f"{len(sources)} modules, {len(corpus)} characters: {len(train_text)} training / "
          f"{len(validation_text)} held out ({len(eval_ids)} scored, {len(tuning)} to choose the n-gram's "
          f"order), {len(vocab)} ids; {args.samples} training windows of {SEQUENCE_LENGTH} per epoch "
          f"({args.windows} offsets), {args.epochs} epochs", flush=True)

    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    gpt, blocks_of_gpt = build_model(len(vocab))
    units = lstm_units_for(gpt.count_params(), len(vocab))
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(1) as pool:      # the baselines on the second core
        second = pool.apply_async(baselines, (data, units, args))
        gpt_history, gpt_wall, gpt_cpu = train(gpt, data["windows"], data["blocks"], args)
        results, lstm_history = second.get()
    results["gpt"] = {**evaluate(gpt, scoring, data["blocks"]), "train_seconds": gpt_wall,
                      "train_cpu_seconds": gpt_cpu}
    order = results["ngram"]["order"]
    results["gpt"]["ahead_by"] = {name: results[name]["bits_per_char"] - results["gpt"]["bits_per_char"]
                                  for name in ("ngram", "lstm")}               # bits per character
    training_wall = time.perf_counter() - started

    print(f"\nscored like for like: {len(scoring.positions())} held-out characters, windows of {SEQUENCE_LENGTH} "
          f"every {args.eval_stride} (each character after the first window sees >= "
          f"{SEQUENCE_LENGTH - args.eval_stride} before it; the n-gram its {order - 1})")
    print(f"\n| model | parameters | bits/char, like for like | on {SEQUENCE_LENGTH}-char blocks | train s (CPU s) |\n"
          f"|---|---|---|---|---|")
    print(f"| {order}-gram, Witten-Bell | - | {results['ngram']['bits_per_char']:.3f} | - | - |")
    for name, label in (("lstm", f"LSTM({units})"), ("gpt", f"GPT {NUM_LAYERS}x{EMBEDDING_DIM}")):
        r = results[name]
        print(f"| {label} | {r['params']} | {r['bits_per_char']:.3f} | {r['block_bits_per_char']:.3f} | "
              f"{r['train_seconds']:.0f} ({r['train_cpu_seconds']:.0f}) |")
    ahead = results["gpt"]["ahead_by"]
    print(f"\nthe GPT is ahead of the {order}-gram by {ahead['ngram']:.3f} bits per character, "
          f"of the LSTM by {ahead['lstm']:.3f}")

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
        plots.model_bars({f"{order}-gram": results["ngram"]["bits_per_char"],
                          f"LSTM ({results['lstm']['params']} w)": results["lstm"]["bits_per_char"],
                          f"GPT ({results['gpt']['params']} w)": results["gpt"]["bits_per_char"]},
                         os.path.join(args.out, "bits_per_char.png"),
                         "Char GPT: held-out bits per character, like for like (Python stdlib source)", "bits per character"),
        plots.learning_curves({f"{name} {split}": [v / np.log(2) for v in h.history[key]]
                               for name, h in (("GPT", gpt_history), ("LSTM", lstm_history))
                               for split, key in (("train", "loss"), ("validation", "val_loss"))},
                              os.path.join(args.out, "learning_curves.png"),
                              f"Char GPT: cross-entropy per character, train and held-out {SEQUENCE_LENGTH}-character blocks",
                              "bits per character"),
        plots.head_grid(maps, os.path.join(args.out, "causal_attention.png"),
                        f"Char GPT: causal self-attention on {PROMPT.strip()!r}", list(PROMPT), list(PROMPT),
                        row_titles=[f"layer {i + 1}" for i in range(len(blocks_of_gpt))]),
    ]
    settings = {"experiment": "char_gpt", "samples": args.samples, "train_samples": args.samples * SEQUENCE_LENGTH,
                "epochs": args.epochs, "seed": args.seed, "batch_size": BATCH_SIZE,
                "recipe": {"optimizer": "AdamW", "peak_learning_rate": PEAK_LEARNING_RATE,
                           "warmup_steps": min(WARMUP_STEPS, total_steps(args) // 10), "decay": "cosine",
                           "final_fraction": FINAL_FRACTION, "weight_decay": WEIGHT_DECAY,
                           "global_clipnorm": GLOBAL_CLIPNORM, "steps": total_steps(args)}, "sequence_length": SEQUENCE_LENGTH,
                "embedding_dim": EMBEDDING_DIM, "num_heads": NUM_HEADS, "num_layers": NUM_LAYERS,
                "activation": ACTIVATION, "ngram_order": order, "corpus": args.corpus,
                "modules": list(sources), "modules_missing": [m for m in modules if m not in sources],
                "python": platform.python_version(), "corpus_characters": len(corpus),
                "train_characters": len(train_text), "validation_characters": len(validation_text),
                "windows": args.windows, "eval_stride": args.eval_stride,
                "eval_characters": len(eval_ids), "scored_characters": int(scoring.scored.sum()),
                "vocabulary": len(vocab), "training_wall_seconds": training_wall,
                "demo_wall_seconds": time.perf_counter() - demo_started,
                "load_average": {"start": list(load_at_start), "end": list(os.getloadavg())}}
    write_results(os.path.join(args.out, "results.json"), settings, gpt_history, models=results,
                  lstm_history=lstm_history.history, samples=samples, generation=generation,
                  attention=maps, figures=figures)
    print(f"figures, samples.txt and results.json written to {args.out}/; the whole demo took "
          f"{settings['demo_wall_seconds']:.0f} s of wall time (training both networks side by side: "
          f"{training_wall:.0f} s; load average {load_at_start[0]:.1f} at the start)")
    return results


if __name__ == "__main__":
    main()
