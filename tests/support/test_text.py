"""minattn.datasets.text: the synthetic review corpus, the tokenizer, padding, and the aclImdb loader."""
import numpy as np
import pytest

from minattn.datasets import text, tokenizer
from minattn.datasets.text import NEGATORS, NEUTRAL_WORDS, SENTIMENT, load_aclimdb, sentiment_score, synthetic_reviews
from minattn.datasets.tokenizer import OOV, PAD, Vocabulary, pad_sequences, tokenize


# -- synthetic_reviews ------------------------------------------------------------------

def test_same_seed_same_corpus_other_seed_other_corpus():
    a_texts, a_labels = synthetic_reviews(200, seed=5)
    b_texts, b_labels = synthetic_reviews(200, seed=5)
    c_texts, _ = synthetic_reviews(200, seed=6)
    assert a_texts == b_texts and np.array_equal(a_labels, b_labels)
    assert a_texts != c_texts


def test_every_label_follows_the_sentiment_rule_without_ties():
    texts, labels = synthetic_reviews(3000, seed=1)
    scores = np.array([sentiment_score(t) for t in texts])
    assert np.all(scores != 0), "a tie slipped through"
    assert np.array_equal(labels, (scores > 0).astype(np.int64))
    assert labels.dtype == np.int64 and labels.shape == (3000,)
    assert 0.45 < labels.mean() < 0.55


def test_reviews_are_neutral_words_with_one_to_three_planted_sentiment_words():
    texts, _ = synthetic_reviews(2000, seed=2, max_sentiment=3)
    known = set(NEUTRAL_WORDS) | set(NEGATORS) | set(SENTIMENT)
    counts = []
    for review in texts:
        words = review.split()
        assert set(words) <= known
        counts.append(sum(w in SENTIMENT for w in words))
    assert set(counts) == {1, 3}                            # odd counts only: no ties


def test_negation_flips_a_sentiment_word():
    assert sentiment_score("the film was good") == 1
    assert sentiment_score("the film was not good") == -1
    assert sentiment_score("never boring and hardly awful") == 2
    # Only *directly* before: a negator elsewhere flips nothing.
    assert sentiment_score("not the film was good") == 1
    assert sentiment_score("the film was good not") == 1


def test_negations_in_the_corpus_decide_labels():
    """Some reviews would get the other label if their negators were read as neutral words."""
    texts, labels = synthetic_reviews(2000, seed=3, negation_rate=0.5)
    naive = np.array([sum(SENTIMENT.get(w, 0) for w in t.split()) > 0 for t in texts])
    flipped = naive != labels.astype(bool)
    assert flipped.mean() > 0.1
    for review in np.array(texts, dtype=object)[flipped][:20]:
        words = review.split()
        assert any(a in NEGATORS and b in SENTIMENT for a, b in zip(words, words[1:])), review
    # And with no negation at all, the naive sum is the label.
    texts, labels = synthetic_reviews(500, seed=3, negation_rate=0.0, stray_negator_rate=0.0)
    assert not any(w in NEGATORS for t in texts for w in t.split())
    assert np.array_equal(labels, [sum(SENTIMENT.get(w, 0) for w in t.split()) > 0 for t in texts])


def test_stray_negators_stand_before_neutral_words():
    texts, _ = synthetic_reviews(1000, seed=4, negation_rate=0.0, stray_negator_rate=1.0)
    for review in texts:
        words = review.split()
        places = [i for i, w in enumerate(words) if w in NEGATORS]
        assert len(places) == 1
        assert places[0] + 1 == len(words) or words[places[0] + 1] in NEUTRAL_WORDS


def test_lengths_vary_within_the_bounds():
    texts, _ = synthetic_reviews(2000, seed=0, min_len=7, max_len=12)
    lengths = {len(t.split()) for t in texts}
    assert lengths == set(range(7, 13))


@pytest.mark.parametrize("kwargs, message", [
    ({"n": 0}, "n"), ({"min_len": 5}, "min_len"), ({"min_len": 20, "max_len": 10}, "max_len"),
    ({"max_sentiment": 2}, "odd"), ({"negation_rate": 1.5}, "negation_rate"), ({"seed": -1}, "seed"),
])
def test_bad_settings_are_refused(kwargs, message):
    kwargs = {"n": 10, **kwargs}
    with pytest.raises(ValueError, match=message):
        synthetic_reviews(**kwargs)


# -- tokenizer and padding ----------------------------------------------------------------

def test_tokenize_lowercases_and_drops_punctuation():
    assert tokenize("It's NOT good,  really... 10/10!") == ["it's", "not", "good", "really", "10", "10"]


def test_vocabulary_reserves_padding_and_oov_and_ranks_by_frequency():
    vocab = Vocabulary.fit(["b a c a", "c a d"])
    assert vocab.words == ["<pad>", "<oov>", "a", "c", "b", "d"]   # a:3, c:2, then b, d in order seen
    assert vocab.index["a"] == 2 and len(vocab) == 6
    assert vocab.texts_to_sequences(["a d", "zebra c"]) == [[2, 5], [OOV, 3]]


