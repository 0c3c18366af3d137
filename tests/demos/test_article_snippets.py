"""docs/articles/*.md: the code runs, the shape tables match the models, the links resolve.

The pages mark what this test checks with HTML comments, which do not show
in the rendered site:

* ``<!-- runnable -->`` on the line right before a fenced ```python block:
  the block is executed, each in a fresh namespace, and must contain an
  ``assert`` (on something it computed). Every ```python block on these
  pages must carry the marker, so that no untested code is shown as Python;
  the articles' Keras code sits in tables or plain fences.
* ``<!-- shapes: DEMO [name=value ...] -->`` on the line right before a
  markdown table: ``DEMO`` is a script in ``demos/`` (without ``.py``);
  its ``build_model(**kwargs)`` is called (each value a Python literal) and
  the first model it returns is compared with the table. The table has one
  row per layer of that model, in order: the first column holds the layer's
  name in backticks, the second its output shape as ``model.summary()``
  prints it (```(None, 10, 32)```), the third its number of weights.

Tables: no row has more cells than its header (a ``|`` in maths splits a cell).
Links: every relative link and image resolves to a file under ``docs/`` and
every ``#anchor`` to a heading of its target (slugs as mkdocs makes them:
lowercase, punctuation dropped, spaces to hyphens).
"""
import ast
import importlib.util
import os
import re
import unicodedata
from unittest import mock

import pytest

import minattn
from minattn.layers.vocabulary import show_shape

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
ARTICLES = os.path.join(DOCS, "articles")
PAGES = ["index.md", "000-abs-difference.md", "001-attention-model-notes.md",
         "002-lstm-and-channel-attention.md", "003-keras-attention-layer.md",
         "004-stacked-dense-attention.md"]

RUNNABLE = re.compile(r"<!-- runnable -->\n```python\n(.*?)```", re.S)
PYTHON_FENCE = re.compile(r"^```python", re.M)
SHAPES = re.compile(r"<!-- shapes: (\S+)(.*?) -->\n((?:\|.*\n)+)")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```.*?^```", re.M | re.S)


def read(page):
    with open(os.path.join(ARTICLES, page), encoding="utf-8") as handle:
        return handle.read()


def snippets():
    return [pytest.param(page, code, id=f"{page}:{number}")
            for page in PAGES for number, code in enumerate(RUNNABLE.findall(read(page)), 1)]


def shape_tables():
    return [pytest.param(page, demo, arguments, table, id=f"{page}:{demo}{arguments.replace(' ', '_')}")
            for page in PAGES for demo, arguments, table in SHAPES.findall(read(page))]


# -- the code ---------------------------------------------------------------------
def test_every_page_exists_and_has_runnable_code():
    assert all(os.path.exists(os.path.join(ARTICLES, page)) for page in PAGES)
    assert len(snippets()) >= len(PAGES) - 1          # every article page shows working code


def test_every_python_block_is_marked_runnable():
    for page in PAGES:
        text = read(page)
        assert len(PYTHON_FENCE.findall(text)) == len(RUNNABLE.findall(text)), page


@pytest.mark.parametrize("page, code", snippets())
def test_runnable_snippet(page, code):
    assert re.search(r"^\s*assert ", code, re.M), f"a runnable snippet in {page} asserts nothing"
    exec(compile(code, f"docs/articles/{page}", "exec"), {"__name__": "snippet"})


# -- the shape tables ---------------------------------------------------------------
def load_demo(name):
    """Import ``demos/<name>.py`` as a module (some demos set BLAS variables: restored after)."""
    spec = importlib.util.spec_from_file_location(f"article_demo_{name}", os.path.join(ROOT, "demos", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(os.environ):
        spec.loader.exec_module(module)
    return module


def table_rows(table):
    """``[(layer name, shape text, weights)]`` from a shapes table (header and rule skipped)."""
    rows = []
    for line in table.strip().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        name = re.match(r"`([^`]+)`", cells[0]).group(1)
        shape = re.fullmatch(r"`(.+)`", cells[1]).group(1)
        rows.append((name, shape, int(re.sub(r"[ ,]", "", cells[2]))))
    return rows


@pytest.mark.parametrize("page, demo, arguments, table", shape_tables())
def test_shape_table_matches_the_demo_model(page, demo, arguments, table):
    kwargs = {key: ast.literal_eval(value) for key, value in
              (item.split("=", 1) for item in arguments.split())}
    minattn.clear_session()
    built = load_demo(demo).build_model(**kwargs)
    model = built[0] if isinstance(built, tuple) else built
    expected = [(layer.name, show_shape(layer.output_shape), layer.count_params()) for layer in model.layers]
    assert table_rows(table) == expected, f"{page}: the table for {demo}{arguments} is not the model"


def test_there_is_a_shape_table_for_every_article_experiment():
    demos = {demo for _, demo, _, _ in (p.values for p in shape_tables())}
    assert {"e1_dense_attention", "e2_attention_before_lstm", "e3_lstm_attention",
            "e4_stacked_dense_attention"} <= demos


@pytest.mark.parametrize("page", PAGES)
def test_table_rows_have_as_many_cells_as_their_header(page):
    """A `|` outside a code span (say in $|x|$) would split a cell in two."""
    for table in re.findall(r"(?:^\|.*\n)+", FENCED.sub("", read(page)), re.M):
        counts = [re.sub(r"`[^`]*`", "", line).count("|") for line in table.splitlines()]
        assert len(set(counts)) == 1, f"{page}: a table row has a stray '|':\n{table}"


# -- the links ----------------------------------------------------------------------
def slug(heading):
    """Python-Markdown's default heading id: code and links as their text, punctuation dropped."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(path):
    """The ids of the headings of a markdown file, with _1, _2 for repeats."""
    with open(path, encoding="utf-8") as handle:
        text = FENCED.sub("", handle.read())
    ids = []
    for heading in re.findall(r"^#{1,6} (.+?)\s*$", text, re.M):
        base = slug(heading)
        ids.append(base if base not in ids else next(
            f"{base}_{n}" for n in range(1, 100) if f"{base}_{n}" not in ids))
    return set(ids)


@pytest.mark.parametrize("page", PAGES)
def test_links_resolve_inside_docs(page):
    for target in LINK.findall(FENCED.sub("", read(page))):
        assert not re.match(r"[a-z]+://", target), f"{page}: external link {target}"
        path, _, anchor = target.partition("#")
        resolved = os.path.normpath(os.path.join(ARTICLES, path)) if path else os.path.join(ARTICLES, page)
        assert resolved.startswith(DOCS + os.sep) and os.path.isfile(resolved), f"{page}: {target}"
        if anchor:
            assert anchor in anchors(resolved), f"{page}: no heading #{anchor} in {path or page}"
