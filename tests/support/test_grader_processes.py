"""No process outlives its grade, and no grade is lost: killed and interrupted gradings, the CPU limit, the reaper.

Every grading runs the command line in a process of its own
(``grader_runs``); each test asserts the exit code, the time it took (a
generous bound), what was written, and that no process of the grading
survives it.
"""
import csv
import os
import signal
import subprocess
import sys
import time

import pytest

from minattn.exercises import reaper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grader_runs import BOUND, clean_up, running, start_a_loop, start_cli, survivors  # noqa: E402
from test_grader import HEAD, SOLUTION  # noqa: E402


def class_of_three(tmp_path):
    """A class folder: a solution, then two files that hang, and a previous CSV."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a_alice.py").write_text(SOLUTION, encoding="utf-8")
    for name in ("b_bob.py", "c_carol.py"):
        (folder / name).write_text(HEAD + "while True:\n    pass\n", encoding="utf-8")
    grades = tmp_path / "grades.csv"
    grades.write_text("previous grades\n", encoding="utf-8")
    return folder, grades


def rows_or_previous(grades):
    """The CSV's rows, asserting it is the previous file or a whole CSV (never cut short)."""
    text = grades.read_text(encoding="utf-8")
    if text == "previous grades\n":
        return None
    rows = list(csv.DictReader(text.splitlines()))
    assert text.startswith("submission,file,") and text.endswith("\n") and all(len(r) == 6 for r in rows), text
    return rows


def grade_until_first_row(tmp_path):
    """Start grading ``class_of_three``; return when alice's row is in the CSV (checked whole at every look)."""
    folder, grades = class_of_three(tmp_path)
    process = start_cli(["grade", folder, "--csv", grades, "--timeout", 60], tmp_path)
    ends = time.monotonic() + BOUND
    while not rows_or_previous(grades) and time.monotonic() < ends and process.poll() is None:
        time.sleep(0.05)
    return process, grades


def test_a_killed_grade_leaves_a_whole_csv_and_no_process(tmp_path):
    process, grades = grade_until_first_row(tmp_path)
    try:
        assert process.poll() is None
        process.kill()                                      # kill -9: no handler runs
        process.wait()
        rows = rows_or_previous(grades)
        assert [r["submission"] for r in rows] == ["a_alice"] and rows[0]["passed"] == rows[0]["total"]
        assert not survivors(process.pid), "the submission's process outlived a killed grader"
    finally:
        clean_up(process)


def ctrl_c(process, after):
    """Send SIGINT to ``process`` ``after`` seconds from now; ``(stderr, seconds it took to exit)``."""
    try:
        time.sleep(after)
        interrupted = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=BOUND)
        return err, time.monotonic() - interrupted
    finally:
        clean_up(process)


def test_ctrl_c_stops_grade_at_once_and_says_what_was_graded(tmp_path):
    process, grades = grade_until_first_row(tmp_path)
    err, seconds = ctrl_c(process, after=0.5)                # bob's child is running his endless loop
    assert process.returncode == 130 and seconds < 5, (seconds, err)
    assert "interrupted: graded 1 of 3 submissions (a_alice)" in err, err
    assert [r["submission"] for r in rows_or_previous(grades)] == ["a_alice"]
    assert not survivors(process.pid)


def test_ctrl_c_stops_check_at_once(tmp_path):
    process, _ = start_a_loop(tmp_path, 60)
    err, seconds = ctrl_c(process, after=1.0)                # the child is in the endless loop
    assert process.returncode == 130 and seconds < 5 and "was not graded" in err, (seconds, err)
    assert not survivors(process.pid)


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="the reaper's search needs /proc")
@pytest.mark.parametrize("escape", ["time.sleep(600)", "os.execve('/bin/sleep', ['sleep', '600'], {})"],
                         ids=["setsid", "setsid, then exec with no environment"])
def test_the_reaper_kills_a_grandchild_that_left_the_group(escape):
    """Behind the policy (which refuses fork): a grandchild in a session of its own, even one that dropped
    the token with its environment, dies with the sandbox."""
    token = reaper.new_token()
    code = (f"import os, time\npid = os.fork()\nif pid == 0:\n    os.setsid()\n    {escape}\n"
            "print(pid, flush=True)\ntime.sleep(600)\n")
    process = subprocess.Popen([sys.executable, "-c", code], env=dict(os.environ, **{reaper.TOKEN_VARIABLE: token}),
                               start_new_session=True, stdout=subprocess.PIPE, text=True)
    try:
        grandchild = int(process.stdout.readline())
        time.sleep(0.3)                                     # the exec has happened
        assert os.getpgid(grandchild) != process.pid and grandchild in reaper.processes_of(token, process.pid)
        assert reaper.kill_all(process, token) >= 1
        ends = time.monotonic() + 5
        while running(grandchild) and time.monotonic() < ends:
            time.sleep(0.05)
        assert not running(grandchild) and process.returncode is not None
    finally:
        for pid in reaper.processes_of(token, process.pid) | {process.pid}:
            reaper.send(pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()


def test_the_next_copy_cannot_be_turned_through_a_left_link(tmp_path):
    from minattn.exercises.sandbox import private_copy
    victim = tmp_path / "victim.py"
    victim.write_text("mine\n", encoding="utf-8")
    folder = tmp_path / "private"
    folder.mkdir()
    os.symlink(victim, folder / "alice.py")                 # left by a thread of the previous file
    copy = private_copy(str(folder), "alice.py", b"graded\n")
    assert victim.read_text(encoding="utf-8") == "mine\n" and open(copy, "rb").read() == b"graded\n"
    assert os.listdir(folder) == [os.path.basename(os.path.dirname(copy))]



def test_the_cpu_limit_ends_a_loop_the_grader_cannot(tmp_path):
    """The grader stopped from outside (not by the submission: it may not signal): the child's CPU-time
    limit, a few seconds above --timeout, ends its endless loop all the same."""
    process, children = start_a_loop(tmp_path, 3)         # stopped while the child loops: before its 3 s
    try:
        process.send_signal(signal.SIGSTOP)
        ends = time.monotonic() + 3 * BOUND                 # CPU time runs slower than the clock on a busy machine
        while any(running(pid) for pid in children) and time.monotonic() < ends:
            time.sleep(0.2)
        assert children and not any(running(pid) for pid in children)
    finally:
        clean_up(process)


def test_the_output_reader_stops_though_the_pipe_stays_open():
    """A process that escaped while holding the child's output pipe open cannot keep the grader waiting:
    the reader stops when told, not at an end of file that never comes."""
    from minattn.exercises.sandbox import BoundedOutput
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"printed\n")
        output = BoundedOutput(os.fdopen(read_end, "rb"), limit=100)
        started = time.monotonic()
        output.finish()                                      # the write end is still open
        assert time.monotonic() - started < 5 and output.take() == "printed\n"
    finally:
        os.close(write_end)
