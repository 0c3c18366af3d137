"""The end of a sandbox: every process a submission's child started dies with it (grader side).

The child runs in its own session and process group, and its policy
refuses to create processes, so killing its group is normally all there
is to do. The reaper does not rely on that alone: each child carries a
per-run token in its environment (``TOKEN_VARIABLE``), inherited by any
process it manages to start, and at the end the reaper kills, besides the
group, every process whose environment holds the token or whose ancestry
leads to the child -- which also catches a grandchild that called
``setsid`` to leave the group. Where there is no ``/proc`` (not Linux),
only the group is killed.
"""
import os
import secrets
import signal

TOKEN_VARIABLE = "MINATTN_SANDBOX_RUN"
PROC = "/proc"


def new_token():
    """A token naming one child and everything it starts: ``<grader pid>:<random>``."""
    return f"{os.getpid()}:{secrets.token_hex(8)}"


def processes_of(token_prefix, root_pid=None):
    """The pids whose environment holds a token starting with ``token_prefix``, or that descend from ``root_pid``."""
    if not os.path.isdir(PROC):
        return set()
    marker = f"{TOKEN_VARIABLE}={token_prefix}".encode()
    parents, found = {}, set()
    for entry in os.listdir(PROC):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        pid = int(entry)
        try:
            with open(os.path.join(PROC, entry, "environ"), "rb") as handle:
                environment = handle.read()
            with open(os.path.join(PROC, entry, "stat"), "rb") as handle:
                stat = handle.read()
        except OSError:                                    # gone, or another user's process
            continue
        parents[pid] = int(stat[stat.rindex(b")") + 2:].split()[1])      # field 4: the parent's pid
        if any(item.startswith(marker) for item in environment.split(b"\0")):
            found.add(pid)
    if root_pid is not None:
        found |= descendants(root_pid, parents)
    return found


def descendants(root_pid, parents):
    """The pids under ``root_pid`` in the tree that ``parents`` ({pid: parent pid}) describes."""
    children = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    found, stack = set(), [root_pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def kill_all(process, token, rounds=3):
    """SIGKILL ``process`` (a ``Popen`` started in a session of its own), its group and every process
    carrying ``token`` or descending from it; wait for ``process``. Returns the number of other processes killed."""
    killed = 0
    for _ in range(rounds):
        others = processes_of(token, process.pid) - {process.pid}
        for pid in others:
            send(pid, signal.SIGKILL)
        killed += len(others)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.kill()                                 # Popen knows whether it has already been waited for
        except OSError:
            pass
        if not others:
            break
    try:
        process.wait(timeout=5.0)
    except Exception:                                      # stuck in the kernel: nothing more to do
        pass
    return killed


def send(pid, sig):
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
