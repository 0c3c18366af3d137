"""Time the class grader on a generated class folder, with --jobs 1 and --jobs 2.

    python benchmarks/bench_grader.py                       # 100 submissions, jobs 1 and 2
    python benchmarks/bench_grader.py --students 20 --jobs 2

The class has one file per student, the exercises in turn; of every ten
students six hand in the reference solution, two the untouched starter, one
a solution with one operator changed (wrong values), and one a file that raises at
import. ``--hangs K`` makes K more students' files loop for ever at import,
each of which costs the full ``--timeout``. Needs the repository (it reads
``coursework/solutions``). Prints the wall time per run and returns it.
"""
import argparse
import itertools
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from minattn.exercises import EXERCISES, grade_folder, starter_text  # noqa: E402
from minattn.experiments.results import provenance, started  # noqa: E402

STUDENTS = 100
JOBS = (1, 2)
TIMEOUT = 60.0
KINDS = ("solution", "starter", "solution", "wrong", "solution", "crash", "solution", "starter", "solution", "solution")


def submission_text(kind, exercise):
    """The file a student of this kind hands in for ``exercise``."""
    if kind == "starter":
        return starter_text(exercise)
    with open(os.path.join(ROOT, "coursework", "solutions", f"{exercise}.py"), encoding="utf-8") as handle:
        text = handle.read()
    if kind == "wrong":
        return spoiled(text)
    if kind == "crash":
        return text + "\nraise RuntimeError('left-over debugging')\n"
    if kind == "hang":
        return text + "\nwhile True:\n    pass\n"
    return text


def spoiled(text):
    """``text`` with the first arithmetic operator of its code (not a docstring or comment) changed."""
    lines, in_docstring = text.split("\n"), False
    for number, line in enumerate(lines):
        code = line.split("#")[0]
        if code.count('"""') == 1:
            in_docstring = not in_docstring
        if in_docstring or '"""' in code or code.startswith(("import", "from")):
            continue
        for right, wrong in ((" + ", " - "), (" - ", " + "), (" * ", " / ")):
            if right in code:
                lines[number] = code.replace(right, wrong, 1) + line[len(code):]
                return "\n".join(lines)
    raise ValueError("no operator to change")


def make_class(folder, students, hangs=0):
    """Write ``students + hangs`` submissions into ``folder``; returns how many of each kind."""
    kinds = [kind for kind, _ in zip(itertools.cycle(KINDS), range(students))] + ["hang"] * hangs
    exercises = itertools.cycle(EXERCISES)
    for number, kind in enumerate(kinds):
        exercise = next(exercises)
        with open(os.path.join(folder, f"student{number:03d}_{exercise}.py"), "w", encoding="utf-8") as handle:
            handle.write(submission_text(kind, exercise))
    return {kind: kinds.count(kind) for kind in sorted(set(kinds))}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=STUDENTS)
    parser.add_argument("--jobs", type=int, nargs="+", default=list(JOBS))
    parser.add_argument("--timeout", type=float, default=TIMEOUT)
    parser.add_argument("--hangs", type=int, default=0)
    parser.add_argument("--json", metavar="PATH",
                        help="also write the timings, with the command, commit and machine, as JSON "
                             "(e.g. docs/runs/bench/grader.json, which a page can quote)")
    args = parser.parse_args(argv)
    started()                                   # the commit (and a dirty tree) as the run begins
    seconds = {}
    with tempfile.TemporaryDirectory(prefix="minattn_class_") as scratch:
        folder = os.path.join(scratch, "class")
        os.makedirs(folder)
        kinds = make_class(folder, args.students, args.hangs)
        print(f"class of {args.students + args.hangs} submissions: "
              + ", ".join(f"{count} {kind}" for kind, count in kinds.items()))
        for jobs in args.jobs:
            graded = grade_folder(folder, os.path.join(scratch, f"grades_{jobs}.csv"), jobs=jobs, timeout=args.timeout)
            passed = sum(r["total"] > 0 and r["passed"] == r["total"] for r in graded.rows)
            seconds[jobs] = graded.seconds
            print(f"--jobs {jobs}: graded {len(graded.submissions)} submissions ({passed} passed every check) "
                  f"in {graded.seconds:.1f} s, {graded.seconds / len(graded.submissions):.2f} s each")
    if args.json:
        write_json(args.json, {"provenance": provenance(__file__, argv), "students": args.students, "hangs": args.hangs,
                               "kinds": kinds, "timeout": args.timeout,
                               "seconds": {str(jobs): s for jobs, s in seconds.items()},
                               "seconds_per_submission": {str(jobs): s / (args.students + args.hangs)
                                                          for jobs, s in seconds.items()}})
    return seconds


def write_json(path, record):
    """Write ``record`` to ``path`` (its folder made as needed)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(record, handle, indent=2)
    print(f"results written to {path}")


if __name__ == "__main__":
    main()
