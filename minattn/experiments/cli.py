"""The command-line options every experiment script shares.

    args = experiment_args(argv, __doc__, samples=300_000, epochs=10, seed=1337,
                           out="runs/e1", quick={"samples": 20_000, "epochs": 3})

gives ``--samples``, ``--epochs``, ``--seed``, ``--out``, ``--quick`` and
``--verbose`` and ``--traced``, with the script's defaults (the article's settings where it
gives them); bad values are refused
with a one-line message before anything runs.
"""
import argparse


def _int_at_least(low):
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
        return value
    return parse


def experiment_parser(description, samples, epochs, seed, out, quick):
    """An ``argparse.ArgumentParser`` with the shared options (add your own to it)."""
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--samples", type=_int_at_least(1), default=samples,
                        help=f"number of samples (default {samples})")
    parser.add_argument("--epochs", type=_int_at_least(1), default=epochs,
                        help=f"training epochs (default {epochs})")
    parser.add_argument("--seed", type=_int_at_least(0), default=seed, help=f"random seed (default {seed})")
    parser.add_argument("--out", default=out, help=f"folder for figures and results.json (default {out})")
    parser.add_argument("--quick", action="store_true",
                        help="a small run: " + ", ".join(f"{k}={v}" for k, v in quick.items()))
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                        help="0 silent, 1 progress bar, 2 one line per epoch")
    parser.add_argument("--traced", action="store_true",
                        help="run the traced layers (every op recorded by autograd) instead of the "
                             "fused ones; same numbers, several times slower")
    parser.set_defaults(quick_settings=quick)
    return parser


def parse_experiment_args(parser, argv=None):
    """Parse, let ``--quick`` replace the sizes it names, and choose fused or traced layers."""
    from .. import config
    args = parser.parse_args(argv)
    config.set_fused(not args.traced)
    if args.quick:
        for key, value in args.quick_settings.items():
            setattr(args, key, value)
    return args
