"""The package's import graph: no cycles, and no ``_private`` name imported from another module.

Read from the source with ``ast`` (nothing is imported), so an import hidden
inside a function counts like one at the top of a file.
"""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PACKAGE = os.path.join(ROOT, "minattn")


def module_files(folder, prefix):
    """{dotted module name: path} for every .py file under ``folder`` (a package's is its own name)."""
    found = {}
    for directory, _, files in os.walk(folder):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            parts = os.path.relpath(path, folder)[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix] + parts) if prefix else ".".join(parts)] = path
    return found


MODULES = module_files(PACKAGE, "minattn")


def imported(module, path):
    """(module imported, names taken from it) for each import in ``path``, resolved to dotted names."""
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [alias.name for alias in node.names]
            submodules = [f"{base}.{name}" for name in names if f"{base}.{name}" in MODULES]
            attributes = [name for name in names if f"{base}.{name}" not in MODULES]
            if attributes:
                yield base, attributes
            for submodule in submodules:         # ``from . import config`` imports the module config
                yield submodule, []


def dependencies():
    """{module: set of the minattn modules it imports}."""
    graph = {}
    for module, path in MODULES.items():
        graph[module] = {name for name, _ in imported(module, path) if name in MODULES and name != module}
    return graph


def find_cycle(graph):
    """One cycle as a list of modules (first == last), or None."""
    state = {}                      # module -> "open" while on the path, "done" after

    def visit(module, path):
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                return path[path.index(other):] + [other]
            if other not in state:
                found = visit(other, path + [other])
                if found:
                    return found
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            found = visit(module, [module])
            if found:
                return found
    return None


def test_the_walk_sees_the_package():
    """Guard the guard: the graph has the modules and the edges we know of."""
    graph = dependencies()
    assert "minattn.layers.base" in graph and "minattn.layers.vocabulary" in graph
    assert "minattn.graph" in graph["minattn.layers.base"]
    assert "minattn.layers.vocabulary" in graph["minattn.layers.attention"]
    assert "minattn.config" in graph["minattn.layers.base"]        # ``from .. import config``


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_itself_back():
    """Not through a lazy import either (a package's __init__ counts only where it is imported by name)."""
    cycle = find_cycle(dependencies())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("folder", ["minattn", "demos", "benchmarks"])
def test_no_private_name_is_imported_from_another_module(folder):
    files = MODULES if folder == "minattn" else module_files(os.path.join(ROOT, folder), folder)
    assert files, f"no Python files found under {folder}/"
    crossing = []
    for module, path in files.items():
        for source, names in imported(module, path):
            if source.startswith("minattn") and source != module:
                crossing += [f"{module} imports {source}.{name}" for name in names
                             if name.startswith("_") and not name.startswith("__")]
    assert not crossing, "private names imported across modules:\n" + "\n".join(crossing)


def test_the_layers_never_import_the_fast_wing():
    """The seam runs the other way: the code that runs the graph chooses a layer's record;
    no module under ``minattn/layers/`` imports ``minattn.fast`` (directly or through another)."""
    graph = dependencies()
    layers = [module for module in graph if module.startswith("minattn.layers")]
    assert "minattn.layers.recurrent" in layers
    reached, todo = set(), list(layers)
    while todo:
        for name in graph.get(todo.pop(), ()):
            if name not in reached:
                reached.add(name)
                todo.append(name)
    assert not any(name.startswith("minattn.fast") for name in reached), \
        sorted(name for name in reached if name.startswith("minattn.fast"))
    assert any(name.startswith("minattn.fast") for name in graph["minattn.model"])   # model.py asks


def test_nothing_registers_a_record_by_being_imported():
    """``fast/table.py`` joins every record file's ``RECORDS`` by name; ``minattn/__init__.py``
    imports no fast module to fill a table."""
    graph = dependencies()
    assert not any(name.startswith("minattn.fast") for name in graph["minattn"])
    record_files = sorted(name for name, deps in graph.items()
                          if "minattn.fast.record" in deps and name != "minattn.fast.table")
    assert set(record_files) <= graph["minattn.fast.table"] | {"minattn.fast.step"}


TEST_FOLDERS = {"engine", "layers", "fast", "support", "keras_bridge", "demos", "docs", "benchmarks"}


def test_the_tests_mirror_the_package():
    """Every test file sits in one of the folders named after a part of the package, and no two
    share a basename (pytest imports them by basename)."""
    tests = os.path.join(ROOT, "tests")
    found = []
    for folder, _, files in os.walk(tests):
        found += [os.path.relpath(os.path.join(folder, f), tests) for f in files
                  if f.startswith("test_") and f.endswith(".py")]
    assert len(found) > 40
    misplaced = [path for path in found if os.path.dirname(path) not in TEST_FOLDERS]
    assert not misplaced, f"test files outside {sorted(TEST_FOLDERS)}: {misplaced}"
    names = [os.path.basename(path) for path in found]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert os.path.exists(os.path.join(tests, "fast", "test_records.py"))