def test_max_words_counts_the_reserved_ids_and_sends_rare_words_to_oov():
    vocab = Vocabulary.fit(["b a c a", "c a d"], max_words=4)
    assert len(vocab) == 4 and vocab.words == ["<pad>", "<oov>", "a", "c"]
    assert vocab.texts_to_sequences(["a b c d e"]) == [[2, OOV, 3, OOV, OOV]]
    assert vocab.sequences_to_words([[2, 3, PAD, PAD]]) == [["a", "c"]]
    with pytest.raises(ValueError, match="max_words"):
        Vocabulary.fit(["a"], max_words=1)
    with pytest.raises(TypeError, match="list of texts"):
        Vocabulary.fit("a b c")


def test_pad_sequences_post_and_pre_like_keras():
    seqs = [[1, 2, 3, 4], [5], []]
    assert pad_sequences(seqs, maxlen=3).tolist() == [[1, 2, 3], [5, 0, 0], [0, 0, 0]]
    assert pad_sequences(seqs, maxlen=3, padding="pre", truncating="pre").tolist() == \
        [[2, 3, 4], [0, 0, 5], [0, 0, 0]]
    assert pad_sequences(seqs, maxlen=3, padding="pre").tolist() == [[1, 2, 3], [0, 0, 5], [0, 0, 0]]
    assert pad_sequences(seqs).shape == (3, 4)                      # maxlen=None: the longest
    assert pad_sequences(seqs, maxlen=2, value=9).tolist() == [[1, 2], [5, 9], [9, 9]]
    assert pad_sequences(seqs, maxlen=2).dtype == np.int32
    with pytest.raises(ValueError, match="padding"):
        pad_sequences(seqs, padding="middle")


def test_corpus_round_trip_through_the_tokenizer():
    texts, _ = synthetic_reviews(300, seed=9, min_len=8, max_len=20)
    vocab = Vocabulary.fit(texts)
    x = pad_sequences(vocab.texts_to_sequences(texts), maxlen=20)
    assert x.shape == (300, 20)
    lengths = (x != PAD).sum(axis=1)
    assert np.array_equal(lengths, [len(t.split()) for t in texts])
    assert np.all(x[np.arange(20) >= lengths[:, None]] == PAD)        # post padding
    assert [" ".join(words) for words in vocab.sequences_to_words(x)] == texts


# -- load_aclimdb ----------------------------------------------------------------------

def write_aclimdb(root):
    reviews = {
        ("train", "pos"): ["A great film.<br /><br />Loved it.", "Wonderful!"],
        ("train", "neg"): ["Awful.<br />Just awful.", "Boring", "Not good at all."],
        ("test", "pos"): ["Superb."],
        ("test", "neg"): ["Dull."],
    }
    for (split, folder), texts in reviews.items():
        where = root / "aclImdb" / split / folder
        where.mkdir(parents=True)
        for i, review in enumerate(texts):
            (where / f"{i}_{7 if folder == 'pos' else 2}.txt").write_text(review, encoding="utf-8")
    (root / "aclImdb" / "train" / "unsup").mkdir()                  # ignored, as are other files
    (root / "aclImdb" / "train" / "labeledBow.feat").write_text("0 0:1\n")
    return root / "aclImdb"


def test_aclimdb_loader_reads_texts_labels_and_strips_breaks(tmp_path):
    path = write_aclimdb(tmp_path)
    texts, labels = load_aclimdb(path, "train")
    assert len(texts) == 5 and labels.tolist().count(1) == 2 and labels.dtype == np.int64
    by_text = dict(zip(texts, labels.tolist()))
    assert by_text["A great film.  Loved it."] == 1
    assert by_text["Awful. Just awful."] == 0 and by_text["Not good at all."] == 0
    assert not any("<br" in t for t in texts)
    test_texts, test_labels = load_aclimdb(path, split="test")
    assert dict(zip(test_texts, test_labels.tolist())) == {"Superb.": 1, "Dull.": 0}
    # The parent folder works too, the order is seeded, and max_reviews takes a subset.
    again, again_labels = load_aclimdb(tmp_path, "train")
    assert again == texts and np.array_equal(again_labels, labels)
    subset, subset_labels = load_aclimdb(path, "train", max_reviews=3, seed=1)
    assert len(subset) == 3 and set(subset) <= set(texts)
    assert all(by_text[t] == label for t, label in zip(subset, subset_labels))


def test_aclimdb_loader_names_the_missing_folder(tmp_path):
    path = write_aclimdb(tmp_path)
    for review in (path / "test" / "neg").iterdir():
        review.unlink()
    (path / "test" / "neg").rmdir()
    with pytest.raises(FileNotFoundError, match=r"test[/\\]neg"):
        load_aclimdb(path, "test")
    with pytest.raises(FileNotFoundError, match=r"nowhere[/\\]train[/\\]pos"):
        load_aclimdb(tmp_path / "nowhere", "train")
    (path / "test" / "neg").mkdir()
    with pytest.raises(FileNotFoundError, match="no .txt reviews"):
        load_aclimdb(path, "test")
    with pytest.raises(ValueError, match="split"):
        load_aclimdb(path, "validation")


def test_module_doctests():
    import doctest
    results = [doctest.testmod(module) for module in (text, tokenizer)]       # the module was split in two
    failures, tried = sum(r.failed for r in results), sum(r.attempted for r in results)
    assert tried > 5 and failures == 0


def test_decisive_words_are_the_sentiment_words_and_their_negators():
    from minattn.datasets.text import decisive_words
    words = "never a dull moment but not good and not the best hardly awful".split()
    assert [words[i] for i in decisive_words(words)] == ["dull", "not", "good", "hardly", "awful"]
