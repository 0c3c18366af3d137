"""Translate human-readable dates to ISO dates with an attention encoder-decoder (soft/hard, global/local, monotonic).

"3 May 1979", "tuesday, may 3, 1979", "03/05/79", ... -> "1979-05-03", one
character at a time: a BiLSTM encoder reads the source characters, an LSTM
decoder (``AttentionDecoder``, Luong style) writes the target, attending to
the source at every step. Each variant is trained with teacher forcing and
tested with greedy decoding, plain and monotonic (forced-forward), on dates
it has never seen; the script prints a comparison table and draws the
alignments (output characters x input characters) of a few test dates.

    python demos/translate_dates.py                                  # every variant
    python demos/translate_dates.py --variants global_additive       # one
    python demos/translate_dates.py --quick                          # a small run (under a minute)
"""
import os

# The decoder's many small matmuls run fastest on one BLAS thread (more threads
# only fight over the cores); set before NumPy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import re  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn import plotting, seq2seq  # noqa: E402
from minattn.datasets import dates as sd  # noqa: E402
from minattn.experiments.cli import experiment_parser, parse_experiment_args  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402
from minattn.experiments.results import report_outputs, write_results  # noqa: E402

SAMPLES = 12_000            # split 80 / 10 / 10 into train, validation, test
EPOCHS = 5
BATCH_SIZE = 64
LEARNING_RATE = 0.005
SEED = 0
SOURCE_LENGTH = 30          # the longest date ("wednesday, september 28, 1977") has 29 characters
EMBEDDING_DIM = 16
ENCODER_UNITS = 32          # per direction; the decoder has 2 x 32
WINDOW = 3                  # local-p: D
HEATMAP_DATES = 3
QUICK = {"samples": 5_000, "epochs": 4}

# name -> (score, alignment)
VARIANTS = {
    "global_additive": ("additive", "global"),
    "global_dot": ("dot", "global"),
    "global_general": ("general", "global"),
    "global_concat": ("concat", "global"),
    "local_p_additive": ("additive", "local_p"),
    "hard_additive": ("additive", "hard"),
}


def build_model(score, attention, target_length):
    """(teacher-forcing model, encoder model, decoding parts) for one variant."""
    return seq2seq.build_translation_model(
        len(sd.source_vocab()), len(sd.target_vocab()), SOURCE_LENGTH, target_length,
        embedding_dim=EMBEDDING_DIM, encoder_units=ENCODER_UNITS, score=score, attention=attention,
        window=WINDOW)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "dates"), QUICK)
    parser.add_argument("--variants", nargs="+", choices=sorted(VARIANTS), default=None,
                        help="which variants to train (default: all; --quick: global_additive)")
    args = parse_experiment_args(parser, argv)
    args.quick_variants = args.variants is None and args.quick      # --quick chose them
    if args.variants is None:
        args.variants = ["global_additive"] if args.quick else list(VARIANTS)
    return args


def token_accuracy(tokens, y):
    """Share of real target steps (end token included) decoded right."""
    real = y != 0
    return float(np.mean((tokens == y)[real]))


def run_variant(name, args, arrays, test_sources, test_targets, target_vocab):
    score, attention = VARIANTS[name]
    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    (x, decoder_in, y), (x_val, decoder_in_val, y_val), (x_test, _, y_test) = arrays
    model, encoder, parts = build_model(score, attention, decoder_in.shape[1])
    model.compile(Adam(LEARNING_RATE), loss=seq2seq.masked_sparse_categorical_crossentropy)
    started, cpu_started = time.perf_counter(), time.process_time()
    history = model.fit([x, decoder_in], y, epochs=args.epochs, batch_size=BATCH_SIZE,
                        validation_data=([x_val, decoder_in_val], y_val), verbose=args.verbose)
    train_seconds, train_cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    tokens, weights = seq2seq.greedy_decode(encoder, parts, x_test, y.shape[1])
    mono_tokens, _ = seq2seq.greedy_decode(encoder, parts, x_test, y.shape[1], monotonic=True)
    year_first = [i for i, text in enumerate(test_sources) if re.match(r"\d{4}", text)]   # in output order
    result = {"score": score, "attention": attention, "train_seconds": train_seconds,
              "train_cpu_seconds": train_cpu_seconds, "params": model.count_params(),
              "exact_match": seq2seq.exact_match(tokens, test_targets, target_vocab),
              "exact_match_monotonic": seq2seq.exact_match(mono_tokens, test_targets, target_vocab),
              "exact_match_year_first": seq2seq.exact_match(
                  tokens[year_first], [test_targets[i] for i in year_first], target_vocab),
              "exact_match_monotonic_year_first": seq2seq.exact_match(
                  mono_tokens[year_first], [test_targets[i] for i in year_first], target_vocab),
              "token_accuracy": token_accuracy(tokens, y_test),
              "year_on_year": year_attention(weights, x_test)}
    print(f"{name}: exact match {result['exact_match']:.4f} (monotonic "
          f"{result['exact_match_monotonic']:.4f}), token accuracy {result['token_accuracy']:.4f}, "
          f"{train_seconds:.0f} s training", flush=True)
    return result, history, tokens, weights


