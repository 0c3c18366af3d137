"""Hand a student the starter file of an exercise.

The starters ship inside the package (``minattn/exercises/starters``), so
``python -m minattn.exercises start NAME`` works after a plain ``pip install``.
"""
import os
from importlib import resources

from .checks import grader


def starter_text(name):
    """The source of exercise ``name``'s starter file."""
    grader(name)                                      # a clear KeyError for an unknown name
    return resources.files("minattn.exercises.starters").joinpath(f"{name}.py").read_text(encoding="utf-8")


def start(name, dest=None):
    """Copy the starter of ``name`` to ``dest`` and return the path written.

    Args:
        name: an exercise name.
        dest: a file path, or a folder to put ``my_<name>.py`` in (default:
            ``my_<name>.py`` in the current folder).

    Raises:
        FileExistsError: the file is already there (it is never overwritten).
        FileNotFoundError: the folder to write in does not exist (it is not created).
    """
    text = starter_text(name)
    path = dest or f"my_{name}.py"
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        path = os.path.join(path, f"my_{name}.py")
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise FileNotFoundError(2, "no such folder", folder)
    with open(path, "x", encoding="utf-8") as handle:       # "x": fail if it exists
        handle.write(text)
    return path
