"""Text for the sentiment demo: a synthetic review corpus, a tokenizer, and an IMDb loader.

Three pieces, each small enough to read at once:

* ``synthetic_reviews(n, seed, min_len, max_len)`` -- seeded short "reviews":
  neutral filler words with a few sentiment words planted among them, some of
  them negated ("not good"). The label is the sign of the summed sentiment, so
  the words that decide a review are known exactly -- which is what lets a
  demo ask whether attention finds them. ``sentiment_score`` states the rule.
* ``Vocabulary`` and ``pad_sequences`` -- words to integer ids (0 = padding,
  1 = out-of-vocabulary) and ragged id lists to one ``(n, maxlen)`` array, as
  Keras's ``Tokenizer`` and ``pad_sequences`` do. They live in
  ``tokenizer.py`` and are importable from here, so the demo takes all its
  text tools from one module.
* ``load_aclimdb(path, split)`` -- the Large Movie Review Dataset (aclImdb,
  Maas et al. 2011) from its standard folder layout, for users who have it.

Nothing here touches minattn's global random generator: the corpus depends on
its seed only.
"""
import os
import re

import numpy as np

from ..arguments import check_int
from .checks import check_seed
from .tokenizer import OOV, PAD, Vocabulary, pad_sequences, tokenize  # noqa: F401  (the demo's, from here too)

# -- The synthetic corpus's vocabulary ------------------------------------------------
# 12 negators + 40 positive + 40 negative sentiment words + 224 neutral words = 316.

NEGATORS = ("not", "never", "hardly", "barely", "scarcely", "rarely", "seldom", "nowhere",
            "nothing", "neither", "nor", "without")

POSITIVE_WORDS = (
    "good", "great", "excellent", "wonderful", "superb", "brilliant", "delightful", "moving",
    "charming", "enjoyable", "fantastic", "fun", "gripping", "likable", "lovely", "masterful",
    "memorable", "outstanding", "perfect", "pleasant", "powerful", "remarkable", "rewarding",
    "riveting", "satisfying", "splendid", "stunning", "terrific", "thoughtful", "touching",
    "uplifting", "witty", "clever", "beautiful", "engaging", "fresh", "funny", "impressive",
    "inspired", "smart")

NEGATIVE_WORDS = (
    "bad", "awful", "terrible", "boring", "dull", "poor", "weak", "horrible", "dreadful",
    "tedious", "clumsy", "annoying", "bland", "disappointing", "forgettable", "lame", "lifeless",
    "mediocre", "messy", "pointless", "predictable", "shallow", "silly", "sloppy", "stale",
    "stupid", "tiresome", "ugly", "unfunny", "uninspired", "wooden", "worst", "confusing",
    "flat", "hollow", "painful", "pretentious", "slow", "cheap", "dreary")

