"""The Keras-style progress line printed by ``fit`` and ``evaluate``:

    8000/8000 [==============================] - 0s 23us/sample - loss: 0.6848 - acc: 0.7889
"""
import sys
import time

BAR_WIDTH = 30


def format_value(value):
    """Keras's number format: 4 decimals, or scientific below 1e-3."""
    return f"{value:.4f}" if abs(value) >= 1e-3 or value == 0 else f"{value:.4e}"


def format_logs(logs):
    return "".join(f" - {name}: {format_value(value)}" for name, value in logs.items())


def format_time(seconds, samples):
    per_sample = seconds / max(samples, 1)
    unit = f"{per_sample * 1e6:.0f}us" if per_sample < 1e-3 else f"{per_sample * 1e3:.0f}ms"
    return f"{seconds:.0f}s {unit}/sample"


class ProgressLine:
    """Prints ``done/total [=====>....]`` and logs; redraws in place on a terminal.

    Args:
        total: number of samples in the epoch.
        verbose: 0 silent, 1 a bar (redrawn on a terminal, once per epoch
            otherwise), 2 one line per epoch.
    """

    def __init__(self, total, verbose=1, stream=None):
        self.total, self.verbose = total, verbose
        self.stream = stream or sys.stdout
        self.start = time.perf_counter()
        self.last_draw = 0.0
        self.live = verbose == 1 and getattr(self.stream, "isatty", lambda: False)()

    def update(self, done, make_logs):
        """Redraw (at most every 0.1 s, on a terminal); ``make_logs()`` gives the logs so far.

        The logs come from a function so that a step that is not drawn -- nearly
        every step -- does not pay for averaging them.
        """
        if not self.live:
            return
        now = time.perf_counter()
        if now - self.last_draw > 0.1:
            self.last_draw = now
            self.stream.write("\r" + self._bar(done) + format_logs(make_logs()))
            self.stream.flush()

    def finish(self, logs):
        if self.verbose == 0:
            return
        seconds = time.perf_counter() - self.start
        bar = self._bar(self.total) + " - " if self.verbose == 1 else ""
        line = f"{bar}{format_time(seconds, self.total)}{format_logs(logs)}"
        self.stream.write(("\r" if self.live else "") + line + "\n")
        self.stream.flush()

    def _bar(self, done):
        digits = len(str(self.total))
        filled = int(BAR_WIDTH * done / max(self.total, 1))
        arrow = ">" if done < self.total else "="
        bar = "=" * max(filled - 1, 0) + (arrow if filled else "") + "." * (BAR_WIDTH - filled)
        return f"{done:>{digits}}/{self.total} [{bar}]"
