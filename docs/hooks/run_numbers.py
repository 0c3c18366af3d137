"""An mkdocs hook: every result number a page quotes is rendered from a committed run.

A page writes a result as its value followed by a marker naming where it comes from::

    exact match 0.9975<!--run:dates:variants.global_additive.exact_match-->

On GitHub the comment is invisible and the literal reads as plain text; when the
site is built, this hook puts the run's value in place of the literal, formatted
as the literal is (``0.9975``: 4 decimals; ``4.44e-6``: 3 significant digits;
``99.8%``: a percentage; ``68 238``: an integer in groups of three; ``12``: an
integer), or as an explicit format after a third colon (``:.3f``, ``:.1%``,
``:.2e``, ``:d``, ``:,d``). A literal that differs from the run is a warning, so
``mkdocs build --strict`` fails on a stale page (and so does
tests/test_doc_numbers.py).

Markers:

* ``<!--run:RUN:PATH-->`` after a number. ``RUN`` is a folder of ``docs/runs/``
  (its ``results.json``) or a file ``docs/runs/RUN.json`` (``bench/train``).
  ``PATH`` is dotted keys into it; an integer picks a list item (``-1``: the
  last); ``*`` takes the rest of the path in every item of a dict or list
  (``variants.*.train_seconds.sum``); ``sum``, ``mean``, ``min``, ``max``,
  ``len`` reduce a list; ``A/B`` is the ratio of two paths of the run (or of
  a path and a number: ``history.loss.-1/0.693147`` for nats in bits).
* ``` `TEXT`<!--run-text:RUN:PATH--> ``` after a code span, or with ``:N`` its
  first N characters (``<!--run-text:bench/train:provenance.commit:7-->``): a
  text of the run -- the command, the commit, a version, the machine's CPU --
  rendered like a number, stale like one.
* Benchmarks write their record with ``--json docs/runs/bench/NAME.json``
  (with the command, commit, versions and machine, ``provenance``); a page
  quotes it as RUN ``bench/NAME``: ``31 422<!--run:bench/train:results.E2.minattn.samples_per_s:,d-->``.
  Their re-make commands are listed in tests/doc_numbers_allowed.py (``BENCHMARKS``).
* ``<!--table:NAME-->`` ... ``<!--/table-->`` around a table that a demo
  prints (``TABLES`` below): the hook writes the table again from the runs.
* ``<!--unsourced:COMMAND-->`` ... ``<!--/unsourced-->`` around numbers that no
  committed file holds yet (a benchmark whose output was not kept): the site shows them
  under a note naming the command that would make their file. Each such block
  is listed in tests/doc_numbers_allowed.py; the aim is none.

After re-making the runs (``python demos/make_doc_figures.py``), rewrite the
literals of every page from them, then read the diff and the prose around it::

    python docs/hooks/run_numbers.py --write
"""
import contextlib
import io
import json
import logging
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
RUNS = os.path.join(DOCS, "runs")
NUMBER = r"-?\d{1,3}(?: \d{3})+|-?\d+(?:\.\d+)?(?:e[-+]?\d+)?%?"
MARKER = re.compile(rf"({NUMBER})<!--run:([\w/.-]+):([^:>]+?)(?::([^>]+?))?-->")
TEXT_MARKER = re.compile(r"`([^`\n]*)`<!--run-text:([\w/.-]+):([^:>]+?)(?::(\d+))?-->")
TABLE = re.compile(r"(<!--table:([\w-]+)-->\n)(.*?)(<!--/table-->)", re.S)
UNSOURCED = re.compile(r"<!--unsourced:(.*?)-->\n(.*?)<!--/unsourced-->\n?", re.S)
REDUCERS = {"sum": sum, "min": min, "max": max, "len": len, "mean": lambda values: sum(values) / len(values)}
WRITE = "python docs/hooks/run_numbers.py --write"
log = logging.getLogger("mkdocs.hooks.run_numbers")


class RunNumberError(ValueError):
    """A marker names a run, a path or a format that does not exist."""


