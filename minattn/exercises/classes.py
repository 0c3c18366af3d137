"""Grade a class: every submission in a folder, in parallel, into a CSV and one report per submission.

A submission is either a ``.py`` file directly in the folder (the student
is the file's name) or a sub-folder (the student is the folder's name) whose
``.py`` files, at any depth, are each graded as the exercise they declare.
All the files of one submission are graded in one sandbox, one after the
other, each with its own time limit; a file that kills the sandbox gets a
fresh one for the next file.
"""
import csv
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from .grading import grade_in
from .loading import UnknownExercise, exercise_of, read_source
from .sandbox import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, Sandbox

COLUMNS = ("submission", "file", "exercise", "passed", "total", "first_failure")


@dataclass
class Graded:
    """What ``grade_folder`` did: the submissions' names, the CSV rows, the reports folder, the wall time,
    and the ``Report`` of every graded file by its path."""
    submissions: list
    rows: list
    reports: str
    seconds: float
    by_file: dict


def submissions_in(folder):
    """``[(name, [files])]`` for the folder's ``.py`` files and sub-folders, sorted by name."""
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"no such folder: {folder}") if os.path.exists(folder) else \
            FileNotFoundError(f"no such folder: {folder}")
    found = []
    for entry in sorted(os.listdir(folder)):
        path = os.path.join(folder, entry)
        if entry.startswith((".", "__")):
            continue
        if os.path.isdir(path):
            found.append((entry, python_files(path)))
        elif entry.endswith(".py"):
            found.append((entry[:-3], [path]))
    return found


def python_files(folder):
    """The ``.py`` files under ``folder``, skipping hidden folders and ``__pycache__``, sorted."""
    files = []
    for root, folders, names in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith((".", "__")))
        files += [os.path.join(root, n) for n in sorted(names) if n.endswith(".py") and not n.startswith("__")]
    return files


def grade_submission(name, files, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
    """``(rows, report text, {path: Report})`` for one submission's files."""
    rows, texts, by_file = [], [], {}
    with Sandbox(timeout, memory_mb) as sandbox:
        for path in files:
            try:
                source = read_source(path)
                exercise = exercise_of(path, source)
            except (UnknownExercise, OSError, ValueError) as err:
                rows.append(row(name, path, "", 0, 0, f"not graded: {err}"))
                texts.append(f"{path}: not graded: {err}")
                continue
            report = grade_in(sandbox, path, exercise, source)
            rows.append(row(name, path, exercise, report.count, len(report.results), report.first_failure()))
            by_file[path] = report
            texts.append(report.text())
    if not files:
        rows.append(row(name, "", "", 0, 0, "not graded: the submission has no .py file"))
        texts.append("not graded: the submission has no .py file")
    return rows, f"submission {name}\n\n" + "\n\n".join(texts) + "\n", by_file


def row(submission, path, exercise, passed, total, first_failure):
    return {"submission": submission, "file": path, "exercise": exercise, "passed": passed, "total": total,
            "first_failure": first_failure}


def grade_folder(folder, csv_path, reports=None, jobs=1, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB,
                 progress=None):
    """Grade every submission in ``folder`` with ``jobs`` sandboxes at once; write the CSV and the reports.

    Args:
        folder: the class folder.
        csv_path: the CSV to write, one row per graded file (columns ``COLUMNS``).
        reports: folder for ``<submission>.txt`` reports (default: the CSV's name + ``_reports``).
        jobs: submissions graded in parallel (each in its own process).
        timeout: seconds per file; memory_mb: memory limit per sandbox.
        progress: called with a line of text per finished submission, or None.

    Returns:
        ``Graded``.
    """
    started = time.monotonic()
    submissions = submissions_in(folder)
    reports = reports or os.path.splitext(csv_path)[0] + "_reports"
    os.makedirs(reports, exist_ok=True)
    open(csv_path, "w", encoding="utf-8").close()           # a CSV that cannot be written fails now, not at the end

    def grade(entry):
        name, files = entry
        rows, text, by_file = grade_submission(name, files, timeout, memory_mb)
        with open(os.path.join(reports, f"{name}.txt"), "w", encoding="utf-8") as handle:
            handle.write(text)
        if progress:
            progress(f"{name}: " + ", ".join(f"{r['exercise'] or '?'} {r['passed']}/{r['total']}" for r in rows))
        return rows, by_file

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        graded = list(pool.map(grade, submissions))
    rows = [r for submission_rows, _ in graded for r in submission_rows]
    by_file = {path: report for _, reports in graded for path, report in reports.items()}
    for r in rows:
        r["file"] = os.path.relpath(r["file"], folder) if r["file"] else ""
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return Graded([name for name, _ in submissions], rows, reports, time.monotonic() - started, by_file)
