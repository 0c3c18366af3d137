"""Ctrl-C in the middle of a change that must happen whole: it waits until the change is done.

A training step ends by writing the new weights and the optimizer's new
state. Python raises ``KeyboardInterrupt`` between any two bytecodes, so
a Ctrl-C there could leave new weights with the old state (or half the
layers updated). Inside ``with deferred_interrupt():`` a SIGINT is only
noted; when the block ends, ``KeyboardInterrupt`` is raised -- after the
weights and the state agree again.

It acts only in the main thread and only while Python's own SIGINT
handler is installed (a program with a handler of its own keeps it).
"""
import signal
import threading


class deferred_interrupt:
    """Context manager: a SIGINT inside the block raises ``KeyboardInterrupt`` at its end."""

    def __enter__(self):
        self.received, self.previous = False, None
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self.note)
        return self

    def note(self, signum, frame):
        self.received = True

    def __exit__(self, exc_type, exc, traceback):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            if self.received and exc_type is None:
                raise KeyboardInterrupt
        return False
