"""E4 -- two stacked Dense attention blocks on vectors with a planted column (seed article 004).

Four Gaussian features, column 1 overwritten with the binary label. The
first block's softmax (``attention_vec``) should learn to look at column 1.

    python demos/e4_stacked_dense_attention.py            # the article's full run (seconds)
    python demos/e4_stacked_dense_attention.py --quick
"""
import os

import numpy as np

import minattn
from minattn import Input, Model, datasets, plotting
from minattn.layers import Activation, Dense, Multiply
from minattn.optimizers import Adam
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 10_000
EPOCHS = 20
BATCH_SIZE = 32                  # not printed in the article: Keras's default
VALIDATION_SPLIT = 0.2
SEED = 0
INPUT_DIM = 4
ATTENTION_COLUMN = 1
TEST_SAMPLES = 1_000
QUICK = {"samples": 4_000, "epochs": 10}

ARTICLE_ATTENTION = [0.0594, 0.7233, 0.1255, 0.0918]      # one test sample
ARTICLE_EPOCHS = {1: {"loss": 0.6918, "accuracy": 0.5938, "val_accuracy": 0.7715},
                  10: {"loss": 0.1269, "val_accuracy": 0.9985},
                  20: {"loss": 0.0244, "accuracy": 1.0, "val_loss": 0.0235, "val_accuracy": 1.0}}


def build_model():
    """The article's model (its summary: 369 parameters); returns (model, attention_model)."""
    minattn.clear_session()                   # names from dense_1, as in the article's summary
    inputs = Input((INPUT_DIM,))
    attention_probs = Activation("softmax", name="attention_vec")(Dense(INPUT_DIM, use_bias=False)(inputs))
    attention_mul = Multiply()([inputs, attention_probs])
    hidden = Dense(16)(attention_mul)
    attention_probs1 = Activation("softmax", name="attention_vec1")(Dense(16, use_bias=False)(hidden))
    attention_mul1 = Multiply()([hidden, attention_probs1])
    output = Dense(1, activation="sigmoid")(attention_mul1)
    return Model(inputs, output), Model(inputs, attention_probs)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "e4"), QUICK)
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    minattn.set_random_seed(args.seed)
    x, y = datasets.planted_column(args.samples, INPUT_DIM, ATTENTION_COLUMN, seed=args.seed)
    model, attention_model = build_model()
    model.summary()
    model.compile(optimizer=Adam(), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE,
                        validation_split=VALIDATION_SPLIT, verbose=args.verbose)

    test_x, _ = datasets.planted_column(TEST_SAMPLES, INPUT_DIM, ATTENTION_COLUMN, seed=args.seed + 1)
    per_sample = attention_model.predict(test_x, verbose=0)
    one_sample = per_sample[0]
    attention = per_sample.mean(axis=0)
    print("attention for one test sample ", np.array2string(one_sample, precision=4))
    print("article's (one test sample)   ", ARTICLE_ATTENTION)
    print(f"mean attention over {TEST_SAMPLES} test samples", np.array2string(attention, precision=4))
    print(f"peak at column {int(np.argmax(attention))} (planted: {ATTENTION_COLUMN})")

    plotting.attention_bars(one_sample, os.path.join(args.out, "attention.png"),
                            "E4: attention_vec for one test sample, ours and the article's",
                            xlabel="input column", label="minattn, first test sample",
                            reference=ARTICLE_ATTENTION, reference_label="article, its one test sample",
                            highlight=[ATTENTION_COLUMN])
    plotting.loss_curve(history.history, os.path.join(args.out, "loss.png"),
                        "E4: loss (binary cross-entropy)", label=f"minattn, {args.samples:,} samples",
                        reference=[ARTICLE_EPOCHS[e]["loss"] if e in ARTICLE_EPOCHS else np.nan
                                   for e in range(1, EPOCHS + 1)],
                        reference_label=f"article, {SAMPLES:,} samples (printed at epochs "
                                        + ", ".join(str(e) for e in sorted(ARTICLE_EPOCHS)) + ")")
    train_samples = int(args.samples * (1 - VALIDATION_SPLIT))
    settings = {"experiment": "E4", "samples": args.samples, "train_samples": train_samples,
                "epochs": args.epochs, "batch_size": BATCH_SIZE, "validation_split": VALIDATION_SPLIT,
                "seed": args.seed}
    write_results(os.path.join(args.out, "results.json"), settings, history, attention=attention,
                  one_sample_attention=one_sample, peak=int(np.argmax(attention)),
                  total_params=model.count_params(),
                  article={"attention": ARTICLE_ATTENTION, "epochs": ARTICLE_EPOCHS})
    report_outputs(args.out, {
        "attention.png": "attention_vec of one test sample, ours beside the article's (planted column shaded)",
        "loss.png": "training and validation loss per epoch, with the article's printed losses"})
    return history, attention


if __name__ == "__main__":
    main()
