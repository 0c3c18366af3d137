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

# Runs committed before results.json recorded its provenance. Re-making the runs on the final code
# (python demos/make_doc_figures.py) gives every run one: then this set must be emptied.
LEGACY = {"char_gpt", "dates_transformer", "e1", "e1_quick", "e1_seed1", "e1_seed2", "e2",
          "e2_per_feature", "e2_per_feature_seed1", "e2_per_feature_seed2", "e2_seed1", "e2_seed2", "e3",
          "e3_seed1", "e3_seed2", "e4", "e4_seed1", "e4_seed2", "se_channels", "se_channels_long",
          "se_channels_ratio4", "spatial_transformer", "text", "scale_out_gpt",
          # made on branch tother before write_results recorded provenance
          "dates_bilstm", "dates_transformer_seed1", "dates_transformer_seed2", "text_transformers",
          "text_transformers_20k"}


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
    runs = [name for name in os.listdir(RUNS) if os.path.isfile(os.path.join(RUNS, name, "results.json"))]
    without = set()
    for name in runs:
        with open(os.path.join(RUNS, name, "results.json")) as handle:
            record = json.load(handle)
        if "provenance" not in record:
            without.add(name)
        else:
            assert KEYS <= set(record["provenance"]), name
    assert without == LEGACY, ("runs without provenance differ from LEGACY (re-made runs have it: remove them "
                               f"from the set): {sorted(without ^ LEGACY)}")


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
