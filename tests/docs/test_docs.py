"""Every public layer documents itself as the house style asks, and the docs exist."""
import importlib
import inspect
import os
import re

import pytest

import minattn.layers

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
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
    """A new module in minattn/ must get a ``::: minattn.x`` entry in docs/api/ (of the coursework, its
    API modules, on docs/api/coursework.md; each exercise's checks and starter are in docs/coursework/)."""
    import pkgutil

    import minattn.exercises
    documented = set()
    for page in os.listdir(os.path.join(DOCS, "api")):
        with open(os.path.join(DOCS, "api", page)) as handle:
            documented |= {line[4:].strip() for line in handle if line.startswith("::: ")}
    modules = {info.name for info in pkgutil.walk_packages(minattn.__path__, "minattn.")
               if not info.ispkg and not info.name.startswith("minattn.exercises")}
    modules |= {info.name for info in pkgutil.iter_modules(minattn.exercises.__path__, "minattn.exercises.")
                if not info.ispkg}                         # the coursework's API (not each exercise's checks)
    missing = sorted(modules - documented)
    assert not missing, f"modules without a '::: module' entry under docs/api/: {missing}"


# -- the reading map (docs/architecture.md, docs/start-here.md) names only what exists ----
MAP_PAGES = ["architecture.md", "start-here.md", "one-step.md"]
CODE_SPAN = re.compile(r"`([^`\n]+)`")
DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
FILE_SUFFIXES = (".py", ".md", ".json", ".npz", ".png", ".toml", ".yml", ".csv", ".txt")
# what a dotted name may start with besides minattn's modules and names: other libraries, and the
# instances the pages speak of (``model.params``), each checked on its class
LIBRARIES = {"np": "numpy", "numpy": "numpy", "anp": "autograd.numpy", "autograd": "autograd", "os": "os"}
INSTANCES = {"model": "minattn.model.Model", "layer": "minattn.layers.base.Layer",
             "optimizer": "minattn.optimizers.Optimizer", "params": "builtins.dict", "a": "numpy.ndarray"}


def page_text(page):
    with open(os.path.join(DOCS, page)) as handle:
        return handle.read()


def prose(text):
    """The page without its fenced code blocks (their spans are code, not names to check)."""
    return re.sub(r"```.*?```", "", text, flags=re.S)


def minattn_modules():
    import pkgutil
    keras_missing = importlib.util.find_spec("keras") is None          # the optional [keras] extra
    modules = {info.name: importlib.import_module(info.name)
               for info in pkgutil.walk_packages(minattn.__path__, "minattn.")
               if not (keras_missing and info.name.startswith("minattn.keras_bridge"))}
    return {"minattn": minattn, **modules}


def resolve(dotted, modules):
    """The object ``dotted`` names, or None: a module path (``minattn.`` optional) then attributes,
    a name defined in some minattn module then attributes, a library's, or an instance's."""
    parts = dotted.split(".")
    candidates = []
    for prefix in ("", "minattn."):
        full = (prefix + dotted).split(".")
        for cut in range(len(full), 0, -1):
            if ".".join(full[:cut]) in modules:
                candidates.append((modules[".".join(full[:cut])], full[cut:]))
                break
    if parts[0] in LIBRARIES:
        candidates.append((importlib.import_module(LIBRARIES[parts[0]]), parts[1:]))
    if parts[0] in INSTANCES:
        module, cls = INSTANCES[parts[0]].rsplit(".", 1)
        candidates.append((getattr(importlib.import_module(module), cls), parts[1:]))
    candidates += [(vars(module)[parts[0]], parts[1:]) for module in modules.values() if parts[0] in vars(module)]
    for obj, rest in candidates:
        for name in rest:
            if not hasattr(obj, name) and not (isinstance(obj, type) and sets_attribute(obj, name)):
                break
            obj = getattr(obj, name, None)
        else:
            return True
    return False


def sets_attribute(cls, name):
    """Whether the class (or a base) assigns ``self.<name>`` in its source (an instance attribute)."""
    for klass in cls.__mro__[:-1]:
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"self\.{name}\b[^=\n]*=", source) or re.search(rf"self\.[\w, .]*\b{name}\b[\w, .]* =", source):
            return True
    return False


PATH_IN_SPAN = re.compile(r"(?<![\w.])((?:[\w.-]+/)*[\w-]+(?:\.(?:py|md|json|png|toml|yml|cfg|txt|npz)|/))(?![\w(])")


