"""What a student's file may do, enforced inside the child by an audit hook (``sys.addaudithook``).

The hook is installed after the child has imported NumPy, autograd and its
own modules and before it loads a student's file; Python offers no way to
remove it. It refuses, by raising ``PermissionError`` in the student's code:

* writing a file outside the child's private folder (which holds only the
  copy of the file being graded): the installed grader, the class folder
  and other students' files cannot be changed; deleting, renaming,
  linking or changing the mode of a file outside it likewise;
* reading the reference solutions (``coursework/``), minattn's own source
  (the grader, and the library whose kernels would answer the exercise),
  and the other files of the submission's folder (the class folder);
* creating a process (fork, exec, spawn, ``os.system``, ``subprocess``):
  nothing a submission starts can outlive its grade;
* sending a signal (``os.kill``, ``os.killpg``, ``signal.pthread_kill``):
  the grader cannot be killed or stopped by the file it grades;
* sockets, ``ctypes`` (calling C directly would step round every rule
  here), changing resource limits, adding another audit hook;
* importing anything but ``ALLOWED_IMPORTS`` from the student's file, and
  importing minattn, the coursework, or the modules behind the refused
  actions (``REFUSED_MODULES``) from anywhere.

Every refusal is recorded in words ("tried to open coursework/solutions/x.py");
the child sends the record with each reply and the grader turns it into a
FAIL line. What this does not stop -- a determined attacker running as the
same user who finds a way round Python's hooks, a race between the check
of a path and its use -- is said in ``docs/coursework/grading.md``, with the
stronger wall (a container) a teacher can add.
"""
import builtins
import os
import site
import sys

ALLOWED_IMPORTS = frozenset({"numpy", "autograd", "math", "cmath", "functools", "itertools", "operator", "typing",
                             "collections", "dataclasses", "numbers", "copy", "enum", "abc", "warnings", "string"})
REFUSED_MODULES = frozenset({"minattn", "coursework", "ctypes", "_ctypes", "socket", "_socket", "ssl", "_ssl",
                             "subprocess", "_posixsubprocess", "multiprocessing", "_multiprocessing", "pty",
                             "signal", "asyncio", "mmap", "http", "urllib", "ftplib", "smtplib", "webbrowser"})
PROCESS_EVENTS = frozenset({"os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "os.system",
                            "os.startfile", "subprocess.Popen", "pty.spawn"})
SIGNAL_EVENTS = frozenset({"os.kill", "os.killpg", "signal.pthread_kill", "signal.pidfd_send_signal"})
REFUSED_PREFIXES = ("socket.", "ctypes.", "resource.", "winreg.", "msvcrt.")
# events that change a file: the positions of their paths and of their dir_fd arguments
PATH_EVENTS = {"os.remove": ((0,), (1,)), "os.rmdir": ((0,), (1,)), "os.rename": ((0, 1), (2, 3)),
               "os.link": ((0, 1), (2, 3)), "os.symlink": ((1,), (2,)), "os.mkdir": ((0,), (2,)),
               "os.chmod": ((0,), (2,)), "os.chown": ((0,), (3,)), "os.truncate": ((0,), ()),
               "os.utime": ((0,), (3,)), "os.chflags": ((0,), ()), "os.lchflags": ((0,), ()),
               "os.setxattr": ((0,), ()), "os.removexattr": ((0,), ()), "shutil.rmtree": ((0,), (1,))}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class Refused(PermissionError):
    """An action the grader's policy does not allow a submission."""


