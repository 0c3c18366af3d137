"""The resource limits of the process that runs students' files: set by the child before any student code
runs, and the CPU budget renewed by the grader for each file (``renew_cpu_budget``).

Each limit backs up a guard of the grader's:

* ``die_with_parent``: the kernel kills the child when the grader dies
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)``, Linux only), so a grader killed
  by Ctrl-C, ``kill -9`` or a crash leaves no student process running.
* ``limit_resources``: an address-space cap (``RLIMIT_AS``: a memory bomb
  gets ``MemoryError``), no core dumps, and a file-size cap
  (``RLIMIT_FSIZE``: a write beyond ``file_mb`` fails with ``EFBIG``, so
  a submission cannot fill the disk even inside its own folder).
* ``cpu_budget`` / ``renew_cpu_budget``: a CPU-time limit (``RLIMIT_CPU``)
  a little above the wall-clock limit of the file being graded; it stops
  a spinning child even if the grader cannot (stopped, or gone before the
  parent-death signal arrived).

Memory and file size are hard limits (a process may not raise a hard
limit again). The CPU limit is a soft one under an unlimited hard one, so
that the grader can renew it; the policy's audit hook refuses
``resource.setrlimit`` to the student. Where the OS has none of this
(Windows), each function does nothing.
"""
import os
import signal

try:
    import resource
except ImportError:                                   # Windows: no resource limits
    resource = None

CPU_MARGIN = 2.0                                      # seconds of CPU time beyond the wall-clock limit
PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid):
    """Ask the kernel to SIGKILL this process when its parent dies; exit now if it already has.

    Returns True when the signal is set (Linux), False where the OS has no such thing.
    """
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError, ImportError):    # not Linux, or no libc to call
        armed = False
    if os.getppid() != parent_pid:                    # the grader died before the signal was armed
        os._exit(1)
    return armed


def limit_resources(memory_mb, file_mb):
    """Cap the address space at ``memory_mb`` MB and files written at ``file_mb`` MB; no core dumps."""
    if resource is None:
        return
    for name, value in (("RLIMIT_AS", memory_mb * 2 ** 20), ("RLIMIT_CORE", 0), ("RLIMIT_FSIZE", file_mb * 2 ** 20)):
        set_limit(name, value, value)
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the cap raises OSError(EFBIG) instead


def cpu_budget(seconds):
    """Allow this process ``seconds`` more CPU time (plus ``CPU_MARGIN``); past it the kernel kills it."""
    if resource is None or not hasattr(resource, "RLIMIT_CPU"):
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    set_limit("RLIMIT_CPU", int(usage.ru_utime + usage.ru_stime + seconds + CPU_MARGIN) + 1, resource.RLIM_INFINITY)


def renew_cpu_budget(pid, seconds):
    """Grader side, for each new file: allow process ``pid`` ``seconds`` more CPU time (plus ``CPU_MARGIN``).

    Uses ``prlimit`` on the child from outside, so the child itself never needs to
    change a limit once its policy is on. Does nothing where the OS has no ``prlimit``
    or no ``/proc`` (the child's first budget, set by ``cpu_budget``, then stands).
    """
    if resource is None or not hasattr(resource, "prlimit"):
        return
    used = cpu_seconds(pid)
    if used is None:                                     # the child is gone, or no /proc
        return
    try:
        resource.prlimit(pid, resource.RLIMIT_CPU, (int(used + seconds + CPU_MARGIN) + 1, resource.RLIM_INFINITY))
    except OSError:                                      # gone since
        pass


def cpu_seconds(pid):
    """User + system CPU time process ``pid`` has used, from ``/proc``; None when it is gone or there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        ticks = stat[stat.rindex(b")") + 2:].split()
        return (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")      # utime + stime
    except (OSError, ValueError, IndexError):
        return None


def set_limit(name, soft, hard):
    """``setrlimit`` where the OS has the limit; a hard limit already lower is kept as it is."""
    if not hasattr(resource, name):
        return
    kind = getattr(resource, name)
    _, current_hard = resource.getrlimit(kind)
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    try:
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        pass
