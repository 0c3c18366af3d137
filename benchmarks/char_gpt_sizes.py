"""The char GPT demo's model and batch sizes, for the benchmarks: read from demos/char_gpt.py itself.

The benchmark's GPT (benchmarks/bench_train.py in minattn, benchmarks/torch_transformers.py
in PyTorch) is the model the demo trains: its constants ``SEQUENCE_LENGTH``,
``EMBEDDING_DIM``, ``NUM_HEADS``, ``NUM_LAYERS``, ``ACTIVATION`` and ``BATCH_SIZE``,
and the vocabulary of its corpus (``CORPUS``: the characters of those standard-library
modules, plus padding, as ``CharVocab`` counts them; the benchmark's windows are random ids
over it). When the demo's sizes change,
the benchmark follows.

The constants are read from the demo's source (its top-level assignments of
literals), not by importing it: the demo imports matplotlib, which would then sit
in every benchmark process and in the memory column bench_train.py reports.
"""
import ast
import functools
import os

DEMO = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "demos", "char_gpt.py")
NAMES = ("SEQUENCE_LENGTH", "EMBEDDING_DIM", "NUM_HEADS", "NUM_LAYERS", "ACTIVATION", "BATCH_SIZE", "CORPUS")


def demo_constants(path=DEMO, names=NAMES):
    """``{name: value}`` of the top-level ``NAME = literal`` assignments of ``path`` named in ``names``.

    Raises ``ValueError`` naming the file and the constant when one is missing or not a literal.
    """
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read(), path)
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in names:
                try:
                    found[name] = ast.literal_eval(node.value)
                except ValueError:
                    raise ValueError(f"{path}: {name} is not a literal ({ast.unparse(node.value)}); "
                                     "the benchmarks read it without importing the demo") from None
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"{path} has no top-level {missing}: the benchmark's GPT takes them from it")
    return found


@functools.lru_cache(maxsize=None)
def char_gpt_sizes():
    """The demo's GPT: ``{"length", "dim", "heads", "layers", "activation", "batch_size", "corpus"}``."""
    demo = demo_constants()
    return {"length": demo["SEQUENCE_LENGTH"], "dim": demo["EMBEDDING_DIM"], "heads": demo["NUM_HEADS"],
            "layers": demo["NUM_LAYERS"], "activation": demo["ACTIVATION"], "batch_size": demo["BATCH_SIZE"],
            "corpus": demo["CORPUS"]}


@functools.lru_cache(maxsize=None)
def char_gpt_vocabulary():
    """Ids of the demo's vocabulary (its characters and padding): the characters of the whole corpus it
    reads, where the demo counts those of its training blocks (the same set unless a character occurs
    only in held-out text). Reads the corpus (under a second), so only a GPT benchmark calls it."""
    from minattn.datasets import char_corpus as cc
    modules = cc.STDLIB_LARGE if char_gpt_sizes()["corpus"] == "large" else cc.STDLIB_MODULES  # as the demo
    return len(cc.CharVocab.from_text(cc.stdlib_text(modules, skip_missing=True)))
