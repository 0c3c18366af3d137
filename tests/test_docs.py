"""Every public layer documents itself as the house style asks, and the docs exist."""
import inspect
import os

import pytest

import minattn.layers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PUBLIC_LAYERS = [getattr(minattn.layers, name) for name in minattn.layers.__all__
                 if inspect.isclass(getattr(minattn.layers, name))
                 and issubclass(getattr(minattn.layers, name), minattn.layers.Layer)
                 and getattr(minattn.layers, name) is not minattn.layers.Layer]


def test_there_are_public_layers():
    assert len(PUBLIC_LAYERS) >= 13


@pytest.mark.parametrize("layer_class", PUBLIC_LAYERS, ids=lambda c: c.__name__)
def test_layer_docstring_has_args_and_shapes(layer_class):
    doc = inspect.getdoc(layer_class) or ""
    missing = [part for part in ("Args:", "Input shape", "Output shape") if part not in doc]
    assert not missing, f"{layer_class.__name__}'s docstring lacks {missing}"


def test_readme_opens_with_the_two_commands():
    with open(os.path.join(ROOT, "README.md")) as handle:
        head = handle.read(1200)
    assert "pip install -e ." in head and "demos/" in head
    assert 'pip install -e ".[test]" && pytest' in head


def test_ci_runs_the_readme_test_command():
    with open(os.path.join(ROOT, ".ci", "run")) as handle:
        script = handle.read()
    assert 'pip install -e ".[test]"' in script and "\npytest" in script


# -- the documentation site (mkdocs.yml) ------------------------------------------
DOCS = os.path.join(ROOT, "docs")


def nav_pages():
    """The .md paths listed under ``nav:`` in mkdocs.yml, read as text (no yaml needed).

    Each nav line is ``- page.md`` or ``- Title: page.md``; the nav ends at the
    next top-level key.
    """
    pages, in_nav = [], False
    with open(os.path.join(ROOT, "mkdocs.yml")) as handle:
        for line in handle:
            if line.startswith("nav:"):
                in_nav = True
            elif in_nav and line.strip() and not line[0].isspace() and not line.startswith("#"):
                break
            elif in_nav and line.strip().startswith("- ") and line.rstrip().endswith(".md"):
                pages.append(line.rstrip().split()[-1])
    return pages


def docs_pages():
    """Every markdown file under docs/, relative to it, with / separators."""
    found = []
    for folder, _, files in os.walk(DOCS):
        found += [os.path.relpath(os.path.join(folder, name), DOCS).replace(os.sep, "/")
                  for name in files if name.endswith(".md")]
    return sorted(found)


def test_the_site_is_built_strictly():
    with open(os.path.join(ROOT, "mkdocs.yml")) as handle:
        config = handle.read()
    assert "\nstrict: true" in config and "docs_dir: docs" in config


def test_nav_lists_every_docs_page_and_only_pages_that_exist():
    nav = nav_pages()
    assert nav[:2] == ["index.md", "start-here.md"] and len(nav) == len(set(nav))
    assert len([page for page in nav if page.startswith("api/")]) >= 10
    missing_from_nav = sorted(set(docs_pages()) - set(nav))
    assert not missing_from_nav, f"pages under docs/ that mkdocs.yml's nav does not list: {missing_from_nav}"
    not_found = [page for page in nav if not os.path.isfile(os.path.join(DOCS, page))]
    assert not not_found, f"nav entries in mkdocs.yml with no file under docs/: {not_found}"


def test_readme_links_every_docs_page_source():
    with open(os.path.join(ROOT, "README.md")) as handle:
        readme = handle.read()
    unlinked = [page for page in docs_pages() if f"](docs/{page})" not in readme]
    assert not unlinked, f"README.md has no link to the source of: {unlinked}"


def test_the_api_reference_covers_every_module():
    """A new module in minattn/ must get a ``::: minattn.x`` entry in docs/api/ (exercises apart:
    they are coursework, documented in docs/coursework/)."""
    import pkgutil
    documented = set()
    for page in os.listdir(os.path.join(DOCS, "api")):
        with open(os.path.join(DOCS, "api", page)) as handle:
            documented |= {line[4:].strip() for line in handle if line.startswith("::: ")}
    modules = {info.name for info in pkgutil.walk_packages(minattn.__path__, "minattn.")
               if not info.ispkg and not info.name.startswith("minattn.exercises")}
    missing = sorted(modules - documented)
    assert not missing, f"modules without a '::: module' entry under docs/api/: {missing}"
