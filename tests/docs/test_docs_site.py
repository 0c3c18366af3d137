"""The documentation site reads offline, and its pages name every construct in words.

The site must load no script or stylesheet from another host: a reader on a
train or in a classroom without network still sees the formulas typeset.
"""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(ROOT, "docs")
EXTERNAL_ASSET = re.compile(r"<(?:script|link|img)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def config_list(config, key):
    """The entries of a top-level list in mkdocs.yml, read as text."""
    entries, inside = [], False
    for line in config.splitlines():
        if line.startswith(f"{key}:"):
            inside = True
        elif inside and line.startswith("  - "):
            entries.append(line[4:].split("#")[0].strip())
        elif inside and line.strip() and not line.startswith(" "):
            break
    return entries


def test_the_configured_scripts_and_styles_are_served_by_the_site():
    config = read(os.path.join(ROOT, "mkdocs.yml"))
    scripts, styles = config_list(config, "extra_javascript"), config_list(config, "extra_css")
    assert "js/mathjax/tex-mml-chtml.js" in scripts
    assert not [url for url in scripts + styles if "//" in url], scripts + styles
    assert re.search(r"\n  highlightjs: false", config), "the theme's highlight.js comes from a CDN"
    hooks = config_list(config, "hooks")
    assert hooks and all(os.path.isfile(os.path.join(ROOT, hook)) for hook in hooks)
    assert "django-static-mathjax" in read(os.path.join(ROOT, "setup.cfg"))      # the docs extra


def test_no_page_loads_a_script_from_another_host():
    found = []
    for folder, _, files in os.walk(DOCS):
        for name in files:
            if name.endswith((".md", ".html", ".js")):
                text = read(os.path.join(folder, name))
                found += [f"{name}: {m.group(0)}" for m in EXTERNAL_ASSET.finditer(text)]
    assert not found, found


def test_the_external_asset_pattern_finds_what_it_should():
    assert EXTERNAL_ASSET.search('<script src="https://cdn.example.org/mathjax.js">')
    assert EXTERNAL_ASSET.search("<link rel='stylesheet' href='//cdn.example.org/a.css' />")
    assert not EXTERNAL_ASSET.search('<script src="../js/mathjax/tex-mml-chtml.js">')
    assert not EXTERNAL_ASSET.search('<a href="https://github.com/HIPS/autograd">autograd</a>')


def test_the_built_site_loads_nothing_from_another_host(tmp_path):
    """Builds the site (needs the docs extra; skipped without it) and reads every page it wrote."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("mathjax")
    site = tmp_path / "site"
    completed = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)],
                               cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert (site / "js" / "mathjax" / "tex-mml-chtml.js").stat().st_size > 500_000
    assert list((site / "js" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert (site / "css" / "pygments.css").stat().st_size > 1000
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    external = [f"{page.relative_to(site)}: {match.group(0)}" for page in pages
                for match in EXTERNAL_ASSET.finditer(page.read_text(encoding="utf-8"))]
    assert not external, external[:10]


def test_constructs_are_named_in_words_not_by_internal_labels():
    """The C1-C9 labels of the project's notes are not used where readers look; names are."""
    label = re.compile(r"\bC[1-9]\b")
    places = [os.path.join(ROOT, "README.md")]
    places += [os.path.join(folder, name) for folder, _, files in os.walk(DOCS) for name in files
               if name.endswith(".md")]
    demos = os.path.join(ROOT, "demos")
    places += [os.path.join(demos, name) for name in os.listdir(demos) if name.endswith(".py")]
    found = []
    for path in places:
        text = read(path)
        if path.endswith(".py"):
            text = " ".join(re.findall(r'"[^"\n]*"', text)) + text.split('"""')[1]   # strings and docstring
        found += [f"{os.path.relpath(path, ROOT)}: {m.group(0)}" for m in label.finditer(text)]
    assert not found, found
