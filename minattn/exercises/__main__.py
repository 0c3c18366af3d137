"""The coursework command line: ``list``, ``start NAME [DEST]``, ``check FILE``, ``grade FOLDER``.

Exit codes of ``check`` and ``grade``:

* 0 -- every check of every file passed;
* 1 -- a check failed (a wrong value, a file that does not parse or import,
  exits, crashes, runs out of time or memory);
* 2 -- a usage error: nothing could be graded (no such file or folder, a
  folder given to ``check``, no exercise named, a starter that would
  overwrite a file, an option out of range, a grader whose own files changed);
* 130 -- interrupted by Ctrl-C: what was graded is said, and ``grade``'s
  CSV holds the rows of the submissions graded before it.

``list`` and ``start`` exit 0 when they worked, 2 otherwise.
"""
import argparse
import json
import math
import sys

from . import EXERCISES, UnknownExercise, check_file, grader, start
from .classes import Interrupted, grade_folder
from .integrity import GraderChanged
from .loading import NotAFile
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, MAX_TIMEOUT

INTERRUPTED = 130


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "start":
        return _start(args.name, args.dest)
    if args.command == "grade":
        return _grade(args)
    return _check(args)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m minattn.exercises",
                                     description="minattn coursework: start an exercise, then check it.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises in the suggested order")
    starting = commands.add_parser("start", help="copy an exercise's starter file here (never overwrites)")
    starting.add_argument("name", help="the exercise, e.g. lstm_cell")
    starting.add_argument("dest", nargs="?", help="file or existing folder to write (default my_NAME.py here)")
    checking = commands.add_parser("check", help="grade your file: PASS / FAIL per check")
    checking.add_argument("file", help="your solution, e.g. my_lstm_cell.py")
    checking.add_argument("--gradescope", metavar="JSON", help="also write Gradescope's results.json here")
    grading = commands.add_parser("grade", help="grade a class folder (a file or a folder per student) into a CSV")
    grading.add_argument("folder", help="the folder of submissions")
    grading.add_argument("--csv", required=True, help="the CSV to write: one row per graded file")
    grading.add_argument("--reports", help="folder for one report per submission (default: CSV name + _reports)")
    grading.add_argument("--jobs", type=_in_range(int, 1, 256, "a whole number of processes"), default=1,
                         help="submissions graded at once (default 1)")
    for command in (checking, grading):
        command.add_argument("--timeout", type=_in_range(float, 0, MAX_TIMEOUT, "a number of seconds", above=True),
                             default=DEFAULT_TIMEOUT, help=f"seconds allowed per file, import and checks "
                             f"(default {DEFAULT_TIMEOUT:g}, at most {MAX_TIMEOUT:g})")
        command.add_argument("--memory", type=_in_range(int, 1, 2 ** 20, "a whole number of MB"),
                             default=DEFAULT_MEMORY_MB,
                             help=f"memory limit of a submission's process in MB (default {DEFAULT_MEMORY_MB})")
    return parser


def _in_range(kind, low, high, what, above=False):
    """An argparse type: a finite ``kind`` in [low, high] (in (low, high] when ``above``), else a usage error."""
    bounds = f"{'more than' if above else 'at least'} {low:.12g} and at most {high:.12g}"

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, {bounds}; got {text!r}") from None
        if not math.isfinite(value) or value > high or (value <= low if above else value < low):
            raise argparse.ArgumentTypeError(f"expected {what}, {bounds}; got {text!r}")
        return value
    return parse


def _list():
    for number, name in enumerate(EXERCISES, 1):
        print(f"{number}. {name:22s} {grader(name).SUMMARY}")
    print("\nStart one with: python -m minattn.exercises start NAME")
    return 0


def _start(name, dest):
    if name not in EXERCISES:
        return _usage(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    try:
        path = start(name, dest)
    except FileExistsError as err:
        return _usage(f"{err.filename} already exists; not overwriting it. Give another DEST.")
    except FileNotFoundError as err:
        return _usage(f"no such folder: {err.filename}; create it first (start does not create folders)")
    print(f"wrote {path}\nfill it in, then run: python -m minattn.exercises check {path}")
    return 0


def _check(args):
    try:
        report = check_file(args.file, timeout=args.timeout, memory_mb=args.memory)
    except FileNotFoundError:
        return _usage(f"no such file: {args.file}")
    except (UnknownExercise, NotAFile, PermissionError, GraderChanged) as err:
        return _usage(str(err))
    except KeyboardInterrupt:
        print(f"interrupted: {args.file} was not graded", file=sys.stderr)
        return INTERRUPTED
    print(report.text())
    if args.gradescope:
        try:
            with open(args.gradescope, "w", encoding="utf-8") as handle:
                json.dump(report.gradescope(), handle, indent=1)
        except OSError as err:
            return _usage(f"cannot write {args.gradescope}: {err.strerror}")
    return 0 if report.passed else 1


def _grade(args):
    try:
        graded = grade_folder(args.folder, args.csv, args.reports, jobs=args.jobs, timeout=args.timeout,
                              memory_mb=args.memory, progress=lambda line: print(line, flush=True))
    except (FileNotFoundError, NotADirectoryError, GraderChanged) as err:
        return _usage(str(err))
    except Interrupted as err:
        print(err, file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:
        print("interrupted: nothing was graded", file=sys.stderr)
        return INTERRUPTED
    except OSError as err:                                  # the CSV or the reports folder cannot be written
        return _usage(f"cannot write {err.filename}: {err.strerror}")
    passed = sum(row["passed"] == row["total"] and row["total"] > 0 for row in graded.rows)
    print(f"graded {len(graded.submissions)} submissions, {len(graded.rows)} files ({passed} with every check "
          f"passed) in {graded.seconds:.1f} s; wrote {args.csv} and the reports in {graded.reports}")
    return 0 if graded.rows and passed == len(graded.rows) else 1


def _usage(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
