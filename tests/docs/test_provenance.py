"""Every run records what made it: the commit (and whether the tree differed), versions, machine, command."""
import json
import os
import re
import sys

from minattn import History
from minattn.experiments import results

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS = os.path.join(ROOT, "docs", "runs")
KEYS = {"commit", "dirty", "python", "numpy", "autograd", "platform", "date", "command"}   # + "machine" lately

def test_write_results_records_the_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", [os.path.join(ROOT, "demos", "e1_dense_attention.py"), "--quick"])
    path = results.write_results(str(tmp_path / "results.json"), {"samples": 1}, History())
    with open(path) as handle:
        record = json.load(handle)["provenance"]
    assert set(record) == KEYS | {"machine"}
    assert re.fullmatch(r"[0-9a-f]{40}", record["commit"]) and isinstance(record["dirty"], bool)
    assert record["command"] == "python demos/e1_dense_attention.py --quick"
    assert record["machine"]["cpus"] >= 1 and record["machine"]["cpu_model"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["date"])


def test_every_committed_run_records_its_provenance():
    """Every docs/runs/<run>/results.json says what made it, and was made from a committed tree (not dirty):
    re-made runs are copied in by ``demos/make_doc_figures.py --copy-only`` from a clean checkout."""
    runs = [name for name in os.listdir(RUNS) if os.path.isfile(os.path.join(RUNS, name, "results.json"))]
    assert len(runs) >= 30, runs
    for name in runs:
        with open(os.path.join(RUNS, name, "results.json")) as handle:
            record = json.load(handle)
        assert "provenance" in record, f"{name}: no provenance; re-make it (python demos/make_doc_figures.py --only {name})"
        provenance = record["provenance"]
        assert KEYS | {"machine"} <= set(provenance), name
        assert re.fullmatch(r"[0-9a-f]{40}", provenance["commit"]), name
        assert provenance["dirty"] is False, f"{name} was made from a tree with uncommitted changes"


def test_every_benchmark_record_records_its_provenance():
    """docs/runs/bench/*.json (benchmarks' --json output, quoted by the pages) say what made them."""
    folder = os.path.join(RUNS, "bench")
    names = [name for name in os.listdir(folder) if name.endswith(".json")]
    assert names
    for name in names:
        with open(os.path.join(folder, name)) as handle:
            record = json.load(handle)["provenance"]
        assert KEYS | {"machine"} <= set(record), name
        assert re.fullmatch(r"[0-9a-f]{40}", record["commit"]), name
        assert record["command"].startswith("python benchmarks/") and f"--json docs/runs/bench/{name}" in record["command"]
