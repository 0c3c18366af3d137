"""Print markdown tables of the E1-E4 runs under a folder, for docs/results.md.

    python demos/summarize_runs.py docs/runs       # the runs of demos/make_doc_figures.py, as committed
    python demos/summarize_runs.py runs/final      # or those of run_all.py

Runs of other experiments in the folder (Dates, Text, SE, STN) are left out.
"""
import argparse

import numpy as np

from minattn.experiments.results import load_runs

INFORMATIVE_E1_E2 = [1, 2, 3, 5, 6, 7]
EXPERIMENTS = ("E1", "E2", "E3", "E4")


def fmt(value):
    return "-" if value is None else (f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.3e}")


def row(name, record):
    history, settings = record["history"], record["settings"]
    attention = np.asarray(record["attention"])
    seconds = np.mean(record["seconds_per_epoch"])
    rate = np.mean(record["samples_per_second"]) if record.get("samples_per_second") else None
    cells = [name, settings.get("seed"), f"{settings['samples']:,}", settings["epochs"], fmt(history["loss"][-1]),
             fmt(history.get("val_accuracy", [None])[-1]), int(np.argmax(attention)),
             "[" + ", ".join(f"{a:.3f}" for a in attention) + "]", f"{seconds:.1f}",
             f"{rate:,.0f}" if rate else "-"]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder")
    args = parser.parse_args(argv)
    runs = {name: record for name, record in load_runs(args.folder).items()
            if record["settings"].get("experiment") in EXPERIMENTS}
    print("| run | seed | samples | epochs | final loss | final val_accuracy | attention argmax | mean attention "
          "| s/epoch | samples/s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, record in runs.items():
        print(row(name, record))
    print()
    for name, record in runs.items():
        extra = []
        if "informative_mass" in record:
            extra.append(f"attention mass on steps {INFORMATIVE_E1_E2}: {record['informative_mass']:.4f}")
        if "top_two" in record:
            extra.append(f"two largest weights at {record['top_two']}")
        if "permutation_importance" in record:
            rises = np.asarray(record["permutation_importance"])
            extra.append("loss rise when shuffled: [" + ", ".join(fmt(r) for r in rises) + "]")
        if extra:
            print(f"- {name}: " + "; ".join(extra))


if __name__ == "__main__":
    main()
