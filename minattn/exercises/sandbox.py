"""The grader's side of running students' files: a child process with a time and a memory limit.

``Sandbox`` starts ``python -m minattn.exercises.child`` in its own process
group, with a memory cap (``RLIMIT_AS``, where the OS has one), its printed
output captured up to ``OUTPUT_LIMIT`` characters, and one deadline per
graded file. Whatever the student's code does -- exit, hang, start threads,
crash -- the sandbox kills the whole process group and raises ``Stopped``
with a sentence saying what happened; the grader never waits past the
deadline and never runs the student's code itself.

``RemoteFunction`` stands for one of the student's functions: calling it
sends the arguments to the child and returns what the student's function
returned (as plain arrays), after checking that the arguments came back
unchanged. The verdict is always the grader's: the child only reports values.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

from . import protocol

DEFAULT_TIMEOUT = 60.0               # seconds per file: importing it and every check
DEFAULT_MEMORY_MB = 2048
OUTPUT_LIMIT = 4000                  # characters of a student's printed output kept for the report
PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Stopped(Exception):
    """The student's process exited, hung, or answered nonsense; no further check of the file can run."""


class Sandbox:
    """A child process that imports students' files and calls their functions, restarted when it dies.

    Args:
        timeout: seconds allowed per file (importing it and all of its checks).
        memory_mb: address-space limit of the child, in MB.
    """

    def __init__(self, timeout=DEFAULT_TIMEOUT, memory_mb=DEFAULT_MEMORY_MB):
        self.timeout, self.memory_mb = float(timeout), int(memory_mb)
        self.process = None
        self.deadline = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def begin_file(self):
        """Start the child if there is none, and give the next file its own ``timeout``."""
        if self.process is None:
            self._start()
        self.output.take()
        self.deadline = time.monotonic() + self.timeout

    def printed(self):
        """What the student's code printed since ``begin_file`` (bounded), as text."""
        return self.output.take()

    def ask(self, request, during):
        """The child's ``(header, arrays)`` reply; ``during`` ("in lstm_cell") words a failure."""
        if self.process is None:
            raise Stopped("not run: your file's process had already stopped")
        try:
            protocol.write_message(self.requests, protocol.pickle_request(request))
            reply = protocol.read_message(self.replies, self.deadline, protocol.MAX_REPLY)
            return protocol.decode_reply(reply)
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
            return (f"your file's process was killed by signal {name} {during} (a crash, or memory beyond "
                    f"the grader's {self.memory_mb} MB limit)")
        return (f"your file exited with status {code} {during}: sys.exit, exit, quit and os._exit end the "
                "grading; a function must return its result")

    def _start(self):
        request_read, self.requests = os.pipe()
        self.replies, reply_write = os.pipe()
        self.folder = tempfile.mkdtemp(prefix="minattn_grading_")
        command = [sys.executable, "-m", "minattn.exercises.child", str(request_read), str(reply_write),
                   str(self.memory_mb)]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, pass_fds=(request_read, reply_write),
                                        start_new_session=True, env=child_environment(), cwd=self.folder)
        os.close(request_read)
        os.close(reply_write)
        self.output = BoundedOutput(self.process.stdout, OUTPUT_LIMIT)

    def close(self):
        """Kill the child's whole process group (threads, grandchildren) and release everything."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        for fd in (self.requests, self.replies):
            os.close(fd)
        self.output.finish()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.process = None


def child_environment():
    """The child's environment: minattn importable, one BLAS thread, no bytecode left in students' folders."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([PACKAGE_ROOT] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return env


class BoundedOutput:
    """Reads a pipe to its end on a thread, keeping the first ``limit`` characters and counting the rest."""

    def __init__(self, pipe, limit):
        self.pipe, self.limit = pipe, limit
        self.kept, self.dropped = bytearray(), 0
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        while True:
            chunk = self.pipe.read1(65536) if hasattr(self.pipe, "read1") else self.pipe.read(65536)
            if not chunk:
                return
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
        self.thread.join(timeout=1.0)
        self.pipe.close()


