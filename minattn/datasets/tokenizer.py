"""Words to ids and back, as Keras's ``Tokenizer`` and ``pad_sequences`` do.

* ``tokenize(text)`` -- lower-case words, punctuation dropped;
* ``Vocabulary`` -- words to integer ids (0 = padding, 1 = out-of-vocabulary,
  then by frequency) and back;
* ``pad_sequences`` -- ragged id lists to one ``(n, maxlen)`` array.
"""
import re

import numpy as np

from ..arguments import check_int

PAD, OOV = 0, 1                                    # the two reserved ids
PAD_WORD, OOV_WORD = "<pad>", "<oov>"

_TOKEN = re.compile(r"[a-z0-9']+")


def tokenize(text):
    """Lower-case words: runs of letters, digits and apostrophes (so "don't" stays one word).

    Like Keras's ``Tokenizer`` with its default filters, punctuation separates
    words and is dropped.

    >>> tokenize("Not GOOD, but... fun!")
    ['not', 'good', 'but', 'fun']
    """
    return _TOKEN.findall(text.lower())


class Vocabulary:
    """Words to integer ids and back: 0 = padding, 1 = out-of-vocabulary, then by frequency.

    ``Vocabulary.fit(texts, max_words)`` counts the words of ``texts`` (see
    ``tokenize``) and gives ids 2, 3, ... to the most frequent first (ties:
    the word seen first wins), keeping at most ``max_words`` ids in all --
    the two reserved ones included, so ``len(vocab) <= max_words`` and
    ``Embedding(len(vocab), ...)`` covers every id. This is Keras's
    ``Tokenizer(num_words=max_words, oov_token=...)`` numbering. Words not
    kept map to 1.

    Example:
        >>> vocab = Vocabulary.fit(["the film was good", "the film was bad"], max_words=5)
        >>> vocab.words
        ['<pad>', '<oov>', 'the', 'film', 'was']
        >>> vocab.texts_to_sequences(["the good film"])
        [[2, 1, 3]]
    """

    def __init__(self, words):
        words = list(words)
        if words[:2] != [PAD_WORD, OOV_WORD]:
            raise ValueError(f"Vocabulary: the first two words must be {PAD_WORD!r} and {OOV_WORD!r}, "
                             f"got {words[:2]!r}")
        self.words = words                                   # id -> word
        self.index = {word: i for i, word in enumerate(words)}   # word -> id

    @classmethod
    def fit(cls, texts, max_words=None):
        """Build a vocabulary from ``texts`` (a list of str); ``max_words`` >= 2 or None (keep all)."""
        if isinstance(texts, str):
            raise TypeError("Vocabulary.fit: expected a list of texts, got one str")
        if max_words is not None:
            max_words = check_int(max_words, "Vocabulary.fit: max_words", 2)
        counts = {}
        for text in texts:
            for word in tokenize(text):
                counts[word] = counts.get(word, 0) + 1       # dicts keep first-seen order
        ranked = sorted(counts, key=lambda w: -counts[w])    # stable: first seen wins ties
        if max_words is not None:
            ranked = ranked[:max_words - 2]
        return cls([PAD_WORD, OOV_WORD] + ranked)

    def __len__(self):
        return len(self.words)

    def __repr__(self):
        return f"<Vocabulary {len(self)} ids: {self.words[2:7]}...>"

    def texts_to_sequences(self, texts):
        """A list of id lists, one per text; unknown words become 1 (``OOV``)."""
        if isinstance(texts, str):
            raise TypeError("texts_to_sequences: expected a list of texts, got one str")
        get = self.index.get
        return [[get(word, OOV) for word in tokenize(text)] for text in texts]

    def sequences_to_words(self, sequences):
        """Ids back to words, one list per sequence, dropping padding (0)."""
        return [[self.words[int(i)] for i in seq if int(i) != PAD] for seq in sequences]


def pad_sequences(sequences, maxlen=None, padding="post", truncating="post", value=PAD,
                  dtype="int32"):
    """Ragged id lists to one ``(n, maxlen)`` array, as Keras's ``pad_sequences``.

    Sequences longer than ``maxlen`` lose words from the end (``truncating=
    "post"``) or the start ("pre"); shorter ones get ``value`` added after
    (``padding="post"``) or before ("pre"). ``maxlen=None`` uses the longest.

    Our defaults differ from Keras's, which are "pre" for both. Keras pads at
    the front so that, *without* a mask, an LSTM's last hidden state comes
    after the real words. minattn's models mask padding
    (``Embedding(mask_zero=True)``): an LSTM keeps its state over masked steps
    and attention gives them weight 0, so the results do not depend on the
    side. "post" then keeps word ``t`` of a review in column ``t`` -- the
    attention weights line up with the words when you plot them -- and
    truncating "post" keeps a long review's opening. Pass "pre" to get
    Keras's behaviour.

    Args:
        sequences: list of lists (or 1-D arrays) of ints.
        maxlen: int >= 1, or None for the longest sequence's length.
        padding: "post" or "pre": which end gets the padding ids.
        truncating: "post" or "pre": which end of a long sequence is cut.
        value: the padding id (default 0).
        dtype: of the result (default "int32").

    Returns:
        ``(len(sequences), maxlen)`` array.

    Example:
        >>> pad_sequences([[5, 6, 7], [8]], maxlen=2).tolist()
        [[5, 6], [8, 0]]
        >>> pad_sequences([[5, 6, 7], [8]], maxlen=2, padding="pre", truncating="pre").tolist()
        [[6, 7], [0, 8]]
    """
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in ("post", "pre"):
            raise ValueError(f"pad_sequences: expected {name} 'post' or 'pre', got {side!r}")
    sequences = [list(seq) for seq in sequences]
    if maxlen is None:
        maxlen = max((len(seq) for seq in sequences), default=0)
    else:
        maxlen = check_int(maxlen, "pad_sequences: maxlen", 1)
    out = np.full((len(sequences), maxlen), value, dtype=dtype)
    for row, seq in zip(out, sequences):
        seq = seq[:maxlen] if truncating == "post" else seq[max(len(seq) - maxlen, 0):]
        if seq:
            if padding == "post":
                row[:len(seq)] = seq
            else:
                row[maxlen - len(seq):] = seq
    return out
