"""Every result number a page quotes is rendered from a committed run (docs/hooks/run_numbers.py).

A result is written ``0.9975<!--run:dates:variants.global_additive.exact_match-->``
(or sits in a ``<!--table:NAME-->`` block a demo prints). These tests fail
when a page's literal differs from its run, when a marker names a run or a
path that does not exist, and when a page quotes a result-like number with no
marker: a decimal (``0.73``, ``4.4e-6``), a percentage, a time (``95 s``,
``2 min``), a ratio (``3.5x``) or a count of weights. Whole numbers otherwise
(epochs, sizes, seeds, line counts) are settings, not results, and are not
scanned; nor is code (fenced or in backticks) or mathematics.

The allow-list below names, page by page, the phrases whose numbers are not
results of a run (versions, tolerances the tests enforce, hyper-parameters
of a command, numbers of the original articles): each phrase must occur in
its page, so an entry that no longer applies fails too.

After re-making the runs: ``python docs/hooks/run_numbers.py --write`` rewrites
every literal from them (then read the prose around the changes).
"""
import importlib.util
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
spec = importlib.util.spec_from_file_location("run_numbers", os.path.join(ROOT, "docs", "hooks", "run_numbers.py"))
run_numbers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_numbers)

PAGES = run_numbers.pages()
TIME = r"(?:s|ms|min|h|hours?|minutes?|seconds?|CPU s)\b"
RESULT_LIKE = re.compile(
    rf"(?<![\w.\-/])(?:\d+(?:\.\d+)?(?:e-?\d+)?%"                     # a percentage
    rf"|\d+\.\d+(?:e-?\d+)?(?:x\b|×)?"                               # a decimal (or a ratio 3.5x)
    rf"|\d{{1,3}}(?: \d{{3}})+ (?:weights|parameters)|\d+ (?:weights|parameters)"   # a count of weights
    rf"|\d+(?:x\b|×)"                                                 # a whole ratio, 10x
    rf"|\d+ {TIME})")                                                 # a time

from doc_numbers_allowed import ALLOWED, BENCHMARKS, UNSOURCED  # noqa: E402  (the allow-list, one file of phrases)


def read(page):
    with open(os.path.join(ROOT, page), encoding="utf-8") as handle:
        return handle.read()