NEUTRAL_WORDS = (
    # function words
    "the", "a", "an", "this", "that", "these", "those", "it", "its", "he", "she", "they", "we",
    "his", "her", "their", "our", "is", "was", "are", "were", "be", "been", "has", "had", "have",
    "and", "or", "but", "so", "then", "than", "as", "of", "in", "on", "at", "to", "for", "with",
    "by", "from", "about", "into", "over", "after", "before", "during", "while", "when", "where",
    "which", "who", "what", "how", "why", "all", "some", "any", "each", "every", "both", "more",
    "most", "other", "such", "own", "same", "just", "also", "very", "quite", "rather", "still",
    "even", "again", "once", "here", "there", "now", "one", "two", "three", "first", "second",
    "last", "next", "few", "many", "much", "i", "you", "me", "my", "your", "him", "them", "us",
    # film words
    "movie", "film", "story", "plot", "script", "scene", "scenes", "actor", "actors", "actress",
    "cast", "director", "camera", "music", "score", "soundtrack", "ending", "opening",
    "beginning", "middle", "character", "characters", "hero", "villain", "dialogue", "sequel",
    "remake", "version", "genre", "drama", "comedy", "thriller", "romance", "western", "horror",
    "documentary", "animation", "budget", "studio", "theater", "screen", "audience", "crowd",
    "critic", "review", "festival", "premiere", "trailer", "poster", "book", "novel", "author",
    "series", "episode", "season", "role", "performance", "production", "effects", "costumes",
    "setting", "location", "city", "town", "house", "family", "friend", "friends", "father",
    "mother", "brother", "sister", "son", "daughter", "wife", "husband", "child", "children",
    "war", "love", "life", "death", "time", "year", "years", "night", "day", "summer", "winter",
    "world", "country", "school", "police", "detective", "doctor", "soldier", "king", "queen",
    "ship", "car", "train", "road", "island", "forest", "river", "weekend", "evening", "minute",
    "minutes", "hour", "hours", "chapter", "twist", "moment", "moments", "shot", "shots",
    # neutral verbs
    "watched", "saw", "seen", "made", "shot", "filmed", "released", "plays", "played", "tells",
    "told", "shows", "showed", "follows", "starts", "ends", "begins", "goes", "went", "came",
    "comes", "takes", "took", "gets", "got", "finds", "found", "tries", "meets", "returns",
    "leaves", "runs", "lives", "works", "writes", "wrote", "directed", "based", "set", "feels",
)
NEUTRAL_WORDS = tuple(dict.fromkeys(NEUTRAL_WORDS))      # "shot" appears twice above

SENTIMENT = {**{w: 1 for w in POSITIVE_WORDS}, **{w: -1 for w in NEGATIVE_WORDS}}
_NEGATOR_SET = frozenset(NEGATORS)

def sentiment_score(text):
    """The rule that labels the synthetic corpus: summed word sentiment, negation flipping.

    Each positive word counts +1 and each negative word -1; a negator
    (``NEGATORS``: "not", "never", "hardly", ...) *directly* before a
    sentiment word flips its sign. Negators anywhere else, and every other
    word, count 0. A review's label is 1 when its score is positive.

    >>> sentiment_score("a good film"), sentiment_score("not a good film"), sentiment_score("not good")
    (1, 1, -1)
    """
    words = tokenize(text)
    score = 0
    for before, word in zip([None] + words[:-1], words):
        value = SENTIMENT.get(word, 0)
        score += -value if before in _NEGATOR_SET else value
    return score


def decisive_words(words):
    """Indices of the words ``sentiment_score`` counts: sentiment words and negators right before them.

    ``words`` is a list of str (e.g. ``tokenize(text)``). These are the words a
    model must read to label a synthetic review; the demo measures how much
    attention lands on them.

    >>> decisive_words("not a good film , hardly boring".split())
    [2, 5, 6]
    """
    out = []
    for i, word in enumerate(words):
        if word in SENTIMENT:
            if i > 0 and words[i - 1] in _NEGATOR_SET:
                out.append(i - 1)
            out.append(i)
    return out


