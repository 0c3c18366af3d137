"""STN -- spatial attention: a spatial transformer finds, straightens and zooms in on the glyph (seed article 002).

Synthetic 32 x 32 images (``datasets.digit_glyphs``): a digit from a 5 x 7
bitmap font, scaled 1.5-2.5x, rotated up to 30 degrees and put anywhere on
the canvas. The same small classifier (Flatten -> Dense(64, relu) ->
Dense(10, softmax)) is trained twice: on the raw canvas, and behind a
SpatialTransformer that resamples the canvas to a 16 x 16 view it chooses.
The transformer starts as the identity (the whole canvas at half
resolution) and learns, from the class labels alone, to look at the glyph.

    python demos/spatial_transformer.py            # default run, 2-4 minutes on 2 cores
    python demos/spatial_transformer.py --quick
"""
import os

import numpy as np

import minattn
from minattn import Input, Model, datasets
from minattn.plotting import vision as plotting_vision
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.layers import Dense, Flatten, SpatialTransformer
from minattn.optimizers import Adam
from minattn.experiments.results import report_outputs, write_results

SAMPLES = 10_000
EPOCHS = 8
BATCH_SIZE = 64
SEED = 0
CANVAS = 32
VIEW = (16, 16)               # the transformer's output size
LOCALIZATION_UNITS = 32
HIDDEN = 64
TEST_SAMPLES = 2_000
SHOWN = 10                    # test images in the figure
QUICK = {"samples": 3_000, "epochs": 4}


def classifier(x):
    """The classifier both models share (same layers, same sizes; only its input differs)."""
    x = Flatten()(x)
    x = Dense(HIDDEN, activation="relu")(x)
    return Dense(10, activation="softmax")(x)


def build_model(use_stn):
    """Returns (model, transformed-image model or None, theta model or None)."""
    inputs = Input((CANVAS, CANVAS, 1))
    if not use_stn:
        return Model(inputs, classifier(inputs)), None, None
    view, theta = SpatialTransformer(LOCALIZATION_UNITS, output_size=VIEW, return_theta=True,
                                     name="stn")(inputs)                # (16, 16, 1), (6,)
    return Model(inputs, classifier(view)), Model(inputs, view), Model(inputs, theta)


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "spatial_transformer"),
                               QUICK)
    return parse_experiment_args(parser, argv)


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    x, y = datasets.digit_glyphs(args.samples, CANVAS, seed=args.seed)
    test_x, test_y = datasets.digit_glyphs(TEST_SAMPLES, CANVAS, seed=args.seed + 1)
    accuracy, histories = {}, {}
    for label, use_stn in (("classifier alone", False), ("STN + classifier", True)):
        minattn.clear_session()
        minattn.set_random_seed(args.seed)
        model, view_model, theta_model = build_model(use_stn)
        model.compile(optimizer=Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        print(f"--- {label}")
        histories[label] = model.fit(x, y, epochs=args.epochs, batch_size=BATCH_SIZE, verbose=args.verbose,
                                     validation_data=(test_x, test_y))
        accuracy[label] = float(np.mean(np.argmax(model.predict(test_x, verbose=0), axis=-1) == test_y))
        print(f"{label}: test accuracy {accuracy[label]:.3f} (share of the {TEST_SAMPLES} test images "
              "classified right)")
    views = view_model.predict(test_x[:SHOWN], verbose=0)                           # (SHOWN, 16, 16, 1)
    theta = theta_model.predict(test_x, verbose=0)                                  # (samples, 6)
    zoom = np.sqrt(np.abs(theta[:, 0] * theta[:, 4] - theta[:, 1] * theta[:, 3]))   # sqrt |det A|
    print(f"mean zoom sqrt|det A| = {zoom.mean():.3f} (1 = the whole canvas, smaller = zoomed in)")

    plotting_vision.image_rows([[im[:, :, 0] for im in test_x[:SHOWN]], [v[:, :, 0] for v in views]],
                               os.path.join(args.out, "stn_views.png"),
                               f"STN: test images (top, {CANVAS}x{CANVAS}) and the spatial transformer's "
                               f"{VIEW[0]}x{VIEW[1]} output (bottom)",
                               row_labels=["input", "STN output"],
                               col_labels=[f"digit {d}" for d in test_y[:SHOWN]])
    plotting_vision.loss_curves({label: h.history for label, h in histories.items()},
                                os.path.join(args.out, "loss.png"),
                                "STN: loss; test accuracy " + ", ".join(f"{k} {v:.3f}" for k, v in accuracy.items()))
    settings = {"experiment": "STN", "samples": args.samples, "train_samples": args.samples,
                "epochs": args.epochs, "batch_size": BATCH_SIZE, "seed": args.seed, "canvas": CANVAS,
                "view": list(VIEW), "localization_units": LOCALIZATION_UNITS, "hidden": HIDDEN,
                "test_samples": TEST_SAMPLES}
    write_results(os.path.join(args.out, "results.json"), settings, histories["STN + classifier"],
                  test_accuracy=accuracy, mean_zoom=float(zoom.mean()), theta_mean=theta.mean(axis=0),
                  histories={k: h.history for k, h in histories.items()})
    report_outputs(args.out, {
        "stn_views.png": "test images (top) and what the transformer passes to the classifier (bottom)",
        "loss.png": "training (solid) and test (dashed) loss per epoch of both models"})
    return accuracy, float(zoom.mean())


if __name__ == "__main__":
    main()