class RemoteFunction:
    """One of the student's functions, run in the sandbox; called like the function itself.

    Args:
        sandbox: the ``Sandbox`` holding the student's file.
        path: the student's file.
        name: the function's name.
        params: its parameter names (for messages).
        trailing: arguments appended to every call (see ``bind``).
        shape_hint: added when the function fails on arrays whose shapes do not fit.
    """

    def __init__(self, sandbox, path, name, params=(), trailing=(), shape_hint=""):
        self.sandbox, self.path, self.__name__ = sandbox, path, name
        self.params = [str(p)[:40] for p in params][:20] if isinstance(params, (list, tuple)) else []
        self.trailing, self.shape_hint = tuple(trailing), shape_hint

    def bind(self, *trailing):
        """This function with ``trailing`` appended to its arguments."""
        return RemoteFunction(self.sandbox, self.path, self.__name__, self.params, self.trailing + trailing,
                              self.shape_hint)

    def __call__(self, *args):
        from .compare import CheckFailure
        args = args + self.trailing
        sent = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
        header, arrays = self._ask({"op": "call", "args": list(args)})
        value = self.unpack(header.get("value"), arrays)
        for position, (before, after) in enumerate(zip(sent, header.get("inputs") or [])):
            if before is not None:
                changed = changed_in_place(before, self.unpack(after, arrays))
                if changed:
                    raise CheckFailure(f"{self.__name__} changed its input `{self.param(position)}` in place "
                                       f"({changed}). Compute new arrays instead (c = f * c + ..., not c *= ...; "
                                       "x - m, not x -= m): the caller's arrays must stay as they were, and "
                                       "autograd cannot differentiate an assignment in place.")
        return value

    def gradients(self, args, indices, eps, seed):
        """The child's reply to a gradient request: ``(header, arrays)`` (see ``child.gradients``)."""
        return self._ask({"op": "gradients", "args": list(args), "trailing": list(self.trailing),
                          "indices": indices, "eps": eps, "seed": seed})

    def probe(self):
        """``{"primitive": bool, "vjp": bool}``: is the function an autograd primitive with a VJP."""
        header, _ = self._ask({"op": "probe"})
        return {"primitive": header.get("primitive") is True, "vjp": header.get("vjp") is True}

    def unpack(self, tree, arrays):
        """A value from the child's reply; a malformed one stops the grading of this file."""
        try:
            return protocol.unpack_value(tree, arrays)
        except ValueError as err:
            self.sandbox.close()
            raise Stopped(f"the grader could not read what your process sent back in {self.__name__} ({err})")

    def param(self, position):
        return self.params[position] if position < len(self.params) else f"argument {position + 1}"

    def _ask(self, request):
        from .compare import CheckFailure
        request.update(path=self.path, function=self.__name__)
        header, arrays = self.sandbox.ask(request, f"in {self.__name__}")
        if header.get("status") != "ok":
            raise CheckFailure(student_error(self.__name__, header.get("error") or {}, self.shape_hint))
        return header, arrays


def changed_in_place(before, after):
    """"" when ``after`` equals ``before``, else where and how it changed, in words."""
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return f"it came back as {type(after).__name__} of shape {np.shape(after)}"
    floating = before.dtype.kind in "fc"
    if np.array_equal(before, after, equal_nan=floating):
        return ""
    same = (before == after) | (np.isnan(before) & np.isnan(after)) if floating else before == after
    differs = ~same
    index = tuple(int(i) for i in np.argwhere(differs)[0])
    was, now = (f"{v:.10g}" for v in (before[index], after[index]))
    return f"at index {index[0] if len(index) == 1 else index} it was {was}, after the call {now}"


SHAPE_WORDS = ("mismatch in its core dimension", "could not be broadcast", "shapes", "not aligned")


def student_error(name, error, shape_hint=""):
    """The message for an error raised in the student's code (``error`` as ``child.Students.describe`` gives it)."""
    from .compare import NOT_IMPLEMENTED
    kind, where = str(error.get("type", "Exception")), str(error.get("where", ""))
    message = str(error.get("message", "")).strip().splitlines()[0][:300] if error.get("message") else ""
    if kind == "NotImplementedError":
        return f"{name}: {NOT_IMPLEMENTED}"
    if kind == "SystemExit":
        return (f"{name} exited with status {error.get('exit')}{where} (sys.exit, exit or quit): "
                "a function must return its result")
    if kind == "ResultTooLarge":
        return (f"{name} returned {int(message or 0) / 2 ** 20:.0f} MB of arrays; the grader reads at most "
                f"{protocol.MAX_REPLY // 2 ** 20} MB")
    if kind == "MemoryError":
        return f"{name} ran out of memory{where}: the grader's limit is {error.get('memory_mb')} MB"
    if kind == "ValueError" and any(word in message for word in SHAPE_WORDS):
        return (f"{name} failed on the shapes of its arrays{where}: is an axis transposed, or are two arguments "
                f"swapped? {shape_hint} Print each array's .shape to see. (NumPy said: {message})").replace("  ", " ")
    return f"{name} raised {kind}: {message}{where}"
