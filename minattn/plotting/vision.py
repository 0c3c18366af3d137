"""Figures for the vision-attention demos (channel weights, image grids), drawn headless into PNGs.

Kept apart from ``plotting.py`` so the two can grow independently; the same
conventions: take the data, a path and labels, save, return the path.
"""
import numpy as np
from matplotlib.ticker import MaxNLocator

from .charts import plt, save_figure


def channel_weights(panels, path, title, informative=(), accuracies=None):
    """Bar charts of mean channel weights, one panel per model, informative channels highlighted.

    Args:
        panels: list of ``(label, weights)``; ``weights`` (channels,) is the
            mean SE weight of each channel, ``(label, weights, spread)`` adds
            error bars (e.g. the standard deviation over images).
        path: PNG file to write.
        title: figure title.
        informative: channel indices drawn in a highlight colour.
        accuracies: optional dict ``{model label: test accuracy}``, drawn as
            an extra panel of horizontal bars.
    """
    count = len(panels) + (1 if accuracies else 0)
    fig, axes = plt.subplots(1, count, figsize=(4.2 * count, 3.6), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        label, weights = panel[0], np.asarray(panel[1])
        spread = np.asarray(panel[2]) if len(panel) > 2 else None
        channels = np.arange(len(weights))
        colours = ["tab:orange" if c in informative else "tab:gray" for c in channels]
        ax.bar(channels, weights, yerr=spread, color=colours, capsize=2)
        ax.axhline(0.0, color="black", linewidth=0.6)
        ax.set_xticks(channels)
        ax.set_xlabel("input channel (orange: carries the class)")
        ax.set_ylabel("mean SE weight")
        ax.set_title(label, fontsize=10)
    if accuracies:
        ax = axes[0][-1]
        names = list(accuracies)
        ax.barh(np.arange(len(names)), [accuracies[n] for n in names], color="tab:blue")
        for i, name in enumerate(names):
            ax.text(accuracies[name], i, f" {accuracies[name]:.3f}", va="center", fontsize=9)
        ax.set_yticks(np.arange(len(names)))
        ax.set_yticklabels(names, fontsize=9)
        ax.set_xlim(0, 1.15)
        ax.set_xlabel("test accuracy")
        ax.set_title("test accuracy of every model", fontsize=10)
        ax.invert_yaxis()
    fig.suptitle(title)
    return save_figure(fig, path)


def image_rows(rows, path, title, row_labels=None, col_labels=None, cmap="gray"):
    """A grid of single-channel images: ``rows`` is a list of lists of 2-D arrays.

    Args:
        rows: ``rows[r][c]`` is an (H, W) array; rows may differ in image size.
        path: PNG file to write.
        title: figure title.
        row_labels: one label per row (drawn on the left).
        col_labels: one label per column (drawn above the first row).
        cmap: matplotlib colour map.
    """
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(1.3 * n_cols + 0.8, 1.4 * n_rows + 0.5), squeeze=False)
    for r, row in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(row):
                ax.imshow(row[c], cmap=cmap)
            else:
                ax.axis("off")
            if r == 0 and col_labels is not None and c < len(col_labels):
                ax.set_title(col_labels[c], fontsize=9)
        if row_labels is not None:
            axes[r][0].set_ylabel(row_labels[r], fontsize=9)
    fig.suptitle(title)
    return save_figure(fig, path)


def loss_curves(histories, path, title):
    """Training (solid) and validation (dashed) loss per epoch of several models.

    Args:
        histories: dict ``{model label: History.history}``.
        path: PNG file to write.
        title: figure title.
    """
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (label, history) in enumerate(histories.items()):
        colour = f"C{i}"
        epochs = np.arange(1, len(history["loss"]) + 1)
        ax.plot(epochs, history["loss"], "o-", color=colour, label=f"{label}")
        if "val_loss" in history:
            ax.plot(epochs, history["val_loss"], "s--", color=colour, label=f"{label} (test)")
    ax.set_xlabel("epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))     # whole epochs only
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=7)
    return save_figure(fig, path)
