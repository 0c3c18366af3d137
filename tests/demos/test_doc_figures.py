"""Every figure and table of numbers in docs/ comes from demos/make_doc_figures.py's runs.

The script copies each figure the pages use into docs/figures/ and each
run's results.json into docs/runs/<run>/. These tests fail when a page links
a figure that is not there, a committed figure is used by no page or made by
no run, or a quoted table differs from the committed results.
"""
import contextlib
import io
import os
import re

import pytest

from demo_runner import import_demo

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
FIGURES = os.path.join(DOCS, "figures")
RUNS = os.path.join(DOCS, "runs")
IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)\s]+\.png)\)")




def pages():
    """{path relative to docs/: text} of every markdown page."""
    found = {}
    for folder, _, files in os.walk(DOCS):
        for name in files:
            if name.endswith(".md"):
                path = os.path.join(folder, name)
                with open(path, encoding="utf-8") as handle:
                    found[os.path.relpath(path, DOCS)] = handle.read()
    return found


def linked_figures():
    """{figure path relative to docs/: [pages linking it]} of every image a page shows."""
    links = {}
    for page, text in pages().items():
        for target in IMAGE_LINK.findall(text):
            resolved = os.path.normpath(os.path.join(os.path.dirname(page), target))
            links.setdefault(resolved, []).append(page)
    return links


def committed_figures():
    return sorted(os.path.join("figures", name) for name in os.listdir(FIGURES) if name.endswith(".png"))


def test_every_linked_figure_exists():
    missing = {figure: where for figure, where in linked_figures().items()
               if not os.path.isfile(os.path.join(DOCS, figure))}
    assert not missing, f"pages link figures that docs/ does not have: {missing}"


def test_every_committed_figure_is_used_by_a_page():
    unused = sorted(set(committed_figures()) - set(linked_figures()))
    assert not unused, f"figures in docs/figures that no page shows: {unused}"


def test_every_committed_figure_is_made_by_the_script_and_back():
    made = [os.path.join("figures", name) for name in import_demo("make_doc_figures").doc_figures()]
    assert len(made) == len(set(made)), "two runs copy to the same figure name"
    assert sorted(made) == committed_figures()


def test_every_run_of_the_script_has_its_results_committed():
    runs = import_demo("make_doc_figures").RUNS
    assert sorted(set(os.listdir(RUNS)) - {"bench"}) == sorted(runs)    # bench/: benchmark outputs (--json)
    for name in runs:
        assert os.path.isfile(os.path.join(RUNS, name, "results.json")), name


def printed(function, *args):
    """What ``function(*args)`` prints."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        function(*args)
    return buffer.getvalue()


def table_rows(text):
    """The lines of the markdown tables in ``text`` that hold data (not the header rule)."""
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("|---")]


def test_the_seq2seq_table_is_the_committed_run():
    from minattn.experiments.results import load_runs
    record = load_runs(RUNS)["dates"]
    table = table_rows(printed(import_demo("translate_dates").print_table, record["variants"]))
    page = pages()["seq2seq.md"].replace("**", "")                # bold marks the best value
    missing = [row for row in table if row not in page]
    assert len(table) == 1 + 6 and not missing, f"docs/seq2seq.md does not quote these rows of docs/runs/dates: {missing}"


def test_the_every_run_table_of_results_md_is_the_committed_runs():
    summary = printed(import_demo("summarize_runs").main, [RUNS])
    page = pages()["results.md"]
    rows = table_rows(summary)
    missing = [row for row in rows if row not in page]
    assert len(rows) == 1 + 16 and not missing, f"docs/results.md does not quote these rows of the runs: {missing}"
    notes = [line for line in summary.splitlines() if line.startswith("- ")]
    assert notes and all(line in page for line in notes)


@pytest.mark.parametrize("name", ["seq2seq.md", "results.md"])
def test_pages_name_the_command_that_made_their_numbers(name):
    assert "demos/make_doc_figures.py" in pages()[name]


def test_the_scale_out_gpt_table_is_the_committed_run():
    """docs/scale-out.md's char GPT table quotes docs/runs/scale_out_gpt, rounded as printed there
    (read as the site shows it: the run markers, ``<!--run:...-->``, left out)."""
    import re
    from minattn.experiments.results import load_runs
    record = load_runs(RUNS)["scale_out_gpt"]
    page = re.sub(r"<!--run:[^>]*-->", "", pages()["scale-out.md"])
    bits, steps = record["bits_per_char"], record["seconds_per_step"]
    quoted = [", ".join(f"{v:.4f}" for v in record["history"]["loss"]) + " | "
              + ", ".join(f"{v:.4f}" for v in record["keras_loss"]) + " |",
              f"| {bits['minattn']:.5f} after training; {bits['keras_exported']:.5f} in Keras just after the export "
              f"| {bits['keras_trained']:.4f} after training |",
              ", ".join(f"{s:.2f}" for s in record["minattn_seconds_per_step"]) + " | "
              f"{steps['keras_first_epoch']:.2f} (epoch 3, compiling), {steps['keras_jit']:.2f} |",
              f"{record['settings']['params']:,}".replace(",", " ") + " weights",
              f"Keras {record['keras_version']},\nJAX {record['jax_version']}"]
    missing = [text for text in quoted if text not in page]
    assert not missing, f"docs/scale-out.md does not quote docs/runs/scale_out_gpt: {missing}"
    gap = f"{abs(bits['minattn'] - bits['keras_exported']):.0e}".replace("e-0", "e-")
    assert f"differ by\n{gap}" in page