def year_attention(weights, x):
    """Mean attention the four year digits of the output put on the year in the source.

    The year in the source is its run of 4 digits, or else (formats with
    "79") its last run of digits; output steps 0-3 are the year digits.
    """
    source_vocab, mass = sd.source_vocab(), []
    for row, w in zip(x, weights):
        runs = [m.span() for m in re.finditer(r"\d+", source_vocab.decode(row))]
        start, stop = next((r for r in runs if r[1] - r[0] == 4), runs[-1])
        mass.append(float(np.mean(w[:4, start:stop].sum(axis=-1))))
    return float(np.mean(mass))


def draw_heatmaps(name, weights, x_test, tokens, targets, folder):
    """One figure per test date: attention weights, with input, target and prediction."""
    source_vocab, target_vocab = sd.source_vocab(), sd.target_vocab()
    paths = []
    for i in range(HEATMAP_DATES):
        path = os.path.join(folder, f"{name}_heatmap_{i}.png")
        plotting.translation_heatmap(weights[i], source_vocab.decode(x_test[i]), targets[i],
                                     target_vocab.decode(tokens[i]), path, f"Dates, {name}: attention")
        paths.append(path)
    return paths


METRICS = """\
exact match: share of test dates whose whole decoded output equals the ISO date (greedy decoding);
monotonic: the same with forced-forward decoding (no step attends before the previous step's peak);
year-first dates: exact match on the test dates written year first ("1983/11/29");
token accuracy: share of target characters (end token included) decoded right;
year digits -> year: mean attention the four output year digits put on the year in the input;
train s: training seconds."""


def print_table(results):
    print()
    print(METRICS)
    print("| variant | exact match | monotonic | year-first dates | year-first, monotonic | token accuracy "
          "| year digits -> year | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        year = f"{r['year_on_year']:.3f}"
        print(f"| {name} | {r['exact_match']:.4f} | {r['exact_match_monotonic']:.4f} | "
              f"{r['exact_match_year_first']:.4f} | {r['exact_match_monotonic_year_first']:.4f} | "
              f"{r['token_accuracy']:.4f} | {year} | {r['train_seconds']:.0f} |")


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    data = sd.make_date_dataset(args.samples, seed=args.seed)
    source_vocab, target_vocab = sd.source_vocab(), sd.target_vocab()
    arrays = [sd.encode_pairs(*data[split], source_vocab, target_vocab, SOURCE_LENGTH)
              for split in ("train", "validation", "test")]
    print(f"{len(data['train'][0])} training, {len(data['validation'][0])} validation, "
          f"{len(data['test'][0])} test dates; e.g. {data['train'][0][0]!r} -> {data['train'][1][0]!r}")
    if args.quick_variants:
        print(f"--quick trains only global_additive (of {', '.join(VARIANTS)}); choose with --variants")
    print("exact match: share of test dates decoded exactly right; monotonic: the same with "
          "forced-forward decoding; token accuracy: share of target characters right")
    results, histories = {}, {}
    for name in args.variants:
        result, history, tokens, weights = run_variant(name, args, arrays, *data["test"], target_vocab)
        result["heatmaps"] = draw_heatmaps(name, weights, arrays[2][0], tokens, data["test"][1], args.out)
        result["examples"] = [[s, target_vocab.decode(t)] for s, t in zip(data["test"][0][:10], tokens[:10])]
        results[name], histories[name] = result, history
        plotting.loss_curve(history.history, os.path.join(args.out, f"{name}_loss.png"),
                            f"Dates, {name}: masked cross-entropy")
    print_table(results)
    settings = {"experiment": "translate_dates", "samples": args.samples,
                "train_samples": len(data["train"][0]), "epochs": args.epochs, "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE, "seed": args.seed, "variants": args.variants}
    write_results(os.path.join(args.out, "results.json"), settings, histories[args.variants[0]],
                  variants=results, histories={k: h.history for k, h in histories.items()})
    report_outputs(args.out, {
        "<variant>_heatmap_<i>.png": f"attention of test date i (0-{HEATMAP_DATES - 1}): predicted characters "
                                     "x input characters, target beside them, errors in red",
        "<variant>_loss.png": "training and validation loss per epoch"})
    return results


if __name__ == "__main__":
    main()
