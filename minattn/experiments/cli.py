"""The command-line options every experiment script shares.

    parser = experiment_parser(__doc__, samples=300_000, epochs=10, seed=1337,
                               out="runs/e1", quick={"samples": 20_000, "epochs": 3})
    args = parse_experiment_args(parser, argv)

gives ``--samples``, ``--epochs``, ``--seed``, ``--out``, ``--quick``,
``--verbose`` and ``--traced``, with the script's defaults (the article's
settings where it gives them); bad values are refused with a one-line
message before anything runs.

``--quick`` sets the sizes it names only where the command line does not:
``--quick --epochs 5`` runs the quick sample count for 5 epochs. A variant
of a demo (``--per-feature``, ``--bidirectional``, ...) writes to a folder
of its own unless ``--out`` is given: pass ``variant=`` to
``parse_experiment_args`` (``runs/e2`` becomes ``runs/e2_per_feature``).
"""
import argparse

NOT_GIVEN = object()      # marks an option the command line did not set


def int_at_least(low):
    """An argparse ``type``: the text as an integer >= ``low``, or a one-line error."""
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
    """An ``argparse.ArgumentParser`` with the shared options (add your own to it).

    Args:
        description: the script's docstring (its first line becomes the description).
        samples: the default of ``--samples``.
        epochs: the default of ``--epochs``.
        seed: the default of ``--seed``.
        out: the default folder for figures and results.json (a variant adds a suffix).
        quick: ``{option name: value}`` that ``--quick`` sets unless given explicitly.
    """
    parser = argparse.ArgumentParser(description=description.strip().splitlines()[0])
    parser.add_argument("--samples", type=int_at_least(1), default=samples,
                        help=f"number of samples (default {samples})")
    parser.add_argument("--epochs", type=int_at_least(1), default=epochs,
                        help=f"training epochs (default {epochs})")
    parser.add_argument("--seed", type=int_at_least(0), default=seed, help=f"random seed (default {seed})")
    parser.add_argument("--out", default=None,
                        help=f"folder for figures and results.json (default {out}, or {out}_<variant> "
                             "for a variant of the demo)")
    parser.add_argument("--quick", action="store_true",
                        help="a small run: " + ", ".join(f"{k}={v}" for k, v in quick.items())
                             + " (explicit options win)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                        help="0 silent, 1 progress bar, 2 one line per epoch")
    parser.add_argument("--traced", action="store_true",
                        help="run the readable path (each layer's apply, every op recorded by "
                             "autograd) instead of the fast one, the default; same numbers to float "
                             "rounding, several times slower")
    parser.set_defaults(quick_settings=dict(quick), out_base=out)
    return parser


def parse_experiment_args(parser, argv=None, variant=None):
    """Parse; apply ``--quick`` where the command line is silent; choose the output folder and layers.

    Args:
        parser: from ``experiment_parser`` (with the script's own options added).
        argv: the arguments (``None``: ``sys.argv[1:]``).
        variant: optional function ``args -> list of str`` naming the variant
            being run (``["per_feature"]``; empty for the plain demo); the
            default ``--out`` is the base folder with these joined by ``_``.

    Returns:
        the ``argparse.Namespace``.
    """
    from .. import config
    quick = parser.get_default("quick_settings")
    # argparse fills in a default only for a name the namespace lacks: pre-set the
    # names --quick may change, and whatever still holds NOT_GIVEN was not typed.
    args = parser.parse_args(argv, argparse.Namespace(**{key: NOT_GIVEN for key in quick}))
    for key in quick:
        if getattr(args, key) is NOT_GIVEN:
            setattr(args, key, quick[key] if args.quick else parser.get_default(key))
    if args.out is None:
        parts = [args.out_base] + list(variant(args) if variant else [])
        args.out = "_".join(parts)
    config.set_fast(not args.traced)
    return args

