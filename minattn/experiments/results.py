"""Writing an experiment's ``results.json``: settings, history, attention, timing, versions, provenance."""
import datetime
import json
import os
import platform
import shlex
import subprocess
import sys

import numpy as np


def package_versions():
    """Versions of Python and the packages a result depends on."""
    import autograd  # noqa: F401  (imported to prove it is there)
    import matplotlib

    from .. import __version__
    try:
        from importlib.metadata import version
        autograd_version = version("autograd")
    except Exception:  # pragma: no cover - metadata missing in odd installs
        autograd_version = "unknown"
    return {"python": platform.python_version(), "numpy": np.__version__,
            "autograd": autograd_version, "matplotlib": matplotlib.__version__,
            "minattn": __version__, "platform": sys.platform}


def git_state(folder):
    """``(commit, dirty)`` of the git checkout holding ``folder``; ``(None, None)`` outside one.

    ``dirty`` is True when tracked files differ from the commit (untracked files
    are not counted: a run's own output folder must not make it dirty).
    """
    def git(*args):
        return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, timeout=30)
    try:
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return None, None
        status = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return None, None
    return head.stdout.strip(), bool(status.stdout.strip())


def machine():
    """The machine a run's timings come from: CPU count and model, and the load average when it ended."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        model = names[0] if names else model
    except OSError:
        pass
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "cpu_model": model, "load_average": load}


STARTED = {}          # the commit, tree state and date when the run began (filled on first use, at import)


def started():
    """``{"commit", "dirty", "date"}`` as the run began: a run's code is the code it started with."""
    if not STARTED:
        commit, dirty = git_state(os.path.dirname(os.path.abspath(__file__)))
        STARTED.update(commit=commit, dirty=dirty,
                       date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return STARTED


def provenance(script=None, argv=None):
    """What made a run: the commit it started on (and whether the tree differed from it), the
    versions, the platform, the date it started (UTC), the command line and the machine
    (``machine()``, as the run ended).

    Args:
        script: the script's path (default: ``sys.argv[0]``); shown relative to the repository.
        argv: its arguments (default: ``sys.argv[1:]``), for a ``main(argv)`` called in-process.
    """
    versions = package_versions()
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = script or (sys.argv[0] if sys.argv else "")
    script = os.path.abspath(script) if script else ""
    if script.startswith(root + os.sep):                  # demos/x.py, whatever folder it was run from
        script = os.path.relpath(script, root)
    argv = sys.argv[1:] if argv is None else list(argv)
    return {**started(), "python": versions["python"], "numpy": versions["numpy"],
            "autograd": versions["autograd"], "platform": platform.platform(),
            "command": shlex.join(["python", script, *argv]), "machine": machine()}


def _plain(value):
    """NumPy scalars and arrays to JSON-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def write_results(path, settings, history, **extra):
    """Write ``results.json``.

    Args:
        path: file to write.
        settings: the command's settings (samples, epochs, seed, ...).
        history: a ``History`` (its per-epoch values and seconds are stored).
        **extra: anything else to record (``attention=...``, ...).
    """
    seconds = list(history.seconds)
    samples = settings.get("train_samples")
    from .. import config
    record = {
        "settings": {**settings, "fused": config.fast_enabled()},
        "history": history.history,
        "seconds_per_epoch": seconds,
        "samples_per_second": [samples / s for s in seconds] if samples else None,
        "versions": package_versions(),
        "provenance": provenance(),
        **extra,
    }
    with open(path, "w") as handle:
        json.dump(_plain(record), handle, indent=2)
    return path


def load_runs(folder):
    """Every ``results.json`` under ``folder``: {run folder name: record}, sorted by name."""
    import os
    runs = {}
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name, "results.json")
        if os.path.exists(path):
            with open(path) as handle:
                runs[name] = json.load(handle)
    return runs


def report_outputs(folder, figures):
    """Print what a demo wrote: each figure with one line on what it shows, then results.json.

    Args:
        folder: the run's folder.
        figures: ``{file name: what it shows}``, in the order to print.
    """
    print(f"figures and results.json written to {folder}/")
    for name, meaning in figures.items():
        print(f"  {name:<28} {meaning}")
    print(f"  {'results.json':<28} settings, per-epoch history and every number printed above")


started()      # at import: a demo imports this module before it trains
