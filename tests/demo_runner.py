"""Run a demo script as a user would and hand back what it wrote (shared by the demo tests)."""
import json
import os
import subprocess
import sys

DEMOS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos")


def run_demo(out, script, *args, figures=(), verbose="0", timeout=600):
    """Run ``demos/<script> --out <out> ...``; assert it succeeds and drew ``figures``.

    Returns:
        ``(results, stdout)``: the demo's results.json and what it printed.
    """
    command = [sys.executable, os.path.join(DEMOS, script), "--out", str(out), "--verbose", verbose, *args]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                               env=dict(os.environ, MPLBACKEND="Agg"))
    assert completed.returncode == 0, completed.stderr[-3000:]
    with open(os.path.join(out, "results.json")) as handle:
        results = json.load(handle)
    for figure in figures:
        path = os.path.join(out, figure)
        assert os.path.exists(path) and os.path.getsize(path) > 5000, f"{figure} missing or empty"
    return results, completed.stdout


def import_demo(name):
    """``demos/<name>.py`` as a module, to call its functions (its main() does not run)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"demo_{name}", os.path.join(DEMOS, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
