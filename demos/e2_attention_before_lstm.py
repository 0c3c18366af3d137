"""E2 -- attention over time steps in front of an LSTM (seed article 000).

The same abs-difference digits as E1, one-hot encoded: (10 time steps, 10
features). A Dense softmax over the time axis (after a Permute) gives each
feature a distribution over time steps; by default these are averaged over
the features ("only_time_step"), so there is one weight per time step.

    python demos/e2_attention_before_lstm.py                  # the article's full run
    python demos/e2_attention_before_lstm.py --per-feature    # one weight per step AND feature
    python demos/e2_attention_before_lstm.py --quick
"""
import os

import autograd.numpy as anp
import numpy as np

import minattn
from minattn import Input, Model, datasets, plotting
from minattn.experiments import analysis
from minattn.layers import LSTM, Dense, Lambda, Multiply, Permute, RepeatVector
from minattn.optimizers import Adam
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 300_000
EPOCHS = 10
BATCH_SIZE = 32
SEED = 1337
TIME_STEPS = 10
INPUT_DIM = 10
LSTM_UNITS = 64
QUICK = {"samples": 20_000, "epochs": 2}
INFORMATIVE = [1, 2, 3, 5, 6, 7]
IMPORTANCE_SAMPLES = 10_000       # samples used to measure permutation importance

ARTICLE_LOSS = [0.0146, 1.3361e-4, 1.8170e-5, 1.0955e-5, 7.9359e-6, 6.3272e-6, 5.5028e-6,
                4.9407e-6, 4.3552e-6, 3.9599e-6]


def build_model(only_time_step=True):
    """The article's model; returns (model, attention_model).

    The attention model outputs the weights the article plots: one per time
    step (only_time_step) or the full (time, features) grid.
    """
    inputs = Input((TIME_STEPS, INPUT_DIM))
    a = Permute((2, 1))(inputs)                                   # (features, time)
    a = Dense(TIME_STEPS, activation="softmax")(a)                # softmax over time, per feature
    if only_time_step:
        a = Lambda(lambda t: anp.mean(t, axis=1), name="dim_reduction")(a)   # (time,)
        weight = a
        a = RepeatVector(INPUT_DIM)(a)                            # (features, time)
    attention_probs = Permute((2, 1), name="attention_vec")(a)   # (time, features)
    if not only_time_step:
        weight = attention_probs
    weighted = Multiply()([inputs, attention_probs])
    out = LSTM(LSTM_UNITS, return_sequences=False)(weighted)
    out = Dense(1, activation="sigmoid")(out)
    return Model(inputs, out), Model(inputs, weight)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "e2"), QUICK)
    parser.add_argument("--per-feature", action="store_true",
                        help="only_time_step=False: one weight per time step and feature")
    return parse_experiment_args(parser, argv, variant=lambda a: ["per_feature"] if a.per_feature else [])


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    minattn.set_random_seed(args.seed)
    _, x_one_hot, y = datasets.abs_difference(args.samples, seed=args.seed,
                                              keras_draws=datasets.ARTICLE_E1_KERAS_DRAWS)
    model, attention_model = build_model(only_time_step=not args.per_feature)
    model.compile(optimizer=Adam(), loss="mse")
    history = model.fit(x_one_hot, y, epochs=args.epochs, batch_size=BATCH_SIZE, verbose=args.verbose)

    weights = attention_model.predict(x_one_hot, verbose=0).mean(axis=0)    # (time,) or (time, features)
    attention = weights if weights.ndim == 1 else weights.mean(axis=1)
    informative = float(attention[INFORMATIVE].sum())
    name = "E2 per-feature" if args.per_feature else "E2"
    variant = "one weight per time step and feature" if args.per_feature else "one weight per time step"
    print(f"{name} ({variant}): mean attention per time step", np.array2string(attention, precision=4))
    print(f"attention mass on steps {INFORMATIVE}: {informative:.4f}, on the other four: "
          f"{1 - informative:.4f}")
    print("(the share of the mean attention on the six digits the target depends on; uniform: 0.6)")

    _, importance = analysis.permutation_importance(model, x_one_hot[:IMPORTANCE_SAMPLES],
                                                    y[:IMPORTANCE_SAMPLES], loss="mse", seed=args.seed)
    print("loss rise when a time step is shuffled", np.array2string(importance, precision=5))
    print("(permutation importance: the mse's rise when one time step is shuffled across the samples;"
          " near 0 = the model does not use it)")
    plotting.attention_bars(attention, os.path.join(args.out, "attention.png"),
                            f"{name}: mean attention per time step ({variant})", xlabel="time step",
                            label=f"minattn, mean of {args.samples:,} samples", highlight=INFORMATIVE)
    figures = {"attention.png": "mean attention per time step (informative steps shaded)"}
    if weights.ndim == 2:
        plotting.heatmap(weights, os.path.join(args.out, "attention_grid.png"),
                         f"{name}: mean attention per (time step, feature)\nover {args.samples:,} samples",
                         xlabel="feature (digit)", ylabel="time step")
        figures["attention_grid.png"] = "mean attention of every (time step, feature) pair"
    plotting.attention_and_importance(attention, importance, os.path.join(args.out, "importance.png"),
                                      f"{name}: attention weights vs what the model uses", xlabel="time step",
                                      highlight=INFORMATIVE)
    plotting.loss_curve(history.history, os.path.join(args.out, "loss.png"), f"{name}: training loss (mse)",
                        reference=ARTICLE_LOSS, log_scale=True, label=f"minattn, {args.samples:,} samples",
                        reference_label=f"article (plain E2), {SAMPLES:,} samples")
    figures["importance.png"] = "mean attention above, permutation importance below, per time step"
    figures["loss.png"] = "training loss per epoch, ours and the article's"
    settings = {"experiment": "E2", "only_time_step": not args.per_feature, "samples": args.samples,
                "train_samples": args.samples, "epochs": args.epochs, "batch_size": BATCH_SIZE,
                "seed": args.seed}
    write_results(os.path.join(args.out, "results.json"), settings, history, attention=attention,
                  attention_grid=weights if weights.ndim == 2 else None,
                  informative_mass=informative, permutation_importance=importance,
                  article={"loss": ARTICLE_LOSS})
    report_outputs(args.out, figures)
    return history, attention


if __name__ == "__main__":
    main()
