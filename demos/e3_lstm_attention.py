"""E3 -- attention over the outputs of an LSTM, the ``attention_3d_block`` (seed article 002).

Sequences of 10 steps x 2 Gaussian features, where both features of step 2
are overwritten with the binary label. After training, the attention the
model puts on each time step should peak at step 2.

    python demos/e3_lstm_attention.py            # the article's full run
    python demos/e3_lstm_attention.py --quick
"""
import os

import numpy as np

import minattn
from minattn import Input, Model, datasets, plotting
from minattn.layers import LSTM, Dense, Flatten, Multiply, Permute
from minattn.optimizers import Adam
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 100_000
EPOCHS = 1
BATCH_SIZE = 64
VALIDATION_SPLIT = 0.1
SEED = 0
TIME_STEPS = 10
INPUT_DIM = 2
ATTENTION_COLUMN = 2
LSTM_UNITS = 32
TEST_SAMPLES = 300
QUICK = {"samples": 10_000, "epochs": 1}


def attention_3d_block(inputs):
    """Softmax over time for every LSTM unit, multiplied back into the LSTM outputs."""
    a = Permute((2, 1))(inputs)                                  # (units, time)
    a = Dense(TIME_STEPS, activation="softmax")(a)               # softmax over time
    attention_probs = Permute((2, 1), name="attention_vec")(a)  # (time, units)
    return Multiply(name="attention_mul")([inputs, attention_probs]), attention_probs


def build_model():
    """The article's model; returns (model, attention_model)."""
    inputs = Input((TIME_STEPS, INPUT_DIM))
    lstm_out = LSTM(LSTM_UNITS, return_sequences=True)(inputs)  # (time, units)
    attention_mul, attention_probs = attention_3d_block(lstm_out)
    output = Dense(1, activation="sigmoid")(Flatten()(attention_mul))
    return Model(inputs, output), Model(inputs, attention_probs)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "e3"), QUICK)
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    minattn.set_random_seed(args.seed)
    x, y = datasets.planted_time_step(args.samples, TIME_STEPS, INPUT_DIM, ATTENTION_COLUMN, seed=args.seed)
    model, attention_model = build_model()
    model.compile(optimizer=Adam(), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE,
                        validation_split=VALIDATION_SPLIT, verbose=args.verbose)

    # The article feeds 300 fresh samples one at a time; one batch gives the same numbers.
    test_x, _ = datasets.planted_time_step(TEST_SAMPLES, TIME_STEPS, INPUT_DIM, ATTENTION_COLUMN,
                                           seed=args.seed + 1)
    per_sample = attention_model.predict(test_x, verbose=0).mean(axis=-1)   # (samples, time)
    for vector in per_sample:
        assert abs(np.sum(vector) - 1.0) < 1e-5, "an attention vector does not sum to 1"
    print(f"each of the {TEST_SAMPLES} attention vectors sums to 1 (checked to 1e-5)")
    attention = per_sample.mean(axis=0)
    print("mean attention per time step", np.array2string(attention, precision=4))
    print(f"peak at time step {int(np.argmax(attention))} (planted: {ATTENTION_COLUMN})")

    plotting.attention_bars(attention, os.path.join(args.out, "attention.png"),
                            "E3: mean attention per time step", xlabel="time step",
                            label=f"minattn, mean of {TEST_SAMPLES} test samples", highlight=[ATTENTION_COLUMN])
    figures = {"attention.png": f"mean attention per time step (planted step {ATTENTION_COLUMN} shaded)"}
    if args.epochs > 1:                      # one epoch is one point per curve: the numbers say it all
        plotting.loss_curve(history.history, os.path.join(args.out, "loss.png"),
                            "E3: loss (binary cross-entropy)")
        figures["loss.png"] = "training and validation loss per epoch"
    train_samples = int(args.samples * (1 - VALIDATION_SPLIT))
    settings = {"experiment": "E3", "samples": args.samples, "train_samples": train_samples,
                "epochs": args.epochs, "batch_size": BATCH_SIZE, "validation_split": VALIDATION_SPLIT,
                "seed": args.seed}
    write_results(os.path.join(args.out, "results.json"), settings, history, attention=attention,
                  peak=int(np.argmax(attention)))
    report_outputs(args.out, figures)
    return history, attention


if __name__ == "__main__":
    main()
