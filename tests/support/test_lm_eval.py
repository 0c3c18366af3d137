"""The like-for-like language-model evaluation: window arithmetic, scoring, and the n-gram on the same characters."""
import math

import numpy as np
import pytest

from minattn.datasets import char_corpus as cc
from minattn.datasets import lm_eval


@pytest.mark.parametrize("n, length, stride", [(65, 64, 32), (200, 64, 32), (200, 64, 64), (200, 64, 1),
                                               (1000, 16, 5), (97, 10, 3), (11, 10, 10)])
def test_every_character_after_the_first_is_scored_exactly_once(n, length, stride):
    ids = np.arange(n)
    windows = lm_eval.sliding_windows(ids, length, stride)
    positions = windows.positions()
    np.testing.assert_array_equal(np.sort(positions), np.arange(1, n))
    np.testing.assert_array_equal(windows.y[windows.scored], ids[positions])        # y is the next id
    np.testing.assert_array_equal(windows.x[:, 1:], windows.y[:, :-1])
    # context: a scored target at step t of its window has t + 1 ids before it in the window
    steps = np.nonzero(windows.scored)[1]
    after_first = windows.starts[np.nonzero(windows.scored)[0]] > 0
    assert np.all(steps[after_first] + 1 >= length - stride)


def test_window_starts_step_by_stride_and_the_last_ends_with_the_text():
    windows = lm_eval.sliding_windows(np.arange(100), 10, 4)
    assert windows.starts.tolist()[:3] == [0, 4, 8] and windows.starts[-1] == 100 - 1 - 10
    assert windows.scored[0].all() and windows.scored[1].tolist() == [False] * 6 + [True] * 4


def test_bits_of_a_model_whose_probabilities_are_known():
    """A model giving the true next id probability 1/2 (if even) or 1/8 (if odd) scores the mean of 1 and 3 bits."""
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 6, size=300)
    windows = lm_eval.sliding_windows(ids, 20, 7)
    vocab = 6
    p = np.full(windows.y.shape + (vocab,), 0.0)
    truth = np.where(windows.y % 2 == 0, 0.5, 0.125)
    np.put_along_axis(p, windows.y[..., None], truth[..., None], axis=-1)
    expected = np.mean(np.where(ids[1:] % 2 == 0, 1.0, 3.0))
    assert windows.bits(p) == pytest.approx(expected, rel=1e-12)
    rows = {tuple(x): i for i, x in enumerate(windows.x)}
    predict = lambda x: p[[rows[tuple(r)] for r in x]]                        # noqa: E731
    assert windows.model_bits(predict, batch_size=4) == pytest.approx(expected, rel=1e-12)


def test_the_ngram_scores_the_same_characters_as_its_own_bits_per_char():
    text = cc.stdlib_text(("textwrap",))[:3000]
    vocab = cc.CharVocab.from_text(text)
    ids = vocab.encode(text)
    ngram = cc.NGramModel(3, len(vocab)).fit(ids[:2000])
    held_out = ids[2000:]
    windows = lm_eval.sliding_windows(held_out, 64, 32)
    assert lm_eval.ngram_bits(ngram, held_out, windows.positions()) == pytest.approx(
        ngram.bits_per_char(held_out), rel=1e-12)
    one = lm_eval.ngram_bits(ngram, held_out, [5])
    assert one == pytest.approx(-math.log2(ngram.probability(held_out[3:5].tolist(), int(held_out[5]))))


def test_bad_windows_and_probabilities_are_refused():
    with pytest.raises(ValueError, match="stride"):
        lm_eval.sliding_windows(np.arange(100), 10, 11)
    with pytest.raises(ValueError, match="longer than the window"):
        lm_eval.sliding_windows(np.arange(10), 10, 5)
    windows = lm_eval.sliding_windows(np.arange(30), 10, 5)
    with pytest.raises(ValueError, match="probabilities of shape"):
        windows.bits(np.ones((len(windows), 9, 30)))