def load_run(run, cache):
    """The committed record ``run`` names (cached in ``cache``)."""
    if run not in cache:
        for path in (os.path.join(RUNS, run, "results.json"), os.path.join(RUNS, f"{run}.json")):
            if os.path.isfile(path):
                with open(path) as handle:
                    cache[run] = json.load(handle)
                break
        else:
            raise RunNumberError(f"no committed run {run!r}: neither docs/runs/{run}/results.json "
                                 f"nor docs/runs/{run}.json")
    return cache[run]


def lookup(record, path, run="run"):
    """The value at ``path`` (dotted keys, list indices, ``*``, reducers, ``A/B``) of ``record``."""
    if "/" in path:                                   # a ratio; the divisor may be a number (nats / ln 2)
        top, bottom = path.split("/", 1)
        divisor = float(bottom) if re.fullmatch(r"[\d.]+", bottom) else lookup(record, bottom, run)
        return lookup(record, top, run) / divisor
    value = walk(record, path.split("."), f"{run} has no {path!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RunNumberError(f"{run}:{path} is {value!r}, not a number")
    return value


def walk(value, keys, missing):
    """Follow ``keys`` from ``value``; ``missing`` starts the error where one is not there."""
    for at, key in enumerate(keys):
        if key == "*" and isinstance(value, (dict, list)):
            items = value.values() if isinstance(value, dict) else value
            ends = [i for i, k in enumerate(keys[at + 1:], at + 1) if k in REDUCERS] or [len(keys)]
            gathered = [walk(item, keys[at + 1:ends[0]], missing) for item in items]
            return walk(gathered, keys[ends[0]:], missing)
        if isinstance(value, list) and key in REDUCERS:
            value = REDUCERS[key](value)
        elif isinstance(value, list) and re.fullmatch(r"-?\d+", key) and -len(value) <= int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise RunNumberError(f"{missing} (stuck at {key!r})")
    return value


def run_text(run, path, characters, cache):
    """The text at ``path`` of ``run`` (its first ``characters`` if given), for a ``run-text`` marker."""
    value = walk(load_run(run, cache), path.split("."), f"{run} has no {path!r}")
    if not isinstance(value, str):
        raise RunNumberError(f"{run}:{path} is {value!r}, not a text")
    return value[:int(characters)] if characters else value


def format_of(literal):
    """The format a literal is written in: ``0.9975`` -> ``.4f``, ``4.44e-6`` -> ``.2e``, ..."""
    digits = lambda text: len(text.split(".")[1]) if "." in text else 0          # noqa: E731
    if literal.endswith("%"):
        return f".{digits(literal[:-1])}%"
    if "e" in literal:
        return f".{digits(literal.split('e')[0])}e"
    if " " in literal:
        return ",d"
    return f".{digits(literal)}f" if "." in literal else "d"


def render(value, spec):
    """``value`` written with ``spec``: Python's format, but ``e`` without padded exponents (``4.4e-6``)
    and ``,d`` grouping with spaces (``68 238``)."""
    if spec in ("d", ",d"):
        text = f"{round(value):,d}".replace(",", " ")
        return text if spec == ",d" else text.replace(" ", "")
    if spec.endswith("e"):
        mantissa, exponent = format(value, spec).split("e")
        return f"{mantissa}e{int(exponent)}"
    try:
        return format(value, spec)
    except ValueError:
        raise RunNumberError(f"not a number format: {spec!r}") from None


def run_value(run, path, spec, literal, cache):
    """The text the run gives for a marker: ``(rendered, literal_is_stale)``."""
    rendered = render(lookup(load_run(run, cache), path, run), spec or format_of(literal))
    return rendered, rendered != literal


def table_of_runs(kind):
    """The markdown table a demo prints from the committed runs (for ``<!--table:NAME-->``)."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)
    import importlib.util
    from minattn.experiments.results import load_runs

    def demo(name):
        spec = importlib.util.spec_from_file_location(f"demo_{name}", os.path.join(ROOT, "demos", f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        if kind == "every-run":
            demo("summarize_runs").main([RUNS])
        else:
            demo("translate_dates").print_table(load_runs(RUNS)["dates"]["variants"])
    kept = [line if line.startswith(("|", "- ")) else "" for line in buffer.getvalue().splitlines()]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")        # the tables and notes, one blank between
    return text + "\n"


TABLES = {"every-run": "the table of every run (demos/summarize_runs.py docs/runs)",
          "dates": "the seq2seq variants' table (demos/translate_dates.py's print_table of docs/runs/dates)"}


def refresh(text, page="page", warn=None):
    """``(text with every marker's literal and every table rewritten from the runs, [stale findings])``.

    ``warn`` (optional) is called with each finding; a bad marker raises ``RunNumberError``.
    """
    cache, stale = {}, []

    def number(match):
        literal, run, path, spec = match.groups()
        rendered, differs = run_value(run, path, spec, literal, cache)
        if differs:
            stale.append(f"{page}: says {literal}, {run}:{path} gives {rendered}")
        return f"{rendered}<!--run:{run}:{path}{':' + spec if spec else ''}-->"

    def table(match):
        opening, name, body, closing = match.groups()
        if name not in TABLES:
            raise RunNumberError(f"{page}: no table maker {name!r} (known: {sorted(TABLES)})")
        made = table_of_runs(name)
        if made != body:
            stale.append(f"{page}: table {name!r} differs from {TABLES[name]}")
        return opening + made + closing

    def words(match):
        literal, run, path, characters = match.groups()
        rendered = run_text(run, path, characters, cache)
        if rendered != literal:
            stale.append(f"{page}: says `{literal}`, {run}:{path} gives `{rendered}`")
        return f"`{rendered}`<!--run-text:{run}:{path}{':' + characters if characters else ''}-->"

    text = TABLE.sub(table, TEXT_MARKER.sub(words, MARKER.sub(number, text)))
    for finding in stale:
        (warn or (lambda message: None))(f"{finding}; re-make with: {WRITE}")
    return text, stale


def strip_markers(text):
    """The page as a reader sees it: markers gone, values left, unsourced numbers under a note."""
    note = ('!!! note "Not from a committed run"\n    The numbers below come from runs whose output is not '
            'committed, so nothing re-makes them with the code; `{}` would write their file.\n\n')
    text = UNSOURCED.sub(lambda m: note.format(m.group(1).strip()) + m.group(2), text)
    return re.sub(r"<!--(?:run|run-text):[^>]*-->|<!--/?table[^>]*-->\n?", "", text)   # a table's own line goes


def on_page_markdown(markdown, page, **kwargs):
    """Put each run's value in place of its literal; warn (strict: fail) where a page is stale."""
    try:
        text, _ = refresh(markdown, page.file.src_path, log.warning)
    except RunNumberError as error:
        from mkdocs.exceptions import PluginError
        raise PluginError(f"run_numbers: {error}") from None
    return strip_markers(text)


def pages():
    """README.md and every page under docs/ (the paths, relative to the repository)."""
    found = ["README.md"]
    for folder, _, files in os.walk(DOCS):
        found += [os.path.relpath(os.path.join(folder, name), ROOT) for name in files if name.endswith(".md")]
    return sorted(found)


def main(argv=None):
    """``--write``: rewrite every page's literals and tables from the runs; else list the stale ones."""
    write = "--write" in (argv if argv is not None else sys.argv[1:])
    stale_pages, broken = 0, 0
    for page in pages():
        path = os.path.join(ROOT, page)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        try:
            new, stale = refresh(text, page)
        except RunNumberError as error:
            print(f"{page}: {error}")
            broken += 1
            continue
        for finding in stale:
            print(finding)
        if write and new != text:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(new)
        stale_pages += bool(stale)
    print(f"{stale_pages} page(s) {'rewritten' if write else 'stale'}, {broken} with a marker no run answers")
    return 1 if broken or (stale_pages and not write) else 0


if __name__ == "__main__":
    sys.exit(main())
