"""Grade students' files: identify the exercise, run the file in a sandbox, run every check here.

``check_file(path)`` never raises for the student's mistakes: a file that
does not parse or import, exits, hangs, a missing function or a wrong
answer each become a failed check with a message. Only a path that is not
a file (``FileNotFoundError``, ``NotAFile``) or a file that names no
exercise (``UnknownExercise``) raises, because then there is nothing to grade.

The student's code runs only in the sandbox's child process; the checks
(``checks/<name>.py``) run here, in the grader, on the values it sends back.
"""
import os
from dataclasses import dataclass, field
from types import SimpleNamespace

from .checks import grader
from .compare import CheckFailure
from .loading import exercise_of, parse_error, read_source
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, RemoteFunction, Sandbox, Stopped, student_error

IMPORT_TITLE = "your file imports and defines the functions"


@dataclass
class Result:
    """One check: its title, whether it passed, and the message when it did not."""
    title: str
    passed: bool
    message: str = ""

    def line(self, previous=""):
        if self.passed:
            return f"PASS  {self.title}"
        same = self.message == previous
        return f"FAIL  {self.title}\n      " + ("(the same message as above)" if same else self.message)


@dataclass
class Report:
    """Every check of one file, and what the file printed while it was graded (bounded)."""
    exercise: str
    path: str
    results: list = field(default_factory=list)
    printed: str = ""

    @property
    def passed(self):
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def count(self):
        return sum(r.passed for r in self.results)

    def first_failure(self):
        """The first failed check as "title: message", or "" when every check passed."""
        failed = [r for r in self.results if not r.passed]
        return f"{failed[0].title}: {failed[0].message}" if failed else ""

    def text(self):
        lines, previous = [f"{self.exercise}: checking {self.path}"], ""
        for result in self.results:
            lines.append(result.line(previous))
            previous = result.message if not result.passed else previous
        lines.append(f"{self.count} of {len(self.results)} checks passed")
        if self.printed.strip():
            lines.append("your file printed (the first characters):\n" + self.printed.rstrip())
        return "\n".join(lines)

    def gradescope(self):
        """Gradescope's autograder results: one test per check, 1 point each."""
        tests = [{"name": r.title, "score": 1.0 if r.passed else 0.0, "max_score": 1.0,
                  "output": "PASS" if r.passed else r.message} for r in self.results]
        return {"score": float(self.count), "output": self.text(), "tests": tests}


def check_file(path, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Grade the file at ``path`` in a sandbox of its own; returns a ``Report``."""
    source = read_source(path)
    exercise = exercise_of(path, source)
    with Sandbox(timeout, memory_mb) as sandbox:
        return grade_in(sandbox, path, exercise, source)


def grade_in(sandbox, path, exercise, source):
    """Grade one file whose exercise is known, in ``sandbox`` (started or restarted as needed)."""
    report = Report(exercise, str(path))
    checker = grader(exercise)
    syntax = parse_error(source, path)
    if syntax:
        return not_run(report, checker, syntax)
    sandbox.begin_file()
    try:
        module = load(sandbox, str(path), checker)
    except (CheckFailure, Stopped) as failure:
        report.printed = sandbox.printed()
        return not_run(report, checker, str(failure))
    report.results.append(Result(IMPORT_TITLE, True))
    stopped = None
    for title, check in checker.checks(module):
        if stopped is not None:
            report.results.append(Result(title, False, f"not run: {stopped}"))
            continue
        try:
            report.results.append(run_check(title, check))
        except Stopped as stop:
            report.results.append(Result(title, False, str(stop)))
            stopped = "the grading of your file had stopped at an earlier check"
    report.printed = sandbox.printed()
    return report


def not_run(report, checker, reason):
    """The report of a file that could not be imported: the reason, then every check failed as not run,
    so that the total is the same for every file of an exercise."""
    report.results.append(Result(IMPORT_TITLE, False, reason))
    placeholder = SimpleNamespace(**{name: None for name in checker.FUNCTIONS})
    for title, _ in checker.checks(placeholder):
        report.results.append(Result(title, False, "not run: your file must import first"))
    return report


def load(sandbox, path, checker):
    """The student's functions as ``RemoteFunction`` attributes; raises ``CheckFailure`` or ``Stopped``."""
    path = os.path.abspath(path)                           # the child runs in a folder of its own
    header, _ = sandbox.ask({"op": "load", "path": path, "names": list(checker.FUNCTIONS)}, "during import")
    if header.get("status") != "ok":
        error = header.get("error") or {}
        if error.get("type") == "SystemExit":
            raise CheckFailure(f"your file exited with status {error.get('exit')} during import"
                               f"{error.get('where', '')}: sys.exit, exit and quit end the grading; remove them.")
        message = student_error("importing your file", error).replace("importing your file raised",
                                                                        "importing your file failed with")
        raise CheckFailure(f"{message}. Fix this first: the checker runs your file as a module.")
    functions = header.get("functions") or {}
    missing = [name for name in checker.FUNCTIONS if not (functions.get(name) or {}).get("callable")]
    if missing:
        raise CheckFailure(f"your file defines no function named {', '.join(missing)}; "
                           f"the exercise asks for {', '.join(checker.FUNCTIONS)} (keep the starter's names)")
    hint = getattr(checker, "SHAPE_HINT", "")
    return SimpleNamespace(**{name: RemoteFunction(sandbox, path, name, functions[name].get("params") or [],
                                                   shape_hint=hint) for name in checker.FUNCTIONS})


def run_check(title, check):
    """Run one check; a ``CheckFailure`` (or any error in grading) becomes a failed ``Result``.

    ``Stopped`` (the student's process is gone) is raised: no later check can run.
    """
    try:
        check()
    except CheckFailure as failure:
        return Result(title, False, str(failure))
    except Stopped:
        raise
    except Exception as err:                       # e.g. a student's result of an unexpected type
        return Result(title, False, f"the checker could not grade this: {type(err).__name__}: {err}")
    return Result(title, True)
