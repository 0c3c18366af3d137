"""The grader's side of running students' files: a child process that nothing a submission does can outlive.

``Sandbox`` starts the child (``child.py``) in a session and process group
of its own, with its working directory a private temporary folder that
holds only a copy of the file being graded. Inside, the child sets its
limits (``limits.py``: memory, file size, CPU time, death with the grader)
and a policy (``policy.py``: no writing outside its folder, no reading of
the solutions or minattn's source, no processes, signals, sockets or
ctypes, limited imports). Here, every reply is read against one deadline
per graded file, the printed output on a thread that never waits for an
end of file, and at the end ``reaper.kill_all`` kills the child, its group
and anything carrying its token. Whatever the student's code does -- exit,
hang, start threads, crash -- the sandbox raises ``Stopped`` with a sentence
saying what happened; the grader never waits past the deadline and never
runs the student's code itself.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from . import limits, protocol, reaper

DEFAULT_TIMEOUT = 60.0               # seconds per file: importing it and every check
MAX_TIMEOUT = 3600.0                 # the longest --timeout accepted
DEFAULT_MEMORY_MB = 2048
FILE_LIMIT_MB = 32                   # the largest file a submission may write (in its own folder)
OUTPUT_LIMIT = 4000                  # characters of a student's printed output kept for the report
REFUSALS_KEPT = 20                   # refused actions kept per file
EXERCISES_DIR = os.path.dirname(os.path.abspath(__file__))
PACKAGE_DIR = os.path.dirname(EXERCISES_DIR)
PACKAGE_ROOT = os.path.dirname(PACKAGE_DIR)
SOLUTIONS_DIR = os.path.join(PACKAGE_ROOT, "coursework")
# the child's first statement: this folder becomes the package ``minattn_sandbox``; minattn is never imported
BOOT = ("import sys, types; package = types.ModuleType('minattn_sandbox'); package.__path__ = [sys.argv[1]]; "
        "sys.modules['minattn_sandbox'] = package; from minattn_sandbox.child import main; "
        "sys.exit(main(sys.argv[2:]))")
SIGNAL_WORDS = {"SIGXCPU": "CPU time beyond the grader's limit", "SIGXFSZ": "a file beyond the grader's size limit"}


class Stopped(Exception):
    """The student's process exited, hung, or answered nonsense; no further check of the file can run."""


