"""Translate human-readable dates to ISO dates with a Transformer: attention without recurrence.

The task and data are ``demos/translate_dates.py``'s ("3 May 1979",
"tuesday, may 3, 1979", "03/05/79", ... -> "1979-05-03", one character at a
time), and so are the split, the masked loss and the scores; the model is an
encoder-decoder Transformer (``minattn.transformers.build_translator``):
source characters -> TokenAndPositionEmbedding -> TransformerEncoder, target
characters -> TokenAndPositionEmbedding -> TransformerDecoder (causal
self-attention, cross-attention over the encoder) -> softmax. Trained with
teacher forcing with Adam on a warmup + cosine-decay schedule (at a constant
3e-3 the validation loss bounces from epoch to epoch and the last epoch's
weights are a matter of luck), tested with greedy decoding on unseen dates; the script
prints the row for the seq2seq comparison table and draws the
cross-attention of every head for a few test dates.

    python demos/translate_dates_transformer.py
    python demos/translate_dates_transformer.py --quick      # a small run (the test's)
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import time  # noqa: E402

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn.plotting import transformer as plots  # noqa: E402
from minattn import seq2seq  # noqa: E402
from minattn.datasets import dates as sd  # noqa: E402
from minattn.experiments.cli import experiment_parser, parse_experiment_args  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402
from minattn.optimizers.schedules import CosineDecay  # noqa: E402
from minattn.experiments.results import write_results  # noqa: E402
from minattn.transformers import attention_maps, build_translator, greedy_translate  # noqa: E402

SAMPLES = 12_000            # split 80 / 10 / 10, as demos/translate_dates.py
EPOCHS = 20
BATCH_SIZE = 64
LEARNING_RATE = 0.003       # the peak of the schedule
WARMUP_EPOCHS = 1           # linear warmup from 0, then cosine decay to 0 by the last step
SEED = 0
SOURCE_LENGTH = 30
EMBEDDING_DIM = 32
NUM_HEADS = 4
INTERMEDIATE_DIM = 64
NUM_LAYERS = 1
HEATMAP_DATES = 3
QUICK = {"samples": 5_000, "epochs": 4}


def build_model(target_length):
    return build_translator(len(sd.source_vocab()), len(sd.target_vocab()), SOURCE_LENGTH, target_length,
                            EMBEDDING_DIM, NUM_HEADS, INTERMEDIATE_DIM, NUM_LAYERS)


def learning_rate_schedule(train_samples, epochs):
    """0 -> LEARNING_RATE in a straight line over WARMUP_EPOCHS, then cosine decay to 0 at the last step."""
    steps_per_epoch = -(-train_samples // BATCH_SIZE)                         # ceil: fit's last batch is short
    warmup = min(WARMUP_EPOCHS, epochs - 1) * steps_per_epoch
    return CosineDecay(0.0, decay_steps=epochs * steps_per_epoch - warmup, warmup_target=LEARNING_RATE,
                       warmup_steps=warmup)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "dates_transformer"), QUICK)
    return parse_experiment_args(parser, argv)


def draw_cross_attention(model, block, x, decoder_in, tokens, folder):
    source_vocab, target_vocab = sd.source_vocab(), sd.target_vocab()
    weights = attention_maps(model, block, [x, decoder_in], mask=[None, x != 0])["cross_attention"]
    paths = []
    for i in range(len(x)):
        source, output = source_vocab.decode(x[i]), target_vocab.decode(tokens[i])
        rows = list(output) + ["</s>"]
        grid = weights[i][None, :, :len(rows), :len(source)]                  # (1, heads, rows, source)
        path = os.path.join(folder, f"cross_attention_{i}.png")
        plots.head_grid(grid, path, f"Dates, Transformer: '{source}' -> '{output}', cross-attention per head",
                        rows, list(source), xlabel="input character", ylabel="output character")
        paths.append(path)
    return paths


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    data = sd.make_date_dataset(args.samples, seed=args.seed)
    source_vocab, target_vocab = sd.source_vocab(), sd.target_vocab()
    (x, decoder_in, y), (x_val, decoder_in_val, y_val), (x_test, _, y_test) = [
        sd.encode_pairs(*data[split], source_vocab, target_vocab, SOURCE_LENGTH)
        for split in ("train", "validation", "test")]
    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    model, blocks = build_model(decoder_in.shape[1])
    model.compile(Adam(learning_rate_schedule(len(x), args.epochs)),
                  loss=seq2seq.masked_sparse_categorical_crossentropy)
    wall, cpu = time.perf_counter(), time.process_time()
    history = model.fit([x, decoder_in], y, epochs=args.epochs, batch_size=BATCH_SIZE,
                        validation_data=([x_val, decoder_in_val], y_val), verbose=args.verbose)
    train_seconds, train_cpu = time.perf_counter() - wall, time.process_time() - cpu
    tokens, used_decoder_in = greedy_translate(model, x_test, y.shape[1])
    test_sources, test_targets = data["test"]
    real = y_test != 0
    result = {"exact_match": seq2seq.exact_match(tokens, test_targets, target_vocab),
              "token_accuracy": float(np.mean((tokens == y_test)[real])),
              "train_seconds": train_seconds, "train_cpu_seconds": train_cpu, "params": model.count_params(),
              "examples": [[s, target_vocab.decode(t)] for s, t in zip(test_sources[:10], tokens[:10])]}
    print("\n| variant | exact match | token accuracy | train s (CPU s) | parameters |\n|---|---|---|---|---|")
    print(f"| transformer {NUM_LAYERS}+{NUM_LAYERS} x {EMBEDDING_DIM}, {NUM_HEADS} heads | "
          f"{result['exact_match']:.4f} | {result['token_accuracy']:.4f} | "
          f"{train_seconds:.0f} ({train_cpu:.0f}) | {result['params']} |")
    result["heatmaps"] = draw_cross_attention(model, blocks["decoder"][-1], x_test[:HEATMAP_DATES],
                                              used_decoder_in[:HEATMAP_DATES], tokens[:HEATMAP_DATES], args.out)
    result["loss_curve"] = plots.learning_curves(
        {"train": history.history["loss"], "validation": history.history["val_loss"]},
        os.path.join(args.out, "loss.png"), "Dates, Transformer: masked cross-entropy (log scale)",
        "nats per token", log_scale=True)
    settings = {"experiment": "translate_dates_transformer", "samples": args.samples,
                "train_samples": len(x), "epochs": args.epochs, "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE, "schedule": "warmup + cosine decay",
                "warmup_epochs": WARMUP_EPOCHS, "seed": args.seed, "embedding_dim": EMBEDDING_DIM,
                "num_heads": NUM_HEADS, "intermediate_dim": INTERMEDIATE_DIM, "num_layers": NUM_LAYERS}
    write_results(os.path.join(args.out, "results.json"), settings, history, transformer=result)
    print(f"figures and results.json written to {args.out}/")
    return result


if __name__ == "__main__":
    main()
