"""Scoring language models like for like: every model predicts the same characters with the same context.

    windows = sliding_windows(ids, length=64, stride=32)
    bits = windows.model_bits(model.predict)                 # a GPT or an LSTM: (n, T) -> (n, T, vocab)
    bits = ngram_bits(ngram, ids, windows.positions())      # the n-gram: the same characters

Cutting held-out text into blocks and scoring each block from scratch gives a
neural model's first characters almost no context, while an n-gram always
has its ``order - 1``. Here the text is read through overlapping windows:

    window i covers ids[s_i : s_i + T] and predicts ids[s_i + 1 : s_i + T + 1],
    s_i = i * stride (the last window is moved back to end with the text);
    the first window scores all its T targets, every later one only the
    targets no earlier window scored (its last ``stride``, or fewer for the last).

So each character ``ids[1:]`` is scored exactly once, and every one after the
first window sees at least ``T - stride`` characters before it. (The first
character has nothing before it: no model scores it.) A character model that
is scored this way and a count model scored at the same positions answer the
same question.
"""
import math

import numpy as np


class SlidingWindows:
    """Overlapping windows over ``ids`` and which targets of each are scored.

    Attributes:
        x: (n, T) input ids; ``y``: (n, T) the next ids (``y[i, t] = ids[starts[i] + t + 1]``).
        scored: (n, T) boolean, True at the targets this window scores.
        starts: (n,) where each window begins in ``ids``.
    """

    def __init__(self, x, y, scored, starts):
        self.x, self.y, self.scored, self.starts = x, y, scored, starts

    def __len__(self):
        return len(self.x)

    def positions(self):
        """The index in ``ids`` of every scored target, in text order (1 .. len(ids) - 1, each once)."""
        rows, steps = np.nonzero(self.scored)
        return self.starts[rows] + steps + 1

    def log2_probabilities(self, probabilities):
        """``log2 p(target)`` at each scored target, in ``positions()`` order: (n, T, vocab) -> (scored,)."""
        if np.shape(probabilities)[:2] != self.y.shape:
            raise ValueError(f"SlidingWindows: expected probabilities of shape {self.y.shape + ('vocab',)}, "
                             f"got {np.shape(probabilities)}")
        picked = np.take_along_axis(probabilities, self.y[..., None], axis=-1)[..., 0]     # (n, T)
        return np.log2(np.maximum(picked[self.scored].astype(np.float64), 1e-300))

    def bits(self, probabilities):
        """Mean ``-log2 p(target)`` over the scored targets: bits per character."""
        return float(-np.mean(self.log2_probabilities(probabilities)))

    def model_bits(self, predict, batch_size=256):
        """Bits per character of ``predict`` ((n, T) ids -> (n, T, vocab) probabilities), ``batch_size`` windows at a time."""
        logs = [SlidingWindows(*(a[i:i + batch_size] for a in (self.x, self.y, self.scored, self.starts)))
                .log2_probabilities(predict(self.x[i:i + batch_size])) for i in range(0, len(self), batch_size)]
        return float(-np.mean(np.concatenate(logs)))


def sliding_windows(ids, length, stride):
    """Windows of ``length`` over ``ids`` every ``stride`` ids, scoring each of ``ids[1:]`` once.

    Args:
        ids: (N,) integer ids, N > length.
        length: T, the window (the model's sequence length).
        stride: S, 1 <= S <= T; every scored id after the first window has
            at least T - S ids of context inside its window.

    Returns:
        A ``SlidingWindows``.
    """
    ids = np.asarray(ids)
    if not 1 <= stride <= length:
        raise ValueError(f"sliding_windows: need 1 <= stride <= length, got stride={stride}, length={length}")
    if ids.ndim != 1 or len(ids) <= length:
        raise ValueError(f"sliding_windows: need a 1-D text longer than the window ({length}), "
                         f"got shape {ids.shape}")
    last = len(ids) - 1 - length                       # the start of the window that ends with the text
    starts = np.arange(0, last + 1, stride)
    if starts[-1] != last:
        starts = np.append(starts, last)
    x = np.stack([ids[s:s + length] for s in starts])                    # (n, T)
    y = np.stack([ids[s + 1:s + length + 1] for s in starts])            # (n, T)
    # target t of window i sits at ids[s_i + t + 1]; score it unless the window before reached it
    reached = np.concatenate([[0], starts[:-1] + length])                # last position scored before window i
    target_at = starts[:, None] + np.arange(length)[None, :] + 1          # (n, T)
    return SlidingWindows(x, y, target_at > reached[:, None], starts)


def ngram_bits(ngram, ids, positions):
    """Mean ``-log2 P(ids[p] | the ngram's order - 1 ids before p)`` over ``positions``: bits per character."""
    ids = [int(i) for i in ids]
    order = ngram.order
    logs = [math.log2(ngram.probability(ids[max(0, p - order + 1):p], ids[p])) for p in positions]
    return -sum(logs) / len(logs)
