"""The code still computes the numbers the committed runs were made with (drift is caught in CI).

Each demo runs at a small size (``QUICK_REFERENCES`` in demos/make_doc_figures.py,
seconds each, one BLAS thread) and every number of its results.json -- losses,
accuracies, attention weights, importances, SE weights; not timings -- is
compared with the committed reference, tests/fixtures/quick_runs/<name>/results.json.

The tolerance, ``RTOL`` = 1e-4 per number (relative to the number, or for an item of
an array -- a loss curve, an attention map -- to the array's largest size), sits
between two drifts measured on the quick references (one BLAS thread unless said):

* float reordering stays below it: the runs with two BLAS threads against one
  differ by at most 1.4e-9; the readable path (``--traced``: other ops, other
  order, other rounding -- more reordering than another BLAS build brings)
  against the fast one by at most 4.8e-5 (char_gpt's attention maps; every other
  demo 8.4e-6 or less);
* a changed kernel crosses it: the fast path's sigmoid and softmax made to return
  values 1e-4 too large (relative) moved E1 by 1.3e-4, E2 1.2e-4, E2 per-feature
  3.1e-4, the dates 2.3e-4, E3 1.1e-3, E4 3.6e-3, the reviews 3.8e-3 (an accuracy
  changed); the demos that do not use those kernels, with Adam's step 1e-4 too
  long instead: the GPT 4.2e-4, the dates Transformer 1.3e-4 (with 3 epochs: 1
  epoch gave 2.5e-5, which is why its reference trains 3), the spatial
  transformer 4.8e-3, SE 6.1e-3.

A change of rounding size (the same kernels 1e-6 off moved the quick runs by at
most 1.1e-5) passes; such a change can still move the full-size runs (a trained
network amplifies rounding), so re-make the runs after any kernel change, as
the message below says.

Re-make the references (after re-making the runs, on the same code):
``python demos/make_doc_figures.py --quick-references``.
"""
import json
import os
import subprocess

import pytest

from demo_runner import import_demo
from quick_runs import largest_difference, numbers, relative_difference

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIGURES = import_demo("make_doc_figures")
RTOL = 1e-4


def reference(name):
    with open(os.path.join(FIGURES.QUICK_REFERENCE_FOLDER, name, "results.json")) as handle:
        return json.load(handle)


def full_runs_of(name):
    """The full-size runs (names in RUNS) made by the same script as quick reference ``name``."""
    script = FIGURES.QUICK_REFERENCES[name][0]
    return [run for run, (command, _) in FIGURES.RUNS.items() if command[0] == script]


def test_every_demo_of_the_doc_runs_has_a_quick_reference():
    scripts = {command[0] for command, _ in FIGURES.RUNS.values()} - set(FIGURES.PLAIN_SCRIPTS)
    assert scripts == {command[0] for command in FIGURES.QUICK_REFERENCES.values()}
    committed = sorted(os.listdir(FIGURES.QUICK_REFERENCE_FOLDER))
    assert committed == sorted(FIGURES.QUICK_REFERENCES), "re-make: python demos/make_doc_figures.py --quick-references"


@pytest.mark.parametrize("name", sorted(FIGURES.QUICK_REFERENCES))
def test_the_reference_was_made_by_todays_command(name):
    """Its provenance names the command the script gives now (a changed size needs new references)."""
    made_by = reference(name)["provenance"]["command"].split()
    wanted = FIGURES.reference_command(name, "FOLDER")[1:]
    wanted[0] = os.path.relpath(wanted[0], ROOT)
    assert made_by[1:] == [w if w != "FOLDER" else made_by[1 + i] for i, w in enumerate(wanted)], (
        f"tests/fixtures/quick_runs/{name} was made by {' '.join(made_by)}; "
        f"re-make it: python demos/make_doc_figures.py --quick-references {name}")


@pytest.mark.parametrize("name", sorted(FIGURES.QUICK_REFERENCES))
def test_the_demo_still_gives_its_committed_numbers(tmp_path, name):
    folder = str(tmp_path / name)
    completed = subprocess.run(FIGURES.reference_command(name, folder), capture_output=True, text=True,
                               timeout=600, env=dict(os.environ, MPLBACKEND="Agg", **FIGURES.ONE_THREAD))
    assert completed.returncode == 0, completed.stderr[-3000:]
    with open(os.path.join(folder, "results.json")) as handle:
        now = json.load(handle)
    committed = reference(name)
    worst, path = largest_difference(committed, now)
    if worst <= RTOL:
        return
    ours, theirs = numbers(committed), numbers(now)
    moved = sorted(((relative_difference(ours[p], theirs[p]), p) for p in ours if p in theirs), reverse=True)
    shown = "\n".join(f"  {p}: committed {ours[p]!r}, now {theirs[p]!r}" for d, p in moved[:8] if d > RTOL)
    runs = " ".join(full_runs_of(name))
    pytest.fail(
        f"the code no longer computes the numbers the committed runs of {FIGURES.QUICK_REFERENCES[name][0]} "
        f"were made with (largest relative difference {worst:.2g} at {path!r}, tolerance {RTOL:g}):\n{shown}\n"
        f"The pages quote the full-size runs; re-make them and these references on this code:\n"
        f"  python demos/make_doc_figures.py --only {runs}\n"
        f"  python demos/make_doc_figures.py --quick-references {name}\n"
        f"  python docs/hooks/run_numbers.py --write     # then read the prose around the changed numbers")


def test_the_comparison_sees_a_changed_number_and_ignores_timings():
    record = {"history": {"loss": [0.5, 0.25]}, "seconds_per_epoch": [3.0], "provenance": {"date": 1},
              "variants": {"a": {"exact_match": 0.99, "train_seconds": 4.0}}}
    moved = json.loads(json.dumps(record))
    moved["seconds_per_epoch"], moved["variants"]["a"]["train_seconds"] = [9.0], 1.0
    assert largest_difference(record, moved)[0] == 0.0
    moved["variants"]["a"]["exact_match"] = 0.98
    worst, path = largest_difference(record, moved)
    assert path == "variants.a.exact_match" and worst > RTOL
    del moved["history"]["loss"][1]
    assert largest_difference(record, moved)[0] == float("inf")


def test_an_item_of_an_array_is_compared_at_the_arrays_scale():
    record = {"attention": [[0.5, 1e-5], [0.2, 0.3]]}
    moved = {"attention": [[0.5, 2e-5], [0.2, 0.3]]}                 # doubled, but 1e-5 of the map's scale
    assert largest_difference(record, moved)[0] == pytest.approx(2e-5)
    assert numbers(record)["attention.0.1"] == (1e-5, 0.5)
