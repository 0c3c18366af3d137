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


def head_grid(weights, path, title, row_labels, col_labels, row_titles=None, xlabel="key", ylabel="query",
              columns=2):
    """A grid of attention maps: ``weights`` (rows, heads, Tq, Tk), one panel per (row, head),
    ``columns`` panels across, and one colour bar (0 to 1) for every panel.

    The panels are sized so that a tick label per token stays legible when the
    page shows the figure at its width (about 900 pixels): at most two panels
    across, tick labels at 8 points.

    Args:
        weights: e.g. (layers, heads, Tq, Tk) for one input.
        row_labels: the query tokens (characters are shown with newline and
            space made visible).
        col_labels: the key tokens, shown the same way.
        row_titles: a name per grid row (e.g. "layer 1"); heads are numbered.
        columns: panels per line of the figure.
    """
    weights = np.asarray(weights, dtype=float)
    rows, heads, tq, tk = weights.shape
    panels = [(r, h) for r in range(rows) for h in range(heads)]
    across = min(columns, len(panels))
    down = -(-len(panels) // across)                                            # ceil
    width, height = max(3.0, 0.14 * tk + 1.0), max(2.6, 0.14 * tq + 0.9)
    fig, axes = plt.subplots(down, across, figsize=(width * across + 0.9, height * down + 0.6), squeeze=False,
                             layout="constrained")
    rlabels, clabels = [_show_char(c) for c in row_labels], [_show_char(c) for c in col_labels]
    for ax, (r, h) in zip(axes.flat, panels):
        image = ax.imshow(weights[r, h], cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_title(f"{row_titles[r] + ', ' if row_titles else ''}head {h + 1}", fontsize=9)
        ax.set_xticks(range(tk), labels=clabels, fontsize=8, family="monospace")
        ax.set_yticks(range(tq), labels=rlabels, fontsize=8, family="monospace")
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize=10)
    fig.colorbar(image, ax=axes, fraction=0.03, pad=0.01, label="attention weight (0: dark purple, 1: yellow)")
    fig.savefig(path, dpi=110)                 # not save_figure: tight_layout would undo the constrained layout
    plt.close(fig)
    return path


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


def learning_curves(curves, path, title, ylabel, xlabel="epoch", log_scale=False):
    """Several curves on one axis: ``curves`` is a dict label -> list of values per epoch.

    ``log_scale``: a logarithmic value axis, where late epochs' small changes matter.
    """
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    return save_figure(fig, path)
