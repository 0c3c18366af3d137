"""``import minattn`` never imports Keras, JAX or TensorFlow (checked in a fresh process; no extra needed)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

CHECK = """
import sys
import minattn, minattn.layers, minattn.training, minattn.model, minattn.datasets.text, minattn.seq2seq
import minattn.transformers
heavy = sorted(name for name in sys.modules if name.split(".")[0] in ("keras", "jax", "jaxlib", "tensorflow"))
print("imported:", heavy)
"""


def test_import_minattn_loads_no_keras_or_jax():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported: []"


def test_the_bridge_is_not_imported_by_the_package():
    with open(os.path.join(ROOT, "minattn", "__init__.py")) as handle:
        assert "keras_bridge" not in handle.read()
