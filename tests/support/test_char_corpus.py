"""The char GPT's corpus: the standard-library slices, and each epoch's training windows."""
import numpy as np
import pytest

from minattn.datasets import char_corpus as cc


def test_the_large_slice_reads_every_module_in_order_and_refuses_or_skips_a_missing_one():
    sources = cc.stdlib_sources(cc.STDLIB_LARGE)
    assert list(sources) == list(cc.STDLIB_LARGE) and len(set(cc.STDLIB_LARGE)) == len(cc.STDLIB_LARGE)
    assert sum(map(len, sources.values())) > 2_000_000                   # several MB of text (3.1 M on 3.11)
    assert cc.stdlib_text(("heapq", "string")) == sources["heapq"] + "\n\n" + sources["string"]
    with pytest.raises(FileNotFoundError, match="'no_such_module'"):
        cc.stdlib_sources(("heapq", "no_such_module"))
    assert list(cc.stdlib_sources(("heapq", "no_such_module", "string"), skip_missing=True)) == ["heapq", "string"]


def test_epoch_windows_move_with_the_epoch_and_repeat_with_the_seed():
    ids = np.arange(1, 5001)
    windows = cc.EpochWindows(ids, 16, count=100, seed=0)
    x0, y0 = windows.for_epoch(0)
    x1, _ = windows.for_epoch(1)
    assert x0.shape == y0.shape == (100, 16)
    np.testing.assert_array_equal(y0, x0 + 1)                            # the next id
    assert np.all(np.diff(x0[:, 0]) % 16 == 0) and np.all(np.diff(x0[:, 0]) > 0)   # one offset, text order
    offsets = {int(windows.for_epoch(e)[0][0, 0] - 1) % 16 for e in range(12)}
    assert len(offsets) > 3                                              # the cuts move between epochs
    assert not np.array_equal(x0, x1)
    np.testing.assert_array_equal(cc.EpochWindows(ids, 16, 100, seed=0).for_epoch(1)[0], x1)   # reproducible
    fixed = cc.EpochWindows(ids, 16, 100, seed=0, random_offset=False)
    np.testing.assert_array_equal(fixed.for_epoch(0)[0], fixed.for_epoch(5)[0])
    assert np.all((fixed.for_epoch(0)[0][:, 0] - 1) % 16 == 0)


def test_epoch_windows_refuse_a_text_too_short():
    with pytest.raises(ValueError, match="at least 33 ids"):
        cc.EpochWindows(np.arange(20), 16, 10, seed=0)


def test_ngram_with_a_lower_order_equals_one_fitted_at_that_order():
    text = cc.stdlib_text(("textwrap",))[:4000]
    vocab = cc.CharVocab.from_text(text)
    ids = vocab.encode(text)
    largest = cc.NGramModel(5, len(vocab)).fit(ids[:3000])
    for order in (1, 3, 5):
        lower, fitted = largest.with_order(order), cc.NGramModel(order, len(vocab)).fit(ids[:3000])
        assert lower.order == order
        assert lower.bits_per_char(ids[3000:]) == pytest.approx(fitted.bits_per_char(ids[3000:]), rel=1e-12)
    assert largest.with_order(3).bits_per_char(ids[3000:]) != largest.bits_per_char(ids[3000:])
    with pytest.raises(ValueError, match="order must be in 1..5, got 6"):
        largest.with_order(6)
