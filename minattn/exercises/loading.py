"""Which exercise a student's file is, read as text: the grader never imports a student's file itself.

The exercise is named by a module-level ``EXERCISE = "<name>"`` in the
file (read with ``ast`` when the file parses, else found as a line of text),
or else by the file name: ``lstm_cell.py`` or ``my_lstm_cell.py`` both
mean ``lstm_cell``.
"""
import ast
import os
import re

from .checks import EXERCISES

DECLARATION = re.compile(r"""^EXERCISE\s*=\s*["']([^"'\n]*)["']""", re.MULTILINE)


class UnknownExercise(ValueError):
    """The file names no exercise, or one that does not exist."""


class NotAFile(ValueError):
    """The path is a folder (or something else that is not a regular file)."""


def read_source(path):
    """The file's bytes; raises ``FileNotFoundError``, or ``NotAFile`` for a folder."""
    if os.path.isdir(path):
        raise NotAFile(f"{path} is a folder, not a file. check grades one file; to grade a folder of "
                       "submissions use: python -m minattn.exercises grade FOLDER --csv grades.csv")
    if os.path.exists(path) and not os.path.isfile(path):
        raise NotAFile(f"{path} is not a regular file")
    with open(path, "rb") as handle:
        return handle.read()


def parse_error(source, path):
    """None when ``source`` parses as Python, else the SyntaxError in words (line, and what to do)."""
    try:
        ast.parse(source, filename=os.path.basename(path))
    except SyntaxError as err:
        where = f" (line {err.lineno} of {os.path.basename(path)})" if err.lineno else ""
        text = f"your file does not parse: SyntaxError: {err.msg}{where}."
        if "decode" in str(err.msg) or "utf-8" in str(err.msg).lower():
            text += " Save the file as UTF-8 text."
        return text + " Python cannot run it, so no check can run."
    except ValueError as err:                              # e.g. a NUL byte in the source
        return f"your file does not parse: {err}. Save it as UTF-8 Python source."
    return None


def exercise_of(path, source=None):
    """The exercise name for the file at ``path`` (raises ``UnknownExercise``)."""
    source = read_source(path) if source is None else source
    declared = declared_exercise(source)
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


def declared_exercise(source):
    """The string assigned to a top-level ``EXERCISE``, or None; a file that does not parse is read as text."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        found = DECLARATION.search(source.decode("utf-8", "replace"))
        return found.group(1) if found else None
    for statement in tree.body:
        if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                and any(isinstance(t, ast.Name) and t.id == "EXERCISE" for t in statement.targets)):
            return statement.value.value
    return None