def repository_paths():
    """Every file and folder of the repository (git's view: no caches, no runs), relative, / separated."""
    import subprocess
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split()
    folders = {"/".join(path.split("/")[:i]) + "/" for path in listed for i in range(1, path.count("/") + 1)}
    return set(listed) | folders


def names_a_path(path, known):
    """Whether ``path`` is a file or folder of the repository, from its root, from minattn/ (``layers/base.py``),
    or as the tail of one (``fast/seam.py``)."""
    return path in known or f"minattn/{path}" in known or any(k.endswith("/" + path) for k in known)


@pytest.mark.parametrize("page", MAP_PAGES)
def test_every_file_and_folder_the_page_names_exists(page):
    """A backticked ``something.py`` (or .md, .json, ...) or ``folder/`` is in the repository
    (``runs/...`` apart: what a demo writes when the reader runs it)."""
    known = repository_paths()
    missing = sorted({path for span in CODE_SPAN.findall(page_text(page)) for path in PATH_IN_SPAN.findall(span)
                      if "://" not in span and not path.startswith("runs/") and not names_a_path(path, known)})
    assert not missing, f"docs/{page} names files or folders that do not exist: {missing}"


def test_the_path_check_refuses_what_does_not_exist():
    known = repository_paths()
    assert names_a_path("layers/base.py", known) and names_a_path("fast/", known) and names_a_path("docs/", known)
    assert not names_a_path("callbacks.py", known) and not names_a_path("fast/tape.py", known)
    assert PATH_IN_SPAN.findall("python demos/e1_dense_attention.py --quick") == ["demos/e1_dense_attention.py"]


@pytest.mark.parametrize("page", MAP_PAGES)
def test_every_dotted_name_the_page_gives_exists(page):
    """``Layer.forward``, ``fast.table.record_for``, ``model.params``, ``np.copyto``: each must resolve."""
    modules = minattn_modules()
    names = set()
    for span in CODE_SPAN.findall(prose(page_text(page))):
        name = re.sub(r"\(.*\)$", "", span.strip())
        if DOTTED_NAME.fullmatch(name) and not name.endswith(FILE_SUFFIXES):
            names.add(name)
    assert len(names) >= 5
    unknown = sorted(name for name in names if not resolve(name, modules))
    assert not unknown, f"docs/{page} names what the code does not have: {unknown}"


def test_the_name_check_refuses_what_does_not_exist():
    modules = minattn_modules()
    assert resolve("Layer.forward", modules) and resolve("fast.table.record_for", modules)
    assert resolve("model.assign_params", modules) and resolve("layer.params", modules)
    assert not resolve("training.Compiled.flat_loss", modules) and not resolve("pytree.FlatParams", modules)
    assert not resolve("Trainable.fit", modules) and not resolve("model.flat_params", modules)


def test_the_module_map_names_every_module():
    """docs/architecture.md has a row for every module of the package (the coursework and the optional
    Keras bridge as one row each)."""
    text = page_text("architecture.md")
    missing = []
    for folder, _, files in os.walk(os.path.join(ROOT, "minattn")):
        for name in files:
            path = os.path.relpath(os.path.join(folder, name), os.path.join(ROOT, "minattn")).replace(os.sep, "/")
            if not name.endswith(".py") or path.startswith(("exercises/", "keras_bridge/")):
                continue
            if f"| `{path}` |" not in text:
                missing.append(path)
    assert "| `exercises/` |" in text and "| `keras_bridge/` |" in text
    assert not missing, f"modules without a row in docs/architecture.md's module map: {sorted(missing)}"


def quoted_blocks(page):
    """``(source file, code)`` for each code block marked ``<!-- quoted from minattn/x.py -->``."""
    return re.findall(r"<!-- quoted from ([\w/.]+) -->\s*```\w*\n(.*?)```", page_text(page), flags=re.S)


def test_code_quoted_from_the_source_is_the_source():
    blocks = quoted_blocks("architecture.md")
    assert {path for path, _ in blocks} >= {"minattn/model.py", "minattn/fast/table.py", "minattn/training.py"}
    for path, code in blocks:
        with open(os.path.join(ROOT, path)) as handle:
            source = handle.read()
        assert code in source, f"docs/architecture.md quotes {path}, but the file no longer has:\n{code}"


