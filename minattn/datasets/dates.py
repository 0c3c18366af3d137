"""Human-readable dates -> ISO dates: a character-level translation task.

    >>> data = make_date_dataset(1000, seed=0)
    >>> data["train"][0][0], data["train"][1][0]          # e.g. ('tuesday, may 3, 1979', '1979-05-03')

``random_date_pair(rng)`` draws one date between 1950 and 2049 and writes it
in one of ``FORMATS`` (``"3 May 1979"``, ``"tuesday, may 3, 1979"``,
``"03/05/79"``, ``"May 3rd 79"``, ...); the target is always ``"1979-05-03"``.
Two-digit years mean 1950-2049 (``"79"`` is 1979, ``"21"`` is 2021).
Slash formats are day first (``dd/mm/yy``), as in most of the world.

``CharVocab`` maps characters to ids with 0 = padding, 1 = start, 2 = end;
``encode`` turns strings into padded int arrays, ``decode`` goes back.
Everything is seeded: the same seed gives the same dates and splits.
"""
import datetime

import numpy as np

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
FIRST_DAY = datetime.date(1950, 1, 1)
LAST_DAY = datetime.date(2049, 12, 31)


def _ordinal(day):
    """1 -> '1st', 2 -> '2nd', 3 -> '3rd', 11 -> '11th', 22 -> '22nd'."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def _pieces(d):
    """Every way to write a part of the date ``d`` that the formats use."""
    month = MONTHS[d.month - 1]
    return {"d": str(d.day), "dd": f"{d.day:02d}", "dth": _ordinal(d.day),
            "m": str(d.month), "mm": f"{d.month:02d}",
            "month": month, "Month": month.capitalize(), "MONTH": month.upper(),
            "mon": month[:3], "Mon": month[:3].capitalize(),
            "yyyy": str(d.year), "yy": f"{d.year % 100:02d}",
            "weekday": DAYS[d.weekday()], "Weekday": DAYS[d.weekday()].capitalize(),
            "wkd": DAYS[d.weekday()][:3].capitalize()}


# str.format templates over the pieces above
FORMATS = [
    "{d} {Month} {yyyy}",            # 3 May 1979
    "{d} {month} {yyyy}",            # 3 may 1979
    "{dd} {Mon} {yyyy}",             # 03 May 1979
    "{d} {MONTH} {yy}",              # 3 MAY 79
    "{weekday}, {month} {d}, {yyyy}",   # tuesday, may 3, 1979
    "{Weekday}, {d} {Month} {yyyy}",    # Thursday, 3 May 1979
    "{wkd} {d} {Mon} {yyyy}",        # Thu 3 May 1979
    "{Month} {d}, {yyyy}",           # May 3, 1979
    "{Month} {dth} {yy}",            # May 3rd 79
    "{Mon} {dth}, {yyyy}",           # May 3rd, 1979
    "{dth} of {Month} {yyyy}",       # 3rd of May 1979
    "{dd}/{mm}/{yy}",                # 03/05/79
    "{d}/{m}/{yyyy}",                # 3/5/1979
    "{dd}.{mm}.{yyyy}",              # 03.05.1979
    "{dd}-{mm}-{yyyy}",              # 03-05-1979
    "{yyyy}/{mm}/{dd}",              # 1979/05/03
    "{yyyy} {Month} {d}",            # 1979 May 3
    "{d}{mon}{yy}",                  # 3may79
]


def iso(d):
    """The target: ``YYYY-MM-DD``."""
    return d.isoformat()


def format_date(d, fmt):
    """``d`` written with one of ``FORMATS``."""
    return fmt.format(**_pieces(d))


def random_date(rng):
    """A uniformly drawn ``datetime.date`` between 1950-01-01 and 2049-12-31."""
    span = (LAST_DAY - FIRST_DAY).days
    return FIRST_DAY + datetime.timedelta(days=int(rng.integers(0, span + 1)))


def random_date_pair(rng):
    """``(human-readable date, ISO date)`` in a randomly chosen format."""
    d = random_date(rng)
    return format_date(d, FORMATS[int(rng.integers(len(FORMATS)))]), iso(d)


def make_date_pairs(n, seed=0):
    """``n`` pairs ``(source, target)`` from a generator seeded with ``seed``."""
    rng = np.random.default_rng(seed)
    pairs = [random_date_pair(rng) for _ in range(n)]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def make_date_dataset(n, seed=0, validation=0.1, test=0.1):
    """Seeded pairs split into ``{"train", "validation", "test"}``, each ``(sources, targets)``.

    The fractions ``validation`` and ``test`` are taken from the end; the
    split is by position, so the same seed always gives the same three sets.
    """
    sources, targets = make_date_pairs(n, seed)
    n_test, n_val = int(round(n * test)), int(round(n * validation))
    n_train = n - n_test - n_val
    cut = [0, n_train, n_train + n_val, n]
    names = ["train", "validation", "test"]
    return {name: (sources[a:b], targets[a:b]) for name, a, b in zip(names, cut[:-1], cut[1:])}


# ---------------------------------------------------------------------------
# Character vocabularies
# ---------------------------------------------------------------------------
PAD, START, END = 0, 1, 2
SPECIALS = ["<pad>", "<s>", "</s>"]


class CharVocab:
    """Characters <-> ids; 0 = padding, 1 = start, 2 = end, then the characters sorted.

    Args:
        texts: the strings whose characters make the vocabulary.
    """

    def __init__(self, texts):
        chars = sorted(set("".join(texts)))
        self.tokens = SPECIALS + chars
        self.ids = {ch: i for i, ch in enumerate(self.tokens)}

    def __len__(self):
        return len(self.tokens)

    def encode(self, texts, length, add_start=False, add_end=False):
        """Strings -> int array ``(len(texts), length)``, right-padded with 0.

        Unknown characters raise; a text longer than ``length`` is cut.
        """
        out = np.zeros((len(texts), length), dtype=np.int64)
        for row, text in enumerate(texts):
            try:
                ids = [self.ids[ch] for ch in text]
            except KeyError as err:
                raise ValueError(f"CharVocab: character {err.args[0]!r} of {text!r} is not in the "
                                 "vocabulary") from None
            ids = ([START] if add_start else []) + ids + ([END] if add_end else [])
            ids = ids[:length]
            out[row, :len(ids)] = ids
        return out

    def decode(self, ids):
        """One row of ids -> string, stopping at the end token, skipping padding and start."""
        chars = []
        for i in np.asarray(ids).tolist():
            if i == END:
                break
            if i not in (PAD, START):
                chars.append(self.tokens[i])
        return "".join(chars)


def source_vocab():
    """The vocabulary of every character any format can produce (fixed: no data needed)."""
    texts = MONTHS + DAYS + [m.upper() for m in MONTHS] + [m.capitalize() for m in MONTHS + DAYS]
    return CharVocab(texts + ["0123456789 ,./-stndrhof"])


def target_vocab():
    """The vocabulary of ISO dates: digits and '-'."""
    return CharVocab(["0123456789-"])


def encode_pairs(sources, targets, src_vocab, tgt_vocab, source_length=None):
    """Arrays for teacher forcing.

    Returns:
        ``x`` (n, Tx) source ids; ``decoder_in`` (n, Ty) = start + target;
        ``y`` (n, Ty) = target + end (0 = padding, ignored by the masked loss).
        ``Ty`` is the longest target + 1.
    """
    source_length = source_length or max(len(s) for s in sources)
    target_length = max(len(t) for t in targets) + 1
    x = src_vocab.encode(sources, source_length)
    decoder_in = tgt_vocab.encode(targets, target_length, add_start=True)
    y = tgt_vocab.encode(targets, target_length, add_end=True)
    return x, decoder_in, y
