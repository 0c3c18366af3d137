"""Writing an experiment's ``results.json``: settings, history, attention, timing, versions."""
import json
import platform
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
