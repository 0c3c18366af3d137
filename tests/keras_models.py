"""The models the Keras bridge is tested on, built as the demos build them, with data for each.

``MODELS[name]() -> (model, x, y, loss)``: a freshly built minattn model
(seeded weights), inputs to compare predictions on and a small training set.
"""
import importlib.util
import os

import numpy as np

import minattn
from minattn import datasets
from minattn.datasets import text, tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT_LEN = 20


def demo(name):
    """A demo script as a module (its build_model), without running main()."""
    spec = importlib.util.spec_from_file_location(f"bridge_demo_{name}", os.path.join(ROOT, "demos", f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fresh(build):
    minattn.clear_session()
    minattn.set_random_seed(0)
    return build()


def e1():
    x, _, y = datasets.abs_difference(64, seed=5)
    return fresh(lambda: demo("e1_dense_attention").build_model()[0]), x, y, "mse"


def e2():
    _, x, y = datasets.abs_difference(64, seed=5)
    return fresh(lambda: demo("e2_attention_before_lstm").build_model()[0]), x, y, "mse"


def e3():
    x, y = datasets.planted_time_step(64, 10, 2, 2, seed=5)
    return fresh(lambda: demo("e3_lstm_attention").build_model()[0]), x, y, "binary_crossentropy"


def e4():
    x, y = datasets.planted_column(64, 4, 1, seed=5)
    return fresh(lambda: demo("e4_stacked_dense_attention").build_model()[0]), x, y, "binary_crossentropy"


def reviews(n=64):
    """Padded synthetic reviews (id 0 = padding, so masks matter) and their labels (n, 1)."""
    texts, labels = text.synthetic_reviews(n, seed=5, min_len=8, max_len=TEXT_LEN)
    vocab = tokenizer.Vocabulary.fit(texts)
    return tokenizer.pad_sequences(vocab.texts_to_sequences(texts), TEXT_LEN), np.asarray(labels)[:, None], len(vocab)


def text_model(variant, bidirectional):
    def make():
        x, y, vocab_size = reviews()
        model = fresh(lambda: demo("text_attention").build_model(variant, vocab_size, TEXT_LEN,
                                                                 bidirectional, penalty=0)[0])
        return model, x, y, "binary_crossentropy"
    return make


MODELS = {"e1": e1, "e2": e2, "e3": e3, "e4": e4}
for _variant in ("last", "pooling", "context", "self"):
    MODELS[f"text_{_variant}"] = text_model(_variant, False)
    MODELS[f"text_{_variant}_bidirectional"] = text_model(_variant, True)