class Policy:
    """The rules for one child: its private folder, the folders it may not read, and the refusals so far.

    Args:
        folder: the private folder (the child's working directory); the only place it may write.
        package: minattn's package folder (the grader and the library): never read.
        solutions: the reference solutions' folder: never read.
        hidden: other folders never read (the class folder the submission came from).
        bases: folders paths are shown relative to in messages (the repository, the class folder's parent).
    """

    def __init__(self, folder, package, solutions, hidden=(), bases=()):
        self.folder = real(folder)
        self.denied = [(real(package), "minattn's own source"), (real(solutions), "the reference solutions")]
        self.denied += [(real(h), "the submission's folder (other students' files)") for h in hidden]
        self.python = [real(p) for p in python_folders()]
        self.bases = [self.folder] + [real(b) for b in bases]
        self.refused = []

    # -- the audit hook -------------------------------------------------------------------
    def audit(self, event, args):
        """``sys.addaudithook``'s hook: return to allow ``event``, raise ``Refused`` to stop it."""
        if event == "open":
            return self.check_open(*args[:3])
        if event == "import":
            return self.find_spec(str(args[0]))
        if event in PATH_EVENTS:
            return self.check_change(event, args)
        if event in PROCESS_EVENTS:
            self.refuse(f"start a process ({event})")
        if event in SIGNAL_EVENTS:
            self.refuse(f"send a signal ({event})")
        if event.startswith(REFUSED_PREFIXES) or event == "sys.addaudithook":
            self.refuse(f"use {event}", RuntimeError if event == "sys.addaudithook" else Refused)
        return None

    def find_spec(self, name, path=None, target=None):
        """The import rule for every importer: refuse ``REFUSED_MODULES`` (as the ``import`` event, and as the
        first finder on ``sys.meta_path``, which also sees ``importlib.import_module``); else let others find it."""
        if name.partition(".")[0] in REFUSED_MODULES:
            self.refuse(f"import {name}", ModuleNotFoundError)
        return None

    def check_open(self, path, mode, flags):
        if isinstance(path, int) or path is None:                # an open descriptor: checked when it was opened
            return
        where = real(path)
        writing = bool((flags or 0) & WRITE_FLAGS) or any(c in (mode or "") for c in "wax+")
        if writing and not self.inside_folder(where):
            self.refuse(f"open {self.shown(where)} for writing")
        if not self.inside_folder(where):
            reason = self.read_refusal(where)
            if reason:
                self.refuse(f"open {self.shown(where)} ({reason})")
            if os.path.isdir(where):                       # a folder's descriptor would let a relative open
                self.refuse(f"open the folder {self.shown(where)}")   # (dir_fd, unseen by the hook) write in it

    def check_change(self, event, args):
        paths, dir_fds = PATH_EVENTS[event]
        if any(i < len(args) and isinstance(args[i], int) and args[i] >= 0 for i in dir_fds):
            self.refuse(f"change a file relative to an open folder ({event})")
        for i in paths:
            if i < len(args) and isinstance(args[i], (str, bytes, os.PathLike)) and not self.inside_folder(real(args[i])):
                self.refuse(f"change {self.shown(real(args[i]))} ({event})")

    def read_refusal(self, where):
        """Why reading ``where`` is refused ("" when it is allowed)."""
        for root, what in self.denied[:2]:
            if under(where, [root]):
                return what
        if under(where, self.python) or where == os.devnull:
            return ""
        return next((what for root, what in self.denied[2:] if under(where, [root])), "")

    # -- refusals ---------------------------------------------------------------------------
    def refuse(self, action, kind=Refused):
        """Record ``action`` and raise: the student's code sees the error, the grader a FAIL line."""
        self.refused.append(f"your file tried to {action}")
        raise kind(f"the grader does not let a submission {action}")

    def take(self):
        """The refusals since the last call (sent with the child's next reply)."""
        taken, self.refused[:] = list(self.refused), []
        return taken

    def inside_folder(self, where):
        return under(where, [self.folder])

    def shown(self, where):
        """``where`` as the student knows it: relative to the repository or the class folder's parent."""
        base = next((b for b in self.bases if under(where, [b])), None)
        return where if base is None else os.path.relpath(where, base)

    # -- imports from the student's file -----------------------------------------------------
    def guarded_builtins(self):
        """The builtins a student's module runs with: ``__import__`` refuses what the exercise does not allow."""
        original = builtins.__import__

        def guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
            top = name.partition(".")[0]
            if level or top not in ALLOWED_IMPORTS:
                self.refused.append(f"your file tried to import {'.' * level}{name}")
                raise ImportError(f"the grader does not let an exercise import {'.' * level}{name}: it may import "
                                  f"only {', '.join(sorted(ALLOWED_IMPORTS))}")
            return original(name, globals, locals, fromlist, level)

        table = dict(builtins.__dict__)
        table["__import__"] = guarded_import
        return table

    def install(self):
        """Add the hook to this process for good, and the import rule as the first finder."""
        sys.meta_path.insert(0, self)
        sys.addaudithook(self.audit)


def real(path):
    """The absolute path with every symbolic link resolved (as the open will see it)."""
    return os.path.realpath(os.fsdecode(path))


def under(path, roots):
    """Is ``path`` one of ``roots`` or inside one of them."""
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def python_folders():
    """Where Python, NumPy and autograd live: reading there is allowed (NumPy imports lazily)."""
    import autograd
    import numpy
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.__file__),
               os.path.dirname(numpy.__file__), os.path.dirname(autograd.__file__)}
    try:
        folders.update(site.getsitepackages() + [site.getusersitepackages()])
    except AttributeError:                          # a virtualenv's old site module
        pass
    return sorted(folders)