def unsourced(text, allowed=()):
    """The result-like numbers of ``text`` with no marker: ``[(line number, number, line)]``."""
    text = re.sub(r"```.*?```", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    for block in (run_numbers.TABLE, run_numbers.UNSOURCED):
        text = block.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        plain = run_numbers.MARKER.sub("", line)
        for phrase in allowed:
            plain = plain.replace(phrase, "")
        plain = re.sub(r"`[^`]*`|\$[^$]*\$|\]\([^)]*\)|<!--.*?-->|https?://\S+", "", plain)
        found += [(number, match.group(0), line.strip()) for match in RESULT_LIKE.finditer(plain)]
    return found


def test_the_scan_finds_results_and_skips_what_is_marked():
    text = ("exact match 0.9975, 2.2e-7 apart, 73% of it, in 95 s (3.5x faster), 68 238 weights\n"
            "exact match 0.9975<!--run:dates:variants.global_additive.exact_match--> after 20 epochs, "
            "`lr=0.003`, $x^{0.5}$\n```\nloss 0.25\n```\n")
    assert [n for _, n, _ in unsourced(text)] == ["0.9975", "2.2e-7", "73%", "95 s", "3.5x", "68 238 weights"]
    assert unsourced(text, ["exact match 0.9975, 2.2e-7 apart, 73% of it, in 95 s (3.5x faster), 68 238"]) == []


@pytest.mark.parametrize("page", PAGES)
def test_every_result_number_of_the_page_comes_from_a_run(page):
    allowed = ALLOWED.get(page, [])
    text = read(page)
    gone = [phrase for phrase in allowed if phrase not in text]
    assert not gone, f"{page}: allow-list phrases the page no longer has (remove them): {gone}"
    bare = unsourced(text, allowed)
    assert not bare, (f"{page} quotes numbers with no run behind them; write each as "
                      f"NUMBER<!--run:RUN:PATH--> (docs/hooks/run_numbers.py), or remove it:\n"
                      + "\n".join(f"  line {n}: {number!r} in: {line[:120]}" for n, number, line in bare))


@pytest.mark.parametrize("page", PAGES)
def test_numbers_without_a_committed_file_are_only_the_listed_ones(page):
    commands = [command.strip() for command, _ in run_numbers.UNSOURCED.findall(read(page))]
    assert commands == UNSOURCED.get(page, []), (
        f"{page}: its <!--unsourced:COMMAND--> blocks differ from tests/doc_numbers_allowed.py's UNSOURCED; "
        "give the numbers a committed file (the command's --json output) and quote them from it")


@pytest.mark.parametrize("page", PAGES)
def test_every_marked_number_is_what_its_run_gives(page):
    _, stale = run_numbers.refresh(read(page), page)
    assert not stale, ("pages disagree with their runs; re-make them with "
                       f"`{run_numbers.WRITE}` and read the prose around the changes:\n" + "\n".join(stale))


def test_the_pages_quote_runs():
    marked = {page: len(run_numbers.MARKER.findall(read(page))) for page in PAGES}
    assert sum(marked.values()) > 100
    assert all(marked[page] for page in ("README.md", "docs/transformer.md", "docs/seq2seq.md",
                                         "docs/vision-attention.md", "docs/results.md", "docs/attention.md"))
    tables = [name for page in PAGES for _, name, _, _ in run_numbers.TABLE.findall(read(page))]
    assert sorted(tables) == sorted(run_numbers.TABLES)


@pytest.mark.parametrize("literal, spec, value, rendered", [
    ("0.9483", ".4f", 0.99748, "0.9975"), ("4.44e-6", ".2e", 4.36e-6, "4.36e-6"), ("73%", ".0%", 0.7312, "73%"),
    ("68 238", ",d", 68238, "68 238"), ("95", "d", 94.6, "95"), ("0.73", ".2f", 0.7312, "0.73")])
def test_the_format_follows_the_literal(literal, spec, value, rendered):
    assert run_numbers.format_of(literal) == spec
    assert run_numbers.render(value, spec) == rendered


def test_a_stale_literal_is_found_and_rewritten():
    page = "a 0.9483<!--run:dates:variants.global_additive.exact_match--> b"
    truth = run_numbers.render(run_numbers.lookup(run_numbers.load_run("dates", {}),
                                                  "variants.global_additive.exact_match"), ".4f")
    new, stale = run_numbers.refresh(page)
    assert (truth != "0.9483") == bool(stale)
    assert new == f"a {truth}<!--run:dates:variants.global_additive.exact_match--> b"
    assert run_numbers.strip_markers(new) == f"a {truth} b"


def test_a_text_marker_gives_the_runs_text_and_a_stale_one_is_found():
    commit = run_numbers.load_run("bench/train", {})["provenance"]["commit"][:7]
    new, stale = run_numbers.refresh("at `0000000`<!--run-text:bench/train:provenance.commit:7--> on\nb")
    assert new == f"at `{commit}`<!--run-text:bench/train:provenance.commit:7--> on\nb" and len(stale) == 1
    assert run_numbers.refresh(new)[1] == []
    assert run_numbers.strip_markers(new) == f"at `{commit}` on\nb"          # the line break after it stays
    with pytest.raises(run_numbers.RunNumberError, match="not a text"):
        run_numbers.refresh("`5`<!--run-text:bench/train:batches-->")


def test_every_benchmark_record_is_listed_with_the_command_that_remakes_it():
    """docs/runs/bench/NAME.json (RUN ``bench/NAME``) has its full-size command in BENCHMARKS
    (tests/doc_numbers_allowed.py), writing that file; a page that quotes it gives that command."""
    folder = os.path.join(run_numbers.RUNS, "bench")
    assert {f"bench/{name[:-len('.json')]}" for name in os.listdir(folder) if name.endswith(".json")} == set(BENCHMARKS)
    assert all(command.endswith(f"--json docs/runs/{run}.json") for run, command in BENCHMARKS.items())
    for page in PAGES:
        text = read(page)
        markers = run_numbers.MARKER.findall(text) + run_numbers.TEXT_MARKER.findall(text)
        quoted = {run for _, run, _, _ in markers if run.startswith("bench/")}
        unlisted = quoted - set(BENCHMARKS)
        assert not unlisted, f"{page} quotes benchmark records with no command in BENCHMARKS: {sorted(unlisted)}"
        missing = [BENCHMARKS[run] for run in sorted(quoted) if BENCHMARKS[run] not in text]
        assert not missing, f"{page} quotes a benchmark record but does not give the command that re-makes it: {missing}"


@pytest.mark.parametrize("marker, message", [
    ("1<!--run:no_such_run:x-->", "no committed run"), ("1<!--run:dates:variants.nothing-->", "has no"),
    ("1<!--run:dates:settings.variants-->", "not a number"), ("1<!--run:dates:epochs:.4q-->", "has no")])
def test_a_bad_marker_is_refused(marker, message):
    with pytest.raises(run_numbers.RunNumberError, match=message):
        run_numbers.refresh(marker)


def test_paths_reduce_lists_and_divide():
    record = {"a": [1.0, 2.0, 6.0], "b": {"c": 4}}
    assert run_numbers.lookup(record, "a.-1") == 6.0 and run_numbers.lookup(record, "a.mean") == 3.0
    assert run_numbers.lookup(record, "a.sum/b.c") == 2.25 and run_numbers.lookup(record, "a.len") == 3


def test_a_star_gathers_over_the_items():
    record = {"v": {"a": {"t": 1.0}, "b": {"t": 3.0}}}
    assert run_numbers.lookup(record, "v.*.t.sum") == 4.0 and run_numbers.lookup(record, "v.*.t.max") == 3.0


def printed_numbers(text):
    """``[(value, half of the last printed digit)]`` of the numbers in ``text`` (``0.0574``, ``5.3e-06``)."""
    found = []
    for token in re.findall(r"-?\d+\.\d+(?:e[-+]?\d+)?", text):
        mantissa, _, exponent = token.partition("e")
        step = 10.0 ** (-len(mantissa.split(".")[1]) + (int(exponent) if exponent else 0))
        found.append((float(token), step / 2))
    return found


def test_start_heres_printout_is_the_committed_quick_run():
    """start-here.md shows the whole output of ``python demos/e1_dense_attention.py --quick``: its losses,
    targets, predictions, attention and importances are docs/runs/e1_quick's, to the printed digit."""
    text = read("docs/start-here.md")
    block = re.search(r"This is its whole output.*?```\n(.*?)```", text, flags=re.S).group(1)
    record = run_numbers.load_run("e1_quick", {})
    lines = {"loss:": record["history"]["loss"], "first ten targets": record["first_ten"]["true"],
             "first ten predictions": record["first_ten"]["predicted"], "mean attention": record["attention"],
             "loss rise when shuffled": record["permutation_importance"]}
    losses = " ".join(line.split("loss:")[1] for line in block.splitlines() if "loss:" in line)
    shown = {"loss:": losses}
    for label in list(lines)[1:]:
        shown[label] = re.search(re.escape(label) + r"\s*\[(.*?)\]", block, flags=re.S).group(1)
    wrong = []
    for label, values in lines.items():
        numbers = printed_numbers(shown[label])
        if len(numbers) != len(values) or any(abs(p - v) > half + 1e-12 for (p, half), v in zip(numbers, values)):
            wrong.append(label)
    assert not wrong, (f"docs/start-here.md's printout differs from docs/runs/e1_quick in {wrong}: paste the output "
                       "of `python demos/make_doc_figures.py --only e1_quick` (the run prints it) again")
