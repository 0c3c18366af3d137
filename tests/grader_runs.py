"""Running the grader's command line in a process of its own, for the tests of hostile submissions.

A guard that failed would then kill, stop or hang that process, never
pytest; ``clean_up`` kills it (waking it first if it was stopped) and
anything carrying its token, whatever happened.
"""
import os
import signal
import subprocess
import sys
import time

from minattn.exercises import limits, reaper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BOUND = 60                                   # seconds: a grading that takes longer has hung
# the command line, with Ctrl-C raising KeyboardInterrupt even when pytest runs where SIGINT is ignored
LAUNCH = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
          "sys.argv = ['minattn.exercises'] + sys.argv[1:]; runpy.run_module('minattn.exercises', run_name='__main__')")


def start_cli(args, cwd, package_root=ROOT):
    """The command line started with ``args``, in a session of its own: a submission that killed its
    grader's group, had the guard failed, would not reach pytest."""
    env = dict(os.environ, PYTHONPATH=package_root)
    return subprocess.Popen([sys.executable, "-c", LAUNCH] + [str(a) for a in args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def survivors(pid, wait=5.0):
    """The processes started by the grader ``pid`` still alive after up to ``wait`` seconds."""
    ends = time.monotonic() + wait
    while True:
        alive = reaper.processes_of(f"{pid}:")
        if not alive or time.monotonic() > ends:
            return alive
        time.sleep(0.1)


def clean_up(process):
    """Whatever happened, nothing of this grading is left: the grader (woken if stopped) and its children."""
    for pid in [process.pid] + sorted(reaper.processes_of(f"{process.pid}:")):
        for sig in (signal.SIGCONT, signal.SIGKILL):
            reaper.send(pid, sig)
    process.wait()


def run_cli(args, cwd, package_root=ROOT):
    """``(exit code, stdout, stderr, seconds)`` of the command line; asserts nothing of it survives."""
    process = start_cli(args, cwd, package_root)
    started = time.monotonic()
    try:
        out, err = process.communicate(timeout=BOUND)
    finally:
        clean_up(process)
    assert not survivors(process.pid), "a process started by the grading outlived it"
    return process.returncode, out, err, time.monotonic() - started


def running(pid):
    """Is ``pid`` a live process (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] not in (b"Z", b"X")


LOOPING_CPU = 0.5        # CPU seconds: several times the child's start-up (about 0.1 s here), below its budget


def start_a_loop(tmp_path, timeout):
    """``check`` of a file that loops for ever at import; returns the command's process and the child's pids,
    once the child is in the loop: it has used more CPU time than starting up takes (found too early, the
    child may still be waiting for the grader's first request, and a test that stops the grader then would
    stop it before the loop began)."""
    path = tmp_path / "alice.py"
    path.write_text('EXERCISE = "masked_softmax"\nwhile True:\n    pass\n', encoding="utf-8")
    process = start_cli(["check", path, "--timeout", timeout], tmp_path)
    ends = time.monotonic() + BOUND
    children = set()
    while time.monotonic() < ends:
        children = reaper.processes_of(f"{process.pid}:")
        if children and max(limits.cpu_seconds(pid) or 0.0 for pid in children) >= LOOPING_CPU:
            break
        time.sleep(0.01)
    return process, children
