"""The coursework command line: ``list``, ``start NAME [DEST]``, ``check FILE``.

Exit codes: 0 when every check passes (or list / start worked), 1 when a
check fails, 2 when there is nothing to grade (no such file, no exercise
named, a starter that would overwrite a file).
"""
import argparse
import sys

from . import EXERCISES, UnknownExercise, check_file, grader, start


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list()
    if args.command == "start":
        return _start(args.name, args.dest)
    return _check(args.file)


def _parser():
    parser = argparse.ArgumentParser(prog="python -m minattn.exercises",
                                     description="minattn coursework: start an exercise, then check it.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the exercises in the suggested order")
    starting = commands.add_parser("start", help="copy an exercise's starter file here (never overwrites)")
    starting.add_argument("name", help="the exercise, e.g. lstm_cell")
    starting.add_argument("dest", nargs="?", help="file or folder to write (default my_NAME.py here)")
    checking = commands.add_parser("check", help="grade your file: PASS / FAIL per check")
    checking.add_argument("file", help="your solution, e.g. my_lstm_cell.py")
    return parser


def _list():
    for number, name in enumerate(EXERCISES, 1):
        print(f"{number}. {name:22s} {grader(name).SUMMARY}")
    print("\nStart one with: python -m minattn.exercises start NAME")
    return 0


def _start(name, dest):
    if name not in EXERCISES:
        print(f"error: unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}", file=sys.stderr)
        return 2
    try:
        path = start(name, dest)
    except FileExistsError as err:
        print(f"error: {err.filename} already exists; not overwriting it. Give another DEST.", file=sys.stderr)
        return 2
    print(f"wrote {path}\nfill it in, then run: python -m minattn.exercises check {path}")
    return 0


def _check(path):
    try:
        report = check_file(path)
    except FileNotFoundError:
        print(f"error: no such file: {path}", file=sys.stderr)
        return 2
    except UnknownExercise as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(report.text())
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
