"""SE -- channel attention: squeeze-excitation finds the channels that carry the class (seed article 002).

Synthetic 12 x 12 images with 8 channels (``datasets.channel_planted_images``):
every channel holds a stroke (-, |, \\ or /) plus noise, but only channels
1, 4 and 6 draw the image's class; the others draw decoys of random classes.
The same small conv net is trained three times: without SE, with the
article's SE block (gate hard_swish) and with MobileNetV3's (gate
hard_sigmoid), each SE block on the input channels. The mean SE weight per
channel should rise on the informative channels.

    python demos/se_channels.py            # default run, ~1 minute on 2 cores
    python demos/se_channels.py --quick
    python demos/se_channels.py --ratio 4  # the article's ratio (writes runs/se_channels_ratio4)
"""
import os

import numpy as np

import minattn
from minattn import Input, Model, datasets
from minattn.plotting import vision as plotting_vision
from minattn.experiments.cli import experiment_parser, int_at_least, parse_experiment_args
from minattn.layers import Conv2D, Dense, GlobalAveragePooling2D, MaxPooling2D, SqueezeExcite
from minattn.optimizers import Adam
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 8_000
EPOCHS = 12
BATCH_SIZE = 64
SEED = 0
SIZE = 12
CHANNELS = 8
INFORMATIVE = (1, 4, 6)
NOISE = 0.4
RATIO = 2                     # 8 channels -> a 4-unit bottleneck (the article's ratio, 4, gives 2 units)
TEST_SAMPLES = 2_000
QUICK = {"samples": 3_000, "epochs": 6}
VARIANTS = {"no SE": None, "SE hard_swish (article)": "hard_swish",
            "SE hard_sigmoid (MobileNetV3)": "hard_sigmoid"}


def build_model(gate=None, ratio=RATIO):
    """Conv net on the image, with an SE block on the input channels when ``gate`` is given.

    Returns (model, channel_weights_model or None).
    """
    inputs = Input((SIZE, SIZE, CHANNELS))
    x, weights = inputs, None
    if gate is not None:
        x, weights = SqueezeExcite(ratio, gate=gate, return_weights=True, name="se")(inputs)
    x = Conv2D(8, 3, activation="relu")(x)                            # (10, 10, 8)
    x = MaxPooling2D(2)(x)                                            # (5, 5, 8)
    x = Conv2D(16, 3, activation="relu")(x)                           # (3, 3, 16)
    outputs = Dense(4, activation="softmax")(GlobalAveragePooling2D()(x))
    return Model(inputs, outputs), (Model(inputs, weights) if gate is not None else None)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "se_channels"), QUICK)
    parser.add_argument("--ratio", type=int_at_least(1), default=RATIO,
                        help=f"the SE blocks' reduction ratio (default {RATIO}; the article's is 4)")
    return parse_experiment_args(parser, argv,
                                 variant=lambda a: [] if a.ratio == RATIO else [f"ratio{a.ratio}"])


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    x, y = datasets.channel_planted_images(args.samples, SIZE, CHANNELS, INFORMATIVE, noise=NOISE,
                                           seed=args.seed)
    test_x, test_y = datasets.channel_planted_images(TEST_SAMPLES, SIZE, CHANNELS, INFORMATIVE, noise=NOISE,
                                                     seed=args.seed + 1)
    accuracy, weights, histories = {}, {}, {}
    for label, gate in VARIANTS.items():
        minattn.clear_session()
        minattn.set_random_seed(args.seed)                           # the same start for every variant
        model, weights_model = build_model(gate, args.ratio)
        model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        print(f"--- {label}")
        history = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE, verbose=args.verbose,
                            validation_data=(test_x, test_y))
        histories[label] = history
        accuracy[label] = float(np.mean(np.argmax(model.predict(test_x, verbose=0), axis=-1) == test_y))
        print(f"{label}: test accuracy {accuracy[label]:.3f} (share of the {TEST_SAMPLES} test images "
              "classified right)")
        if weights_model is not None:
            w = weights_model.predict(test_x, verbose=0)                         # (samples, channels)
            weights[label] = (w.mean(axis=0), w.std(axis=0))
            print("  mean SE weight per channel", np.array2string(w.mean(axis=0), precision=3),
                  f"(informative: {list(INFORMATIVE)}; the factor the block scales each channel by, "
                  "averaged over the test images)")

    decoys = [c for c in range(CHANNELS) if c not in INFORMATIVE]
    summary = {label: {"informative_mean": float(np.mean(m[list(INFORMATIVE)])),
                       "decoy_mean": float(np.mean(m[decoys])),
                       "informative_min": float(np.min(m[list(INFORMATIVE)])),
                       "decoy_max": float(np.max(m[decoys]))} for label, (m, _) in weights.items()}
    for label, s in summary.items():
        print(f"{label}: mean weight informative {s['informative_mean']:.3f} vs decoy {s['decoy_mean']:.3f}"
              " (SE weight averaged over the channels that carry the class, and over the others)")

    plotting_vision.channel_weights([(label, m, sd) for label, (m, sd) in weights.items()],
                                    os.path.join(args.out, "se_weights.png"),
                                    f"SE: squeeze-excitation weight per input channel (mean and sd over {TEST_SAMPLES:,} test images)",
                                    informative=INFORMATIVE, accuracies=accuracy)
    sample = test_x[0]
    plotting_vision.image_rows([[sample[:, :, c] for c in range(CHANNELS)]],
                               os.path.join(args.out, "sample.png"),
                               f"SE: one test image, class {test_y[0]} (-, |, \\, / = 0..3); "
                               f"informative channels {list(INFORMATIVE)}",
                               col_labels=[f"ch {c}" + (" *" if c in INFORMATIVE else "") for c in range(CHANNELS)])
    plotting_vision.loss_curves({label: h.history for label, h in histories.items()},
                                os.path.join(args.out, "loss.png"), "SE: loss (sparse categorical cross-entropy)")
    settings = {"experiment": "SE", "samples": args.samples, "train_samples": args.samples,
                "epochs": args.epochs, "batch_size": BATCH_SIZE, "seed": args.seed, "size": SIZE,
                "channels": CHANNELS, "informative": list(INFORMATIVE), "noise": NOISE, "ratio": args.ratio,
                "test_samples": TEST_SAMPLES}
    write_results(os.path.join(args.out, "results.json"), settings, histories["SE hard_swish (article)"],
                  test_accuracy=accuracy, se_weights={k: m for k, (m, _) in weights.items()},
                  se_weight_summary=summary,
                  histories={k: h.history for k, h in histories.items()})
    report_outputs(args.out, {
        "se_weights.png": "mean SE weight per channel for each SE model, and every model's test accuracy",
        "sample.png": "one test image, channel by channel (* = informative channel)",
        "loss.png": "training (solid) and test (dashed) loss per epoch of the three models"})
    return accuracy, summary


if __name__ == "__main__":
    main()
