"""A character corpus nobody here wrote, with no download: the Python standard library's own source.

    text = stdlib_text()                       # the chosen modules of the running interpreter
    train, validation = split_blocks(text, block=2048, validation=0.1, seed=0)
    vocab = CharVocab.from_text(train)         # a character seen only in validation is UNKNOWN
    x, y = next_char_windows(vocab.encode(train), length=64)
    x, y = EpochWindows(vocab.encode(train), 64, count=5600, seed=0).for_epoch(3)   # cut at a random offset

The files are read from the interpreter that runs the code, so the corpus
(and every number measured on it) depends on the Python version; results
record it. ``NGramModel`` is the classical baseline: an interpolated
(Witten-Bell) character n-gram model, scored in bits per character.
"""
import math
import os
import sysconfig
from collections import Counter, defaultdict

import numpy as np

# Plain-Python modules, mostly prose-like code and docstrings, about 430 kB together.
STDLIB_MODULES = ("textwrap", "heapq", "fractions", "shlex", "string", "calendar", "statistics",
                  "pprint", "functools", "random", "difflib", "dataclasses")

# The larger slice, about 3.1 MB (Python 3.11): the modules above, then 54 more, each a single .py file in
# Pythons 3.10 to 3.13 (none generated, none mostly tables). The text still differs between versions
# (the files change); a run records which modules it read and how many characters they gave.
STDLIB_LARGE = STDLIB_MODULES + (
    "inspect", "typing", "pydoc", "tarfile", "doctest", "argparse", "_pyio", "datetime", "subprocess",
    "locale", "enum", "mailbox", "ipaddress", "pickle", "pdb", "ast", "optparse", "threading", "shutil",
    "configparser", "imaplib", "ssl", "smtplib", "platform", "traceback", "os", "socket", "codecs",
    "ftplib", "bdb", "zipimport", "ntpath", "_collections_abc", "tempfile", "pstats", "trace", "dis",
    "plistlib", "uuid", "socketserver", "contextlib", "tokenize", "_strptime", "webbrowser", "pkgutil",
    "gzip", "modulefinder", "profile", "mimetypes", "weakref", "gettext", "base64", "warnings", "csv")

PADDING = 0           # id 0 is never a character: the masked loss skips it
UNKNOWN = "\N{REPLACEMENT CHARACTER}"


def stdlib_sources(modules=STDLIB_MODULES, skip_missing=False):
    """``{module: source}`` for ``modules`` (names of ``.py`` files in the running interpreter's standard library).

    Args:
        modules: the names, read in this order.
        skip_missing: leave out a module with no source file (another
            Python version may lack it) instead of raising; the keys of the
            result say exactly what was read.

    Raises:
        FileNotFoundError: naming the module when a file is not there (e.g. a
            Python build without its ``.py`` sources) and ``skip_missing`` is False.
    """
    folder = sysconfig.get_paths()["stdlib"]
    sources = {}
    for name in modules:
        path = os.path.join(folder, name + ".py")
        if not os.path.isfile(path):
            if skip_missing:
                continue
            raise FileNotFoundError(f"stdlib_sources: the standard-library module {name!r} has no source "
                                    f"file at {path}")
        with open(path, encoding="utf-8") as handle:
            sources[name] = handle.read()
    return sources


def stdlib_text(modules=STDLIB_MODULES, skip_missing=False):
    """The source of ``modules`` (see ``stdlib_sources``), joined by blank lines."""
    return "\n\n".join(stdlib_sources(modules, skip_missing).values())


class CharVocab:
    """Characters <-> ids 1..n (0 is padding); a character not in the vocabulary maps to ``UNKNOWN``."""

    def __init__(self, chars):
        self.chars = [UNKNOWN] + sorted(set(chars) - {UNKNOWN})
        self.ids = {c: i + 1 for i, c in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text, min_count=1):
        """Every character seen at least ``min_count`` times."""
        counts = Counter(text)
        return cls([c for c, n in counts.items() if n >= min_count])

    def __len__(self):
        """Number of ids including padding (the size of an output layer)."""
        return len(self.chars) + 1

    def encode(self, text):
        unknown = self.ids[UNKNOWN]
        return np.array([self.ids.get(c, unknown) for c in text], dtype=np.int64)

    def decode(self, ids):
        return "".join(self.chars[i - 1] for i in np.asarray(ids).ravel() if i != PADDING)


def split_blocks(text, block=2048, validation=0.1, seed=0):
    """Cut ``text`` into blocks of ``block`` characters and deal a seeded ``validation`` share to validation.

    Returns:
        ``(train_text, validation_text)``, each the concatenation of its
        blocks in their original order.
    """
    if block < 2 or not 0 < validation < 1:
        raise ValueError(f"split_blocks: need block >= 2 and 0 < validation < 1, got {block}, {validation}")
    blocks = [text[i:i + block] for i in range(0, len(text), block)]
    count = max(1, int(round(validation * len(blocks))))
    chosen = set(np.random.default_rng(seed).choice(len(blocks), size=count, replace=False).tolist())
    return ("".join(b for i, b in enumerate(blocks) if i not in chosen),
            "".join(b for i, b in enumerate(blocks) if i in chosen))


