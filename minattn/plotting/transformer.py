"""Figures of the Transformer demos: attention per head, and bits per character per model.

Headless (Agg), like ``charts.py``: each function saves a PNG and returns its path.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from .charts import save_figure  # noqa: E402


def _show_char(c):
    return {"\n": "\\n", " ": "␣", "\t": "\\t"}.get(c, c)


def head_grid(weights, path, title, row_labels, col_labels, row_titles=None, xlabel="key", ylabel="query"):
    """A grid of attention maps: ``weights`` (rows, heads, Tq, Tk), one panel per (row, head).

    Args:
        weights: e.g. (layers, heads, Tq, Tk) for one input.
        row_labels: the query tokens (characters are shown with newline and
            space made visible).
        col_labels: the key tokens, shown the same way.
        row_titles: a name per grid row (e.g. "layer 1"); heads are numbered.
    """
    weights = np.asarray(weights, dtype=float)
    rows, heads, tq, tk = weights.shape
    size = max(2.6, 0.16 * max(tq, tk) + 1.2)
    fig, axes = plt.subplots(rows, heads, figsize=(size * heads, size * rows + 0.6), squeeze=False)
    rlabels, clabels = [_show_char(c) for c in row_labels], [_show_char(c) for c in col_labels]
    for r in range(rows):
        for h in range(heads):
            ax = axes[r, h]
            ax.imshow(weights[r, h], cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
            ax.set_title(f"{row_titles[r] + ', ' if row_titles else ''}head {h + 1}", fontsize=9)
            ax.set_xticks(range(tk), labels=clabels, fontsize=6, family="monospace")
            ax.set_yticks(range(tq), labels=rlabels, fontsize=6, family="monospace")
            if r == rows - 1:
                ax.set_xlabel(xlabel, fontsize=8)
            if h == 0:
                ax.set_ylabel(ylabel, fontsize=8)
    fig.suptitle(title, fontsize=10)
    return save_figure(fig, path)


def model_bars(values, path, title, ylabel):
    """One bar per model: ``values`` is an ordered dict name -> number (lower is better for bits)."""
    names, numbers = list(values), [float(v) for v in values.values()]
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 2.5, 3.6))
    bars = ax.bar(range(len(names)), numbers, color=["tab:gray", "tab:orange", "tab:blue", "tab:green"][:len(names)])
    for bar, number in zip(bars, numbers):
        ax.text(bar.get_x() + bar.get_width() / 2, number, f"{number:.3f}", ha="center", va="bottom", fontsize=9)
    ax.set_xticks(range(len(names)), labels=names, fontsize=9)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(numbers) * 1.15)
    ax.set_title(title, fontsize=10)
    return save_figure(fig, path)


def learning_curves(curves, path, title, ylabel, xlabel="epoch"):
    """Several curves on one axis: ``curves`` is a dict label -> list of values per epoch."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
