"""Grade students' files: identify the exercise, run the file in a sandbox, run every check here.

``check_file(path)`` never raises for the student's mistakes: a file that
does not parse or import, exits, hangs, a missing function or a wrong
answer each become a failed check with a message. Only a path that is not
a file (``FileNotFoundError``, ``NotAFile``) or a file that names no
exercise (``UnknownExercise``) raises, because then there is nothing to grade.

The student's code runs only in the sandbox's child process; the checks
(``checks/<name>.py``) run here, in the grader, on the values it sends back.
The report is the grader's: what the file printed comes first, fenced and
with every line marked ``| ``, then the verdicts, and the summary line
``k of n checks passed`` always last -- a file cannot print a fake one.
"""
import os
import re
from dataclasses import dataclass, field
from types import SimpleNamespace

from .checks import grader
from .compare import CheckFailure
from .loading import exercise_of, parse_error, read_source
from .remote import RemoteFunction, student_error
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Sandbox, Stopped

IMPORT_TITLE = "your file imports and defines the functions"
POLICY_TITLE = "your file keeps to itself: no other file, process, signal, socket, ctypes or forbidden import"
FENCE = ("---- what your file printed (each line starts with \"| \") ----", "---- end of what your file printed ----")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")          # \r, escape sequences...: shown, not obeyed


def visible(text):
    """``text`` with its control characters written out (\\r, \\x1b): a terminal cannot be made to
    overwrite or hide a line of the report."""
    return CONTROL.sub(lambda found: repr(found.group())[1:-1], text)


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
        message = "(the same message as above)" if same else visible(self.message).replace("\n", "\n      ")
        return f"FAIL  {self.title}\n      " + message


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
        """The report: what the file printed (fenced), one line per check, and the summary last."""
        lines, previous = [f"{self.exercise}: checking {visible(self.path)}"], ""
        if self.printed.strip():
            lines += [FENCE[0]] + ["| " + visible(line) for line in self.printed.rstrip().split("\n")] + [FENCE[1]]
        for result in self.results:
            lines.append(result.line(previous))
            previous = result.message if not result.passed else previous
        lines.append(f"{self.count} of {len(self.results)} checks passed")
        return "\n".join(lines)

    def gradescope(self):
        """Gradescope's autograder results: one test per check, 1 point each."""
        tests = [{"name": r.title, "score": 1.0 if r.passed else 0.0, "max_score": 1.0,
                  "output": "PASS" if r.passed else r.message} for r in self.results]
        return {"score": float(self.count), "output": self.text(), "tests": tests}


def check_file(path, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """Grade the file at ``path`` in a sandbox of its own; returns a ``Report``.

    Raises ``integrity.GraderChanged`` when the grader's own files are not the installed ones.
    """
    from . import integrity                  # imported here: ``python -m minattn.exercises.integrity`` stays clean
    integrity.verify()
    source = read_source(path)
    exercise = exercise_of(path, source)
    with Sandbox(timeout, memory_mb, hidden=[os.path.dirname(os.path.abspath(path))]) as sandbox:
        return grade_in(sandbox, path, exercise, source)


def grade_in(sandbox, path, exercise, source):
    """Grade one file whose exercise is known, in ``sandbox`` (started or restarted as needed)."""
    report = Report(exercise, str(path))
    checker = grader(exercise)
    syntax = parse_error(source, path)
    if syntax:
        return not_run(report, checker, syntax, ran=False)
    try:
        module = load(sandbox, sandbox.begin_file(path), checker)
    except OSError as err:                                  # the file vanished before its copy was made
        return not_run(report, checker, f"the grader could not copy your file: {err}", ran=False)
    except (CheckFailure, Stopped) as failure:
        report.printed = sandbox.printed()
        return not_run(report, checker, str(failure), sandbox.refused)
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
    report.results.append(policy_result(sandbox.refused))
    return report


def policy_result(refused, ran=True):
    """The last check of every file: a FAIL naming each action the policy refused ("your file tried to ...")."""
    if refused:
        unique = list(dict.fromkeys(refused))
        return Result(POLICY_TITLE, False, "; ".join(unique) + ". The grader refused: a submission may only "
                      "compute with its own file (see the exercise's starter for what it may import)")
    return Result(POLICY_TITLE, True) if ran else Result(POLICY_TITLE, False, "not run: your file must import first")


def not_run(report, checker, reason, refused=(), ran=True):
    """The report of a file that could not be imported: the reason, then every check failed as not run,
    so that the total is the same for every file of an exercise."""
    report.results.append(Result(IMPORT_TITLE, False, reason))
    placeholder = SimpleNamespace(**{name: None for name in checker.FUNCTIONS})
    for title, _ in checker.checks(placeholder):
        report.results.append(Result(title, False, "not run: your file must import first"))
    report.results.append(policy_result(list(refused), ran=ran and bool(refused)))
    return report


def load(sandbox, path, checker):
    """The student's functions as ``RemoteFunction`` attributes; raises ``CheckFailure`` or ``Stopped``.

    ``path`` is the copy of the file in the sandbox's folder (``Sandbox.begin_file``).
    """
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