class Sandbox:
    """A child process that imports students' files and calls their functions, restarted when it dies.

    Args:
        timeout: seconds allowed per file (importing it and all of its checks).
        memory_mb: address-space limit of the child, in MB.
        hidden: folders the child may not read (the folder the submissions come from).
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB, hidden=()):
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        self.hidden = [os.path.abspath(h) for h in hidden]
        self.process = None
        self.deadline = None
        self.refused = []
        self.cancelled = False
        self.output = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def begin_file(self, path):
        """Start the child if there is none, copy ``path`` alone into its folder, give the file its own
        ``timeout``; returns the copy's path (the one the child loads)."""
        if self.cancelled:
            raise Stopped("not run: the grading was interrupted")
        if self.process is None:
            self._start()
        self.output.take()
        self.refused = []
        with open(path, "rb") as handle:
            source = handle.read()
        copy = private_copy(self.folder, os.path.basename(path), source)
        limits.renew_cpu_budget(self.process.pid, self.timeout)
        self.deadline = time.monotonic() + self.timeout
        return copy

    def printed(self):
        """What the student's code printed since ``begin_file`` (bounded), as text."""
        return self.output.take() if self.output is not None else ""

    def ask(self, request, during):
        """The child's ``(header, arrays)`` reply; ``during`` ("in lstm_cell") words a failure."""
        if self.process is None:
            raise Stopped("not run: your file's process had already stopped")
        try:
            protocol.write_message(self.requests, protocol.pickle_request(request))
            reply = protocol.read_message(self.replies, self.deadline, protocol.MAX_REPLY)
            header, arrays = protocol.decode_reply(reply)
        except protocol.ChannelTimeout:
            self.close()
            raise Stopped(f"timed out after {self.timeout:g} s {during} (the limit covers importing your file "
                          "and all of its checks): look for an endless loop, a sleep or a wait") from None
        except (protocol.ChannelClosed, BrokenPipeError):
            raise Stopped(self._exit_message(during)) from None
        except protocol.ReplyTooLarge as err:
            self.close()
            raise Stopped(f"your function returned {err.args[0] / 2 ** 20:.0f} MB {during}; the grader reads at "
                          f"most {protocol.MAX_REPLY // 2 ** 20} MB") from None
        except ValueError as err:
            self.close()
            raise Stopped(f"the grader could not read what your process sent back {during} ({err}); "
                          "did your code write to the grader's pipes?") from None
        refused = header.get("refused") if isinstance(header.get("refused"), list) else []
        self.refused += [str(r)[:300] for r in refused][:REFUSALS_KEPT - len(self.refused)]
        return header, arrays

    def _exit_message(self, during):
        try:
            code = self.process.wait(timeout=max(0.1, min(2.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            code = None
        self.close()
        if code is None:
            return f"your file's process closed its connection to the grader {during}"
        if code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            cause = SIGNAL_WORDS.get(name, f"a crash, or memory beyond the grader's {self.memory_mb} MB limit")
            return f"your file's process was killed by signal {name} {during} ({cause})"
        return (f"your file exited with status {code} {during}: sys.exit, exit, quit and os._exit end the "
                "grading; a function must return its result")

    def _start(self):
        request_read, self.requests = os.pipe()
        self.replies, reply_write = os.pipe()
        self.folder = tempfile.mkdtemp(prefix="minattn_grading_")
        self.token = reaper.new_token()
        command = [sys.executable, "-B", "-c", BOOT, EXERCISES_DIR, str(request_read), str(reply_write),
                   json.dumps(self.child_settings())]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, pass_fds=(request_read, reply_write),
                                        start_new_session=True, env=child_environment(self.token), cwd=self.folder)
        os.close(request_read)
        os.close(reply_write)
        self.output = BoundedOutput(self.process.stdout, OUTPUT_LIMIT)

    def child_settings(self):
        """What the child needs to set its limits and its policy (see ``child.main``)."""
        return {"parent": os.getpid(), "memory_mb": self.memory_mb, "file_mb": FILE_LIMIT_MB,
                "timeout": self.timeout, "package": PACKAGE_DIR, "solutions": SOLUTIONS_DIR, "hidden": self.hidden,
                "bases": [PACKAGE_ROOT] + [os.path.dirname(h) for h in self.hidden]}

    def cancel(self):
        """Kill the child now, from any thread (Ctrl-C): the file in progress stops, no later file starts."""
        self.cancelled = True
        process = self.process
        if process is not None:
            reaper.kill_all(process, self.token, rounds=1)

    def close(self):
        """Kill the child, its group and everything it started; release the pipes and its folder."""
        if self.process is None:
            return
        reaper.kill_all(self.process, self.token)
        for fd in (self.requests, self.replies):
            os.close(fd)
        self.output.finish()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.process = None


def private_copy(folder, name, source):
    """Write ``source`` as ``name`` in a new, unpredictable sub-folder of ``folder``; returns its path.

    The previous file's copy, and whatever it wrote, are removed first. The
    copy is created with ``O_EXCL | O_NOFOLLOW``: a link that a thread of the
    previous file left in the folder cannot turn the grader's own write
    towards a file outside it.
    """
    for entry in os.listdir(folder):
        target = os.path.join(folder, entry)
        if os.path.isdir(target) and not os.path.islink(target):
            shutil.rmtree(target, ignore_errors=True)
        else:
            os.remove(target)
    copy = os.path.join(tempfile.mkdtemp(prefix="file_", dir=folder), name)
    descriptor = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(source)
    return copy


def child_environment(token):
    """The child's environment: its token, one BLAS thread, output unbuffered, no bytecode written."""
    env = dict(os.environ)
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env[reaper.TOKEN_VARIABLE] = token
    return env


class BoundedOutput:
    """Reads a pipe on a thread, keeping the first ``limit`` bytes and counting the rest.

    The thread waits for data at most ``POLL`` seconds at a time and stops when
    told to (``finish``), not at the pipe's end of file: a process that escaped
    the sandbox while holding the pipe open cannot keep the grader waiting.
    """

    POLL = 0.1

    def __init__(self, pipe, limit):
        self.pipe, self.limit = pipe, limit
        self.kept, self.dropped = bytearray(), 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        fd = self.pipe.fileno()
        while not self.stop.is_set():
            if not select.select([fd], [], [], self.POLL)[0]:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            self._keep(chunk)

    def _keep(self, chunk):
        with self.lock:
            room = max(0, self.limit - len(self.kept))
            self.kept += chunk[:room]
            self.dropped += max(0, len(chunk) - room)

    def take(self):
        """The text kept so far (with a note of how much was cut), then start afresh."""
        with self.lock:
            text = self.kept.decode("utf-8", "replace")
            if self.dropped:
                text += f"\n... ({self.dropped} more bytes not shown)"
            self.kept, self.dropped = bytearray(), 0
        return text

    def finish(self):
        """Stop reading (within ``POLL`` seconds), keep what is already in the pipe, and close it."""
        self.stop.set()
        self.thread.join(timeout=2.0)
        fd = self.pipe.fileno()
        for _ in range(64):                              # bounded: only what is there now
            chunk = os.read(fd, 65536) if select.select([fd], [], [], 0)[0] else b""
            if not chunk:
                break
            self._keep(chunk)
        self.pipe.close()