def synthetic_reviews(n, seed=0, min_len=8, max_len=40, *, max_sentiment=3, negation_rate=0.3,
                      stray_negator_rate=0.3):
    """A seeded corpus of short synthetic movie reviews and their sentiment labels.

    Each review is ``L`` words, ``L`` uniform in ``[min_len, max_len]``. All
    words are neutral filler (``NEUTRAL_WORDS``) except ``k`` planted
    sentiment words, ``k`` odd and uniform in ``{1, 3, ..., max_sentiment}``,
    each positive or negative with equal chance, at random positions at least
    two apart. With probability ``negation_rate`` a planted word is negated: a
    negator replaces the word directly before it and flips its sign. With
    probability ``stray_negator_rate`` a review also gets one negator before a
    neutral word, which flips nothing -- so a model has to learn that
    negation acts on the next word only, not that "not" means negative.

    The label is 1 when the summed (flipped) sentiment is positive, else 0
    (``sentiment_score`` is the rule; the tests check every review against
    it). ``k`` is odd and every planted word counts +-1, so the sum is never 0:
    there are no ties. Labels come out balanced in expectation (about 50 %).

    Args:
        n: number of reviews, int >= 1.
        seed: int in [0, 2**32 - 1] for ``np.random.default_rng``.
        min_len: shortest review in words, ``2 * max_sentiment + 1 <= min_len``
            (room for every planted word and its negator).
        max_len: longest review in words, ``>= min_len``.
        max_sentiment: keyword-only, odd int >= 1; most sentiment words per review.
        negation_rate: keyword-only, chance in [0, 1] that a sentiment word is negated.
        stray_negator_rate: keyword-only, chance in [0, 1] that a review has a
            negator before a neutral word.

    Returns:
        texts: list of ``n`` str, words separated by single spaces.
        labels: (n,) int64, 0 (negative) or 1 (positive).

    Example:
        >>> texts, labels = synthetic_reviews(2, seed=0)
        >>> len(texts), labels.shape
        (2, (2,))
    """
    func = "synthetic_reviews"
    n = check_int(n, f"{func}: n", 1)
    seed = check_seed(func, seed)
    max_sentiment = check_int(max_sentiment, f"{func}: max_sentiment", 1)
    if max_sentiment % 2 == 0:
        raise ValueError(f"{func}: expected max_sentiment to be odd (no ties), got {max_sentiment}")
    min_len = check_int(min_len, f"{func}: min_len", 2 * max_sentiment + 1)
    max_len = check_int(max_len, f"{func}: max_len", min_len)
    for name, rate in (("negation_rate", negation_rate), ("stray_negator_rate", stray_negator_rate)):
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"{func}: expected {name} in [0, 1], got {rate!r}")

    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, size=n)                     # (n,)
    k = 2 * rng.integers(0, (max_sentiment + 1) // 2, size=n) + 1            # (n,) odd counts
    slots = np.arange(max_len)                                               # (max_len,)

    # Planted positions, pairwise >= 2 apart and >= 1 (room for a negator
    # before each): k distinct sorted s_j from [0, L - k), then p_j = 1 + s_j + j.
    keys = rng.random((n, max_len))
    keys[slots >= (lengths - k)[:, None]] = np.inf                           # s must be < L - k
    smallest = np.argsort(keys, axis=1)[:, :max_sentiment]                   # (n, K) in key order
    used = np.arange(max_sentiment) < k[:, None]                             # (n, K) the first k
    s = np.sort(np.where(used, smallest, max_len), axis=1)                   # real ones first, ascending
    positions = 1 + s + np.arange(max_sentiment)                             # (n, K)

    words = rng.integers(0, len(NEUTRAL_WORDS), size=(n, max_len))           # (n, max_len) neutral ids
    polarity = rng.choice(np.array([-1, 1]), size=(n, max_sentiment))        # (n, K)
    which = rng.integers(0, len(POSITIVE_WORDS), size=(n, max_sentiment))    # index into the +/- list
    negated = rng.random((n, max_sentiment)) < negation_rate                 # (n, K)
    negator = rng.integers(0, len(NEGATORS), size=(n, max_sentiment))
    stray = rng.random(n) < stray_negator_rate                               # (n,)
    stray_key = rng.random((n, max_len))
    stray_negator = rng.integers(0, len(NEGATORS), size=n)

    # One id space for all words: neutral, then negators, positive, negative.
    offset_neg = len(NEUTRAL_WORDS)
    offset_pos = offset_neg + len(NEGATORS)
    offset_bad = offset_pos + len(POSITIVE_WORDS)
    table = np.array(NEUTRAL_WORDS + NEGATORS + POSITIVE_WORDS + NEGATIVE_WORDS)

    rows = np.broadcast_to(np.arange(n)[:, None], positions.shape)
    sentiment_ids = np.where(polarity > 0, offset_pos, offset_bad) + which
    words[rows[used], positions[used]] = sentiment_ids[used]
    neg = used & negated
    words[rows[neg], positions[neg] - 1] = offset_neg + negator[neg]

    # A stray negator: at a neutral slot whose next word is neutral (or the end).
    neutral = words < offset_neg                                             # (n, max_len)
    next_neutral = np.concatenate([neutral[:, 1:], np.ones((n, 1), bool)], axis=1)
    allowed = neutral & next_neutral & (slots < lengths[:, None])
    stray_key = np.where(allowed, stray_key, -1.0)
    place = np.argmax(stray_key, axis=1)                                     # (n,)
    stray &= allowed[np.arange(n), place]
    words[np.flatnonzero(stray), place[stray]] = offset_neg + stray_negator[stray]

    signs = np.where(negated, -polarity, polarity)                           # (n, K)
    labels = ((signs * used).sum(axis=1) > 0).astype(np.int64)               # never 0: k is odd
    texts = [" ".join(table[row[:length]]) for row, length in zip(words, lengths)]
    return texts, labels


# -- IMDb reviews (aclImdb) -----------------------------------------------------------

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def load_aclimdb(path, split="train", max_reviews=None, seed=0):
    """Reviews and labels from the Large Movie Review Dataset's folder layout.

    The layout is that of ``aclImdb_v1.tar.gz`` (Maas et al. 2011)::

        path/train/pos/*.txt   path/train/neg/*.txt
        path/test/pos/*.txt    path/test/neg/*.txt

    one review per file (the ``unsup`` folder and the ``.feat`` files are
    ignored). ``path`` may also be the folder that holds ``aclImdb/``. The
    HTML line breaks ``<br />`` in the reviews become spaces.

    Args:
        path: the ``aclImdb`` folder.
        split: "train" or "test".
        max_reviews: None for every review, or an int >= 1: a random subset
            of that size (drawn with ``seed``, before any file is read).
        seed: int; the order of the reviews (shuffled, so positive and
            negative ones are mixed -- ``fit``'s ``validation_split`` takes
            the *last* samples) and the subset.

    Returns:
        texts: list of str.
        labels: (n,) int64, 1 for pos, 0 for neg.

    Raises:
        FileNotFoundError: naming the missing folder, or the folder without reviews.
    """
    func = "load_aclimdb"
    if split not in ("train", "test"):
        raise ValueError(f"{func}: expected split 'train' or 'test', got {split!r}")
    if max_reviews is not None:
        max_reviews = check_int(max_reviews, f"{func}: max_reviews", 1)
    seed = check_seed(func, seed)
    root = os.fspath(path)
    if not os.path.isdir(os.path.join(root, split)) and os.path.isdir(os.path.join(root, "aclImdb", split)):
        root = os.path.join(root, "aclImdb")
    files, labels = [], []
    for label, folder in ((1, "pos"), (0, "neg")):
        where = os.path.join(root, split, folder)
        if not os.path.isdir(where):
            raise FileNotFoundError(f"{func}: no folder {where!r}; expected the aclImdb layout "
                                    f"PATH/{{train,test}}/{{pos,neg}}/*.txt with PATH = {root!r}")
        names = sorted(name for name in os.listdir(where) if name.endswith(".txt"))
        if not names:
            raise FileNotFoundError(f"{func}: folder {where!r} holds no .txt reviews")
        files += [os.path.join(where, name) for name in names]
        labels += [label] * len(names)
    order = np.random.default_rng(seed).permutation(len(files))
    if max_reviews is not None:
        order = order[:max_reviews]
    texts = []
    for i in order:
        with open(files[i], encoding="utf-8", errors="replace") as handle:
            texts.append(_BREAK.sub(" ", handle.read()).strip())
    return texts, np.asarray(labels, dtype=np.int64)[order]
