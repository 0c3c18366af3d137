"""Grade a class: every submission in a folder, in parallel, into a CSV and one report per submission.

A submission is either a ``.py`` file directly in the folder (the student
is the file's name) or a sub-folder (the student is the folder's name) whose
``.py`` files, at any depth, are each graded as the exercise they declare.
All the files of one submission are graded in one sandbox, one after the
other, each with its own time limit; a file that kills the sandbox gets a
fresh one for the next file.

The CSV is never left truncated: it is rewritten, complete, as each
submission finishes (to a temporary file, then renamed over the old one),
so a grading that is killed leaves the previous CSV or a valid partial one.
Ctrl-C kills the submissions in progress at once, writes the rows of the
finished ones and raises ``Interrupted`` saying what was graded.
"""
import csv
import io
import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
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


class Interrupted(Exception):
    """Ctrl-C during ``grade_folder``: ``graded`` names the submissions whose rows were written, of ``total``."""

    def __init__(self, graded, total, csv_path):
        super().__init__(f"interrupted: graded {len(graded)} of {total} submissions"
                         f"{' (' + ', '.join(graded[:10]) + (' ...' if len(graded) > 10 else '') + ')' if graded else ''}"
                         f"; their rows are in {csv_path}")
        self.graded, self.total = graded, total


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


def grade_submission(name, files, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB, sandbox=None):
    """``(rows, report text, {path: Report})`` for one submission's files.

    ``sandbox``: the ``Sandbox`` to grade in (default: a new one that may not read the files' folder).
    """
    rows, texts, by_file = [], [], {}
    hidden = [os.path.dirname(os.path.abspath(f)) for f in files[:1]]
    with sandbox or Sandbox(timeout, memory_mb, hidden=hidden) as sandbox:
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
        folder: the class folder (a submission may read none of it but its own file).
        csv_path: the CSV to write, one row per graded file (columns ``COLUMNS``), rewritten as
            submissions finish.
        reports: folder for ``<submission>.txt`` reports (default: the CSV's name + ``_reports``).
        jobs: submissions graded in parallel (each in its own process).
        timeout: seconds per file; memory_mb: memory limit per sandbox.
        progress: called with a line of text per finished submission, or None.

    Returns:
        ``Graded``. Raises ``Interrupted`` on Ctrl-C, ``integrity.GraderChanged`` when the
        grader's own files changed.
    """
    from . import integrity                  # imported here: ``python -m minattn.exercises.integrity`` stays clean
    integrity.verify()
    started = time.monotonic()
    submissions = submissions_in(folder)
    reports = reports or os.path.splitext(csv_path)[0] + "_reports"
    os.makedirs(reports, exist_ok=True)
    write_atomically(csv_path + ".check", "")           # a CSV that cannot be written fails now, not at the end
    os.remove(csv_path + ".check")
    hidden, live, stop = [os.path.abspath(folder)], set(), threading.Event()

    def grade(entry):
        name, files = entry
        sandbox = Sandbox(timeout, memory_mb, hidden=hidden)
        live.add(sandbox)
        try:
            if stop.is_set():
                return None
            rows, text, by_file = grade_submission(name, files, timeout, memory_mb, sandbox)
        finally:
            live.discard(sandbox)
        if stop.is_set():
            return None                                     # killed half-way: its rows would be wrong
        write_atomically(os.path.join(reports, f"{name}.txt"), text)
        return rows, by_file

    done, order = {}, {name: i for i, (name, _) in enumerate(submissions)}
    pool = ThreadPoolExecutor(max_workers=jobs)
    pending = {pool.submit(grade, entry): entry[0] for entry in submissions}
    try:
        while pending:
            finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                name = pending.pop(future)
                done[name] = future.result()
                write_csv(csv_path, folder, [done[n][0] for n in sorted(done, key=order.get)])
                if progress:
                    progress(f"{name}: " + ", ".join(f"{r['exercise'] or '?'} {r['passed']}/{r['total']}"
                                                     for r in done[name][0]))
    except KeyboardInterrupt:
        stop.set()
        for sandbox in list(live):
            sandbox.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        raise Interrupted(sorted(done, key=order.get), len(submissions), csv_path) from None
    pool.shutdown()
    graded = [done[name] for name, _ in submissions]
    rows = [relative(r, folder) for submission_rows, _ in graded for r in submission_rows]
    by_file = {path: report for _, reports in graded for path, report in reports.items()}
    write_csv(csv_path, folder, [submission_rows for submission_rows, _ in graded])
    return Graded([name for name, _ in submissions], rows, reports, time.monotonic() - started, by_file)


def write_csv(csv_path, folder, graded_rows):
    """The CSV of every row in ``graded_rows`` (a list per submission), files relative to ``folder``."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for rows in graded_rows:
        writer.writerows([relative(r, folder) for r in rows])
    write_atomically(csv_path, buffer.getvalue())


def relative(row_, folder):
    """``row_`` with its file named relative to the class folder."""
    return dict(row_, file=os.path.relpath(row_["file"], folder) if row_["file"] else "")


def write_atomically(path, text):
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``: a reader (or a
    killed run) sees the old file or the new one, never a part."""
    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with open(temporary, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
