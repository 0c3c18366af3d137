"""Self-checking coursework: implement a piece of minattn yourself, then let the checker grade it.

    python -m minattn.exercises list                  # the exercises, in the suggested order
    python -m minattn.exercises start lstm_cell       # copy the starter to my_lstm_cell.py
    python -m minattn.exercises check my_lstm_cell.py # PASS / FAIL per check; exit 0 when all pass
    python -m minattn.exercises grade class/ --csv grades.csv --jobs 2   # a whole class

Each exercise is a starter file (``starters/<name>.py``: signature and
docstring, body to fill in) and a grading module (``checks/<name>.py``)
that compares the student's function with minattn's own implementation on
seeded random inputs and checks its gradients against finite differences.
A student's file never runs in the grader's process: ``sandbox.py`` runs it
in a child process with time, CPU, memory and file-size limits, in a
private folder, under a policy (``policy.py``) that refuses processes,
signals, sockets, ctypes, other files and minattn's own implementations;
only the values its functions return come back. The statements are in
``docs/coursework/``; what the grader protects against, and what it does
not, in ``docs/coursework/grading.md``.
"""
from .checks import EXERCISES, grader
from .classes import grade_folder
from .grading import Report, Result, check_file
from .loading import NotAFile, UnknownExercise, exercise_of
from .starting import start, starter_text

__all__ = ["EXERCISES", "grader", "check_file", "grade_folder", "Report", "Result", "NotAFile", "UnknownExercise",
           "exercise_of", "start", "starter_text"]
