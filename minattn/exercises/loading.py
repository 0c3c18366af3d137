"""Which exercise a student's file is, and importing it from its path.

The exercise is named by a module-level ``EXERCISE = "<name>"`` in the
file (read with ``ast``, without running the file), or else by the file
name: ``lstm_cell.py`` or ``my_lstm_cell.py`` both mean ``lstm_cell``.
"""
import ast
import importlib.util
import itertools
import os

from .checks import EXERCISES
from .compare import CheckFailure, error_location

_counter = itertools.count()


class UnknownExercise(ValueError):
    """The file names no exercise, or one that does not exist."""


def exercise_of(path):
    """The exercise name for the file at ``path`` (raises ``UnknownExercise``)."""
    declared = _declared_exercise(path)
    if declared is not None:
        if declared not in EXERCISES:
            raise UnknownExercise(f"{path} declares EXERCISE = {declared!r}, which is not an exercise. "
                                  f"The exercises are: {', '.join(EXERCISES)}")
        return declared
    stem = os.path.splitext(os.path.basename(path))[0]
    named = [name for name in EXERCISES if name in stem]
    if not named:
        raise UnknownExercise(f"cannot tell which exercise {path} is: it has no line EXERCISE = \"<name>\" "
                              f"and its file name contains no exercise name. Add EXERCISE = \"<name>\" "
                              f"with one of: {', '.join(EXERCISES)}")
    return max(named, key=len)


def _declared_exercise(path):
    """The string assigned to a top-level ``EXERCISE``, or None (also when the file does not parse)."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError:
        return None
    for statement in tree.body:
        if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "EXERCISE" for t in statement.targets)):
            return statement.value.value
    return None


def load_module(path):
    """Import the file at ``path`` as a fresh module (raises ``CheckFailure`` if it does not import)."""
    name = f"minattn_student_{next(_counter)}"          # a new name each time: no stale module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as err:
        raise CheckFailure(f"importing your file failed with {type(err).__name__}: {err}{error_location(err)}. "
                           "Fix this first: the checker runs your file as a module.") from None
    return module
