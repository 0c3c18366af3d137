"""Ctrl-C in the middle of a change that must happen whole: it waits until the change is done.

A training step ends by writing the new weights and the optimizer's new
state. Python raises ``KeyboardInterrupt`` between any two bytecodes, so
a Ctrl-C there could leave new weights with the old state (or half the
layers updated). So ``fit`` runs inside ``deferrable()``, which installs a
SIGINT handler for its length; the handler raises ``KeyboardInterrupt`` at
once, as Python's own does, except inside ``with deferred_interrupt():``,
where the signal is only noted and ``KeyboardInterrupt`` is raised when the
block ends -- after the weights and the state agree again.

The handler is installed once per ``fit``, not per step (changing a signal
handler is a system call; entering ``deferred_interrupt`` only counts). It is
installed only in the main thread and only over Python's own SIGINT handler:
a program with a handler of its own keeps it, and there (or outside ``fit``)
``deferred_interrupt`` changes nothing.
"""
import signal
import threading


class Guard:
    """The state the handler reads: how deep in deferred blocks, and whether a SIGINT waits."""

    def __init__(self):
        self.depth, self.pending = 0, False

    def handle(self, signum, frame):
        if self.depth:
            self.pending = True
        else:
            signal.default_int_handler(signum, frame)          # raises KeyboardInterrupt


GUARD = Guard()


class deferrable:
    """Context manager around a ``fit``: SIGINT goes to ``GUARD.handle`` inside it."""

    def __enter__(self):
        self.previous = None
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            GUARD.pending = False
            self.previous = signal.signal(signal.SIGINT, GUARD.handle)
        return self

    def __exit__(self, exc_type, exc, traceback):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


class deferred_interrupt:
    """Context manager: a SIGINT inside the block (within ``deferrable``) raises ``KeyboardInterrupt`` at its end."""

    __slots__ = ()

    def __enter__(self):
        GUARD.depth += 1
        return self

    def __exit__(self, exc_type, exc, traceback):
        GUARD.depth -= 1
        if GUARD.depth == 0 and GUARD.pending:
            GUARD.pending = False
            if exc_type is None:
                raise KeyboardInterrupt
        return False
