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