@pytest.mark.parametrize("page", ["architecture.md", "start-here.md"])
def test_the_pages_python_blocks_run(page):
    """The ```python blocks of the page, quotes of the source apart, run in order in one namespace."""
    text = page_text(page)
    for _, code in quoted_blocks(page):
        text = text.replace(code, "")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    namespace = {}
    for code in blocks:
        if code.strip():
            exec(compile(code, f"docs/{page}", "exec"), namespace)


def test_start_here_gives_the_real_line_counts():
    """Each row of the reading order states its files' lengths (``wc -l``); they stay within 10%."""
    wrong = []
    for line in page_text("start-here.md").splitlines():
        cells = [cell.strip() for cell in line.split("|")]
        paths = re.findall(r"`(minattn/[\w/]+\.py)`", line)
        counts = [cell for cell in cells if re.fullmatch(r"\d+( \+ \d+)*", cell)]
        if not paths or not counts:
            continue
        stated = [int(n) for n in counts[-1].split(" + ")]          # the lines column, after the "#"
        for path, number in zip(paths, stated):
            with open(os.path.join(ROOT, path)) as handle:
                actual = sum(1 for _ in handle)
            if abs(actual - number) > max(5, actual // 10):
                wrong.append(f"{path}: says {number}, has {actual}")
        if len(stated) != len(paths):
            wrong.append(f"{paths}: {len(stated)} counts for {len(paths)} files")
    assert not wrong, f"docs/start-here.md's line counts are stale: {wrong}"


def test_the_engine_imports_the_demo_support_only_where_the_map_says():
    """docs/architecture.md and README: of the engine (minattn/*.py, layers/, fast/) only
    seq2seq.py and transformers.py import a demo-support package (datasets/, plotting/, experiments/,
    exercises/): the start token of datasets/dates.py."""
    importing = []
    for folder in ("", "layers", "fast"):
        for name in sorted(os.listdir(os.path.join(ROOT, "minattn", folder))):
            if name.endswith(".py"):
                with open(os.path.join(ROOT, "minattn", folder, name)) as handle:
                    if re.search(r"^\s*(from|import)\s+[.\w]*\b(datasets|plotting|experiments|exercises)\b",
                                 handle.read(), flags=re.M):
                        importing.append(f"{folder}/{name}".lstrip("/"))
    assert sorted(importing) == ["seq2seq.py", "transformers.py"], f"engine modules importing demo support: {importing} (update the docs)"


def line_count(path):
    with open(os.path.join(ROOT, path)) as handle:
        return sum(1 for _ in handle)


def close_enough(stated, actual):
    """The reading map rounds nothing, but files change under it: within 10% (at least 5 lines)."""
    return abs(actual - stated) <= max(5, actual // 10)


@pytest.mark.parametrize("page", ["start-here.md", "architecture.md"])
def test_every_line_count_in_the_prose_is_the_trees(page):
    """``fast/seam.py`` (N lines ...) in a sentence, and ``minattn/fast/`` ... N in M files (a folder's
    .py files: their lines together, and how many)."""
    known, wrong = repository_paths(), []
    text = prose(page_text(page))
    for path, stated in re.findall(r"`([\w/.]+\.py)` \((\d+) lines", text):
        full = next(k for k in sorted(known) if k == path or k.endswith("/" + path))
        if not close_enough(int(stated), line_count(full)):
            wrong.append(f"{path}: says {stated} lines, has {line_count(full)}")
    for folder, lines, files in re.findall(r"`(minattn/[\w/]+/)`[^|\n]*\| (\d+) in (\d+) files", text):
        sources = [k for k in known if k.startswith(folder) and k.endswith(".py") and "/" not in k[len(folder):]]
        total = sum(line_count(k) for k in sources)
        if int(files) != len(sources) or not close_enough(int(lines), total):
            wrong.append(f"{folder}: says {lines} lines in {files} files, has {total} in {len(sources)}")
    assert not wrong, f"docs/{page}'s line counts are stale: {wrong}"


def test_every_file_and_folder_the_readme_names_exists():
    with open(os.path.join(ROOT, "README.md")) as handle:
        readme = handle.read()
    known = repository_paths()
    missing = sorted({path for span in CODE_SPAN.findall(readme) for path in PATH_IN_SPAN.findall(span)
                      if "://" not in span and not path.startswith("runs/") and not names_a_path(path, known)})
    assert not missing, f"README.md names files or folders that do not exist: {missing}"
