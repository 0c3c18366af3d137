"""Figures for attention experiments, drawn headless (matplotlib's Agg) into PNG files.

Every function takes the data, a path and labels, saves the figure and
returns the path; nothing is shown on screen.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402


def _save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def attention_bars(values, path, title, xlabel="input position", reference=None,
                   reference_label="article", label="minattn", highlight=None):
    """Bar chart of an attention vector, optionally beside a reference (the article's).

    Args:
        values: 1-D attention weights (ours).
        path: PNG file to write.
        title, xlabel: labels.
        reference: optional 1-D weights of the same length drawn beside ours.
        highlight: optional indices to mark as the informative positions.
    """
    values = np.asarray(values, dtype=float)
    positions = np.arange(len(values))
    fig, ax = plt.subplots(figsize=(7, 3.8))
    width = 0.4 if reference is not None else 0.8
    offset = width / 2 if reference is not None else 0.0
    ax.bar(positions - offset, values, width, label=label, color="tab:blue")
    if reference is not None:
        ax.bar(positions + offset, np.asarray(reference, dtype=float), width,
               label=reference_label, color="tab:orange")
    if highlight is not None:
        for index in highlight:
            ax.axvspan(index - 0.5, index + 0.5, color="tab:green", alpha=0.08, lw=0)
        ax.plot([], [], color="tab:green", alpha=0.3, lw=8, label="informative")
    ax.set_xticks(positions)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("attention weight")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def loss_curve(history, path, title, reference=None, reference_label="article", log_scale=False):
    """Loss (and val_loss) per epoch from ``History.history``, with the article's losses if given."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], "o-", label="minattn loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "s--", label="minattn val_loss")
    if reference is not None:
        ax.plot(np.arange(1, len(reference) + 1), reference, "x:", color="tab:orange",
                label=f"{reference_label} loss")
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _save(fig, path)


def heatmap(matrix, path, title, row_labels=None, col_labels=None, xlabel="", ylabel=""):
    """A matrix of weights as an image (e.g. output steps x input steps)."""
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * matrix.shape[1] + 2), max(3, 0.35 * matrix.shape[0] + 1.5)))
    image = ax.imshow(matrix, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax)
    if row_labels is not None:
        ax.set_yticks(range(len(row_labels)), labels=row_labels)
    if col_labels is not None:
        ax.set_xticks(range(len(col_labels)), labels=col_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return _save(fig, path)


def attention_and_importance(attention, importance, path, title, xlabel="input position",
                             highlight=None):
    """Two panels over the same positions: attention weights above, permutation importance below."""
    attention, importance = np.asarray(attention, float), np.asarray(importance, float)
    positions = np.arange(len(attention))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 5.2), sharex=True)
    top.bar(positions, attention, color="tab:blue")
    top.set_ylabel("mean attention")
    bottom.bar(positions, importance, color="tab:red")
    bottom.set_ylabel("loss rise when shuffled")
    for ax in (top, bottom):
        for index in highlight or []:
            ax.axvspan(index - 0.5, index + 0.5, color="tab:green", alpha=0.08, lw=0)
    bottom.set_xticks(positions)
    bottom.set_xlabel(xlabel)
    top.set_title(title)
    return _save(fig, path)
