"""Grade one student file: identify the exercise, import the file, run every check.

``check_file(path)`` never raises for the student's mistakes: a file that
does not import, a missing function or a wrong answer each become a failed
check with a message. Only a file that names no exercise raises
``UnknownExercise``, because then there is nothing to grade.
"""
from dataclasses import dataclass, field

from .checks import grader
from .compare import CheckFailure
from .loading import exercise_of, load_module


@dataclass
class Result:
    """One check: its title, whether it passed, and the message when it did not."""
    title: str
    passed: bool
    message: str = ""

    def line(self):
        return f"PASS  {self.title}" if self.passed else f"FAIL  {self.title}\n      {self.message}"


@dataclass
class Report:
    """Every check of one file."""
    exercise: str
    path: str
    results: list = field(default_factory=list)

    @property
    def passed(self):
        return bool(self.results) and all(r.passed for r in self.results)

    def text(self):
        count = sum(r.passed for r in self.results)
        lines = [f"{self.exercise}: checking {self.path}"] + [r.line() for r in self.results]
        return "\n".join(lines + [f"{count} of {len(self.results)} checks passed"])


def check_file(path):
    """Grade the file at ``path``; returns a ``Report``."""
    exercise = exercise_of(path)
    report = Report(exercise, str(path))
    try:
        module = load_module(path)
        _expect_functions(module, grader(exercise).FUNCTIONS)
    except CheckFailure as failure:
        report.results.append(Result("your file imports and defines the functions", False, str(failure)))
        return report
    report.results.append(Result("your file imports and defines the functions", True))
    for title, check in grader(exercise).checks(module):
        report.results.append(run_check(title, check))
    return report


def run_check(title, check):
    """Run one check; a ``CheckFailure`` (or any error in grading) becomes a failed ``Result``."""
    try:
        check()
    except CheckFailure as failure:
        return Result(title, False, str(failure))
    except Exception as err:                       # e.g. a student's result of an unexpected type
        return Result(title, False, f"the checker could not grade this: {type(err).__name__}: {err}")
    return Result(title, True)


def _expect_functions(module, names):
    missing = [name for name in names if not callable(getattr(module, name, None))]
    if missing:
        raise CheckFailure(f"your file defines no function named {', '.join(missing)}; "
                           f"the exercise asks for {', '.join(names)} (keep the starter's names)")
