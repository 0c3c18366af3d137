"""E1 -- a Dense softmax attention layer in front of an MLP (seed article 000).

Ten digits in; the target is |abc - efg| / 1000 where abc are digits 1-3 and
efg digits 5-7. The first Dense layer's softmax output is multiplied into the
input, so it can weight the positions; afterwards we read those weights.

    python demos/e1_dense_attention.py                 # the article's full run
    python demos/e1_dense_attention.py --quick         # a small run, seconds
"""
import os

import numpy as np

import minattn
from minattn import Input, Model, datasets, plotting
from minattn.experiments import analysis
from minattn.layers import Dense, Multiply
from minattn.optimizers import Adam
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 300_000
EPOCHS = 10
BATCH_SIZE = 32
SEED = 1337
QUICK = {"samples": 20_000, "epochs": 3}
IMPORTANCE_SAMPLES = 20_000       # samples used to measure permutation importance
INFORMATIVE = [1, 2, 3, 5, 6, 7]

# The article's own printouts.
ARTICLE_LOSS = [0.0269, 0.0066, 0.0028, 0.0023, 0.0020, 0.0019, 0.0018, 0.0018, 0.0017, 0.0017]
ARTICLE_ATTENTION = [0.0686, 0.4460, 1.4e-6, 0.0347, 0.0008, 3.3e-8, 0.0054, 0.0140, 0.4285, 0.0019]
ARTICLE_TRUE = [0.483, 0.587, 0.035, 0.009, 0.471, 0.312, 0.319, 0.652, 0.166, 0.746]
ARTICLE_PRED = [0.510, 0.618, 0.083, 0.077, 0.484, 0.284, 0.282, 0.667, 0.129, 0.719]


def build_model(input_dim=10):
    """The article's model, line for line; returns (model, attention_model)."""
    inputs = Input((input_dim,))
    attention_probs = Dense(input_dim, activation="softmax", name="attention_vec")(inputs)
    attention_mul = Multiply()([inputs, attention_probs])
    hidden = Dense(10, activation="sigmoid")(attention_mul)
    output = Dense(1, activation="sigmoid")(hidden)
    return Model(inputs, output), Model(inputs, attention_probs)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "e1"), QUICK)
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    minattn.set_random_seed(args.seed)
    # With seed 1337 these are the article's own samples (see datasets.abs_difference).
    x, _, y = datasets.abs_difference(args.samples, seed=args.seed,
                                      keras_draws=datasets.ARTICLE_E1_KERAS_DRAWS)

    model, attention_model = build_model()
    model.compile(optimizer=Adam(), loss="mse")
    history = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE, verbose=args.verbose)

    predictions = model.predict(x[:10], verbose=0)[:, 0]
    print("first ten targets     ", np.round(y[:10, 0], 3))
    print("first ten predictions ", np.round(predictions, 3))
    attention = attention_model.predict(x, verbose=0).mean(axis=0)
    print("(targets |abc - efg| / 1000 and the model's outputs for the first ten samples)")
    print("mean attention        ", np.array2string(attention, precision=4))
    print("article's attention   ", ARTICLE_ATTENTION)
    top_two = sorted(np.argsort(attention)[-2:].tolist())
    print(f"largest two weights at positions {top_two} (informative positions: {INFORMATIVE})")
    # What the model really uses: the loss rise when one position is shuffled.
    _, importance = analysis.permutation_importance(model, x[:IMPORTANCE_SAMPLES], y[:IMPORTANCE_SAMPLES],
                                                    loss="mse", seed=args.seed)
    print("loss rise when shuffled", np.array2string(importance, precision=4))
    print("(permutation importance: the mse's rise when one position is shuffled across the samples;"
          " near 0 = the model does not use it)")

    plotting.attention_bars(attention, os.path.join(args.out, "attention.png"),
                            "E1: mean attention per input position", reference=ARTICLE_ATTENTION,
                            label=f"minattn, mean of {args.samples:,} samples",
                            reference_label=f"article, mean of {SAMPLES:,} samples", highlight=INFORMATIVE)
    plotting.attention_and_importance(attention, importance, os.path.join(args.out, "importance.png"),
                                      "E1: attention weights vs what the model uses", highlight=INFORMATIVE)
    plotting.loss_curve(history.history, os.path.join(args.out, "loss.png"), "E1: training loss (mse)",
                        reference=ARTICLE_LOSS, log_scale=True, label=f"minattn, {args.samples:,} samples",
                        reference_label=f"article, {SAMPLES:,} samples")
    settings = {"experiment": "E1", "samples": args.samples, "train_samples": args.samples,
                "epochs": args.epochs, "batch_size": BATCH_SIZE, "seed": args.seed}
    write_results(os.path.join(args.out, "results.json"), settings, history,
                  attention=attention, top_two=top_two, permutation_importance=importance,
                  first_ten={"true": y[:10, 0], "predicted": predictions},
                  article={"loss": ARTICLE_LOSS, "attention": ARTICLE_ATTENTION,
                           "true": ARTICLE_TRUE, "predicted": ARTICLE_PRED})
    report_outputs(args.out, {
        "attention.png": "mean attention per input position, ours beside the article's",
        "importance.png": "mean attention above, permutation importance below, per position",
        "loss.png": "training loss per epoch, ours and the article's"})
    return history, attention


if __name__ == "__main__":
    main()