def next_char_windows(ids, length, stride=None):
    """Windows of ``length`` ids and the same windows shifted by one: ``(x, y)`` each (n, length).

    ``y[i, t] = x[i, t + 1]`` within the text: the model predicts each next character.
    ``stride`` defaults to ``length`` (non-overlapping windows).
    """
    stride = stride or length
    starts = np.arange(0, len(ids) - length - 1 + 1, stride)
    x = np.stack([ids[s:s + length] for s in starts])
    y = np.stack([ids[s + 1:s + length + 1] for s in starts])
    return x, y


class EpochWindows:
    """Each epoch's training windows, cut afresh and reproducibly from the seed.

        windows = EpochWindows(train_ids, length=64, count=5600, seed=0)
        for epoch in range(epochs):
            x, y = windows.for_epoch(epoch)          # (count, 64) each
            model.fit(x, y, epochs=1, ...)

    With ``random_offset`` (the default) epoch e's generator is seeded by
    ``(seed, e)``: it picks an offset o in [0, length), cuts the text into
    windows at o, o + length, ... (``next_char_windows``), and keeps ``count``
    of them chosen at random (in text order). A model trained on windows cut
    at fixed places sees each character at the same position every epoch and
    can memorise them; moving the cuts each epoch shows it every character
    at every position. With ``random_offset=False`` every epoch gets the same
    windows: cut at offset 0, ``count`` chosen once by ``seed``.
    """

    def __init__(self, ids, length, count, seed, random_offset=True):
        if count < 1 or len(ids) < 2 * length + 1:
            raise ValueError(f"EpochWindows: need count >= 1 and a text of at least {2 * length + 1} ids, "
                             f"got count={count}, {len(ids)} ids")
        self.ids, self.length, self.count = np.asarray(ids), length, count
        self.seed, self.random_offset = seed, bool(random_offset)

    def for_epoch(self, epoch):
        """``(x, y)``, each (count or fewer, length): epoch ``epoch``'s windows (the same for the same seed)."""
        rng = np.random.default_rng([self.seed, epoch] if self.random_offset else self.seed)
        offset = int(rng.integers(self.length)) if self.random_offset else 0
        x, y = next_char_windows(self.ids[offset:], self.length)
        chosen = np.sort(rng.permutation(len(x))[:self.count])                  # text order
        return x[chosen], y[chosen]


def bits_per_char(probabilities, targets):
    """Mean ``-log2 p(target)`` over every position: (n, T, vocab) probabilities, (n, T) targets."""
    picked = np.take_along_axis(probabilities, targets[..., None], axis=-1)[..., 0]
    return float(-np.mean(np.log2(np.maximum(picked, 1e-300))))


class NGramModel:
    """Interpolated Witten-Bell character n-gram model (Witten & Bell 1991; Chen & Goodman 1999).

        P(c | h) = (C(h c) + N(h) P(c | h')) / (C(h) + N(h))

    where h is the previous ``order - 1`` characters, h' is h without its
    first character, C counts in the training text and N(h) is the number of
    different characters seen after h. The recursion ends in the uniform
    distribution over the vocabulary, so no character has probability 0.
    """

    def __init__(self, order, vocab_size):
        if order < 1:
            raise ValueError(f"NGramModel: order must be >= 1, got {order}")
        self.order, self.vocab_size = order, vocab_size
        self.counts = [defaultdict(Counter) for _ in range(order)]       # [k][context of k chars][char]

    def fit(self, ids):
        ids = [int(i) for i in ids]
        for t, c in enumerate(ids):
            for k in range(min(self.order - 1, t) + 1):
                self.counts[k][tuple(ids[t - k:t])][c] += 1
        return self

    def with_order(self, order):
        """The model of a lower ``order`` from the same counts (no refit): its first ``order`` tables."""
        if not 1 <= order <= self.order:
            raise ValueError(f"NGramModel.with_order: order must be in 1..{self.order}, got {order}")
        lower = NGramModel(order, self.vocab_size)
        lower.counts = self.counts[:order]
        return lower

    def probability(self, context, c):
        """P(c | the last ``order - 1`` ids of ``context``)."""
        p = 1.0 / self.vocab_size
        for k in range(min(self.order - 1, len(context)) + 1):
            seen = self.counts[k].get(tuple(context[len(context) - k:]))
            if not seen:
                break
            total, kinds = sum(seen.values()), len(seen)
            p = (seen.get(c, 0) + kinds * p) / (total + kinds)
        return p

    def bits_per_char(self, ids):
        """Mean ``-log2 P(c_t | c_<t)`` over ``ids[1:]`` (each character after the first)."""
        ids = [int(i) for i in ids]
        logs = [math.log2(self.probability(ids[max(0, t - self.order + 1):t], ids[t])) for t in range(1, len(ids))]
        return -sum(logs) / len(logs)
