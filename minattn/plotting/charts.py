"""Figures for attention experiments, drawn headless (matplotlib's Agg) into PNG files.

Every function takes the data, a path and labels, saves the figure and
returns the path; nothing is shown on screen.
"""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def save_figure(fig, path):
    """Lay out, write ``fig`` to ``path`` as a PNG, close it; returns ``path``."""
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
        title: the figure's title.
        xlabel: the x axis's label.
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
    return save_figure(fig, path)


def loss_curve(history, path, title, reference=None, reference_label="article", log_scale=False,
               label="minattn"):
    """Loss (and val_loss) per epoch from ``History.history``, with the article's losses if given.

    Args:
        history: ``History.history`` (``"loss"``, optionally ``"val_loss"``).
        path: PNG file to write.
        title: the figure's title.
        reference: optional losses per epoch (NaN where not known), drawn in black.
        reference_label: the reference's legend name.
        label: our run's legend name; say in the two names what differs
            between the runs (samples, epochs).
        log_scale: a logarithmic loss axis.

    The epoch axis covers both runs (neither line is cut off) with a tick
    at whole epochs only.
    """
    fig, ax = plt.subplots(figsize=(6, 3.8))
    epochs = np.arange(1, len(history["loss"]) + 1)
    ax.plot(epochs, history["loss"], "o-", label=f"{label}: loss")
    if "val_loss" in history:
        ax.plot(epochs, history["val_loss"], "s--", label=f"{label}: val_loss")
    last = len(epochs)
    if reference is not None:
        reference = np.asarray(reference, dtype=float)
        known = np.flatnonzero(np.isfinite(reference)) + 1                # epochs with a value
        ax.plot(known, reference[known - 1], "x:", color="black", label=f"{reference_label}: loss")
        last = max(last, len(reference))
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_xlim(0.5, last + 0.5)
    if last <= 12:
        ax.set_xticks(np.arange(1, last + 1))                 # every epoch, whole numbers only
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def heatmap(matrix, path, title, row_labels=None, col_labels=None, xlabel="", ylabel="",
            colorbar_label="attention weight"):
    """A matrix of weights as an image (e.g. output steps x input steps), with a labelled colour bar."""
    matrix = np.asarray(matrix, dtype=float)
    fig, ax = plt.subplots(figsize=(max(4, 0.35 * matrix.shape[1] + 2), max(3, 0.35 * matrix.shape[0] + 1.5)))
    image = ax.imshow(matrix, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label=colorbar_label)
    ax.set_yticks(range(matrix.shape[0]), labels=row_labels)                # a tick per row and column
    ax.set_xticks(range(matrix.shape[1]), labels=col_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    return save_figure(fig, path)


VISIBLE_SPACE = "\u2423"        # '␣': a space a reader can see in a tick label
END = "</s>"


def visible(text):
    """``text`` with each space drawn as '␣'."""
    return text.replace(" ", VISIBLE_SPACE)


def translation_rows(target, prediction, steps):
    """The rows of a translation figure: (predicted labels, target labels, wrong flags).

    One row per output step up to the later of the two end tokens (at most
    ``steps``); a step past the end of one string gets an empty label, and
    a row is wrong where the two labels differ.
    """
    predicted, wanted = list(prediction) + [END], list(target) + [END]
    rows = min(max(len(predicted), len(wanted)), steps)
    predicted, wanted = (predicted + [""] * rows)[:rows], (wanted + [""] * rows)[:rows]
    return predicted, wanted, [p != t for p, t in zip(predicted, wanted)]


def translation_heatmap(weights, source, target, prediction, path, title):
    """One translation's attention: output steps x input characters, target beside prediction.

    Args:
        weights: (output steps, input positions) attention weights; the rows
            up to the end token and the columns of ``source`` are drawn.
        source: the input string (spaces are drawn as '␣').
        target: the right output.
        prediction: the decoded output.
        path: PNG file to write.
        title: the figure's first title line; a second line gives the
            input, target and prediction.

    Rows are labelled by the predicted character on the left and the target
    character on the right; a row where they differ has red labels and a
    red frame.
    """
    predicted, wanted, wrong = translation_rows(target, prediction, len(weights))
    rows = len(predicted)
    matrix = np.asarray(weights, dtype=float)[:rows, :len(source)]          # (output steps, input chars)
    width = max(5.5, 0.3 * len(source) + 3.5)                                # inches
    fig, ax = plt.subplots(figsize=(width, max(3.5, 0.32 * rows + 2)))
    image = ax.imshow(matrix, cmap="viridis", aspect="auto", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, pad=1.1 / width, label="attention weight")    # room for the target labels
    ax.set_xticks(range(len(source)), labels=[visible(c) for c in source])
    ax.set_yticks(range(rows), labels=[visible(c) for c in predicted])
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    right.set_yticks(range(rows), labels=[visible(c) for c in wanted])
    for axis, labels in ((ax, ax.get_yticklabels()), (right, right.get_yticklabels())):
        for label, bad in zip(labels, wrong):
            label.set_color("red" if bad else "black")
    for row in np.flatnonzero(wrong):
        ax.add_patch(plt.Rectangle((-0.5, row - 0.5), len(source), 1, fill=False, edgecolor="red", lw=2))
    ax.set_xlabel("input character (\u2423 = space)")
    ax.set_ylabel("predicted character")
    right.set_ylabel("target character")
    verdict = "right" if not any(wrong) else f"{sum(wrong)} wrong (red)"
    ax.set_title(f"{title}\n'{visible(source)}' -> target {target}, predicted {prediction}: {verdict}",
                 fontsize=10)
    return save_figure(fig, path)


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
    if highlight:
        top.plot([], [], color="tab:green", alpha=0.3, lw=8, label="informative")
        top.legend(fontsize=8)
    bottom.set_xticks(positions)
    bottom.set_xlabel(xlabel)
    top.set_title(title)
    return save_figure(fig, path)


def _word_widths(words, size, weights, dpi):
    """Each word's drawn width in inches (measured by the Agg renderer, no figure needed)."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    renderer = RendererAgg(100, 100, dpi)
    widths = []
    for word, weight in zip(words, weights):
        width, _, _ = renderer.get_text_width_height_descent(
            word, FontProperties(size=size, weight=weight), ismath=False)
        widths.append(width / dpi)
    return widths


def attention_words(rows, path, title, bars=None, bar_title="held-out accuracy", chance=None,
                    baseline=None, width=11.0, fontsize=10, cmap="Oranges"):
    """Reviews with each word's background coloured by its attention weight, and a bar chart.

    Args:
        rows: list of dicts, drawn top to bottom. ``{"caption": str}`` alone is a
            heading; with ``"words"`` (list of str) and ``"weights"`` (one float
            per word) the words follow the caption, wrapped to the figure's
            width, each on a background from white (weight 0) to dark (1),
            on a square-root scale so that weights of a few percent still
            show. The scale is the same for every row: uniform attention over
            many words stays pale. Optional ``"bold"``: indices of words to
            set in bold (e.g. the words that decide the label).
        path: PNG file to write.
        title: the figure's title.
        bars: optional ``{name: value}`` drawn as a bar chart under the words.
        bar_title: the bar chart's title; ``chance``: a dashed reference line;
            ``baseline``: the name of the bar to draw in grey.
        width: figure width in inches; fontsize: of the words.
    """
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, PowerNorm
    colours = ListedColormap(plt.get_cmap(cmap)(np.linspace(0, 0.85, 256)))   # darkest: text stays legible
    norm = PowerNorm(0.5, vmin=0.0, vmax=1.0)                                 # sqrt: small weights show
    dpi = 110
    line, gap, margin = 0.27 * fontsize / 10, 0.1 * fontsize / 10, 0.3
    captions = [r["caption"] for r in rows if r.get("words")]
    indent = margin + 0.2 + max(_word_widths(captions, fontsize - 1, ["normal"] * len(captions), dpi) or [0])
    # Lay every word out in inches from the top-left corner first; the height follows.
    placed, y = [], 0.55 + 0.15 * (len(rows) > 0)              # (x, y, text, style) in inches
    for row in rows:
        words = list(row.get("words", []))
        if not words:                                          # a heading
            y += 0.1
            placed.append((margin, y, row["caption"], {"fontsize": fontsize, "fontweight": "bold"}))
            y += line * 1.15
            continue
        placed.append((margin, y, row["caption"], {"fontsize": fontsize - 1, "color": "0.35"}))
        weights = np.clip(np.asarray(row["weights"], dtype=float), 0.0, 1.0)
        bold = set(row.get("bold", ()))
        styles = ["bold" if i in bold else "normal" for i in range(len(words))]
        x = indent
        for word, weight, style, w in zip(words, weights, styles,
                                          _word_widths(words, fontsize, styles, dpi)):
            if x + w > width - margin and x > indent:          # wrap
                x, y = indent, y + line
            box = {"boxstyle": "square,pad=0.12", "facecolor": colours(norm(weight)),
                   "edgecolor": "none"}
            placed.append((x, y, word, {"fontsize": fontsize, "fontweight": style, "bbox": box}))
            x += w + gap
        y += line * 1.2
    words_height = y + 0.1
    bars_height = 2.6 if bars else 0.0
    height = words_height + bars_height
    fig = plt.figure(figsize=(width, height), dpi=dpi)
    fig.text(margin / width, 1 - 0.3 / height, title, fontsize=fontsize + 2, fontweight="bold", va="center")
    for x, y, text, style in placed:
        fig.text(x / width, 1 - y / height, text, va="center", ha="left", **style)
    # A colour bar for the word backgrounds, top right.
    bar_axes = fig.add_axes([1 - 2.6 / width, 1 - 0.42 / height, 2.2 / width, 0.12 / height])
    fig.colorbar(ScalarMappable(norm, colours), cax=bar_axes, orientation="horizontal")
    bar_axes.set_xticks([0, 0.05, 0.2, 0.5, 1], labels=["0", ".05", ".2", ".5", "1"], fontsize=8)
    bar_axes.set_title("attention weight", fontsize=8, pad=2)
    if bars:
        ax = fig.add_axes([0.9 / width, 0.45 / height, (width - 1.4) / width, (bars_height - 0.9) / height])
        names, values = list(bars), [float(v) for v in bars.values()]
        ax.bar(names, values, color=["0.6" if name == baseline else "tab:orange" for name in names])
        for i, value in enumerate(values):
            ax.text(i, value + 0.01, f"{value:.3f}", ha="center", va="bottom", fontsize=9)
        if chance is not None:
            ax.axhline(chance, color="0.3", ls="--", lw=1)
            ax.text(len(names) - 0.5, chance, "chance", va="bottom", ha="right", fontsize=8, color="0.3")
        ax.set_ylim(min(0.4, min(values) - 0.05), 1.1)
        ax.set_ylabel("accuracy")
        ax.set_title(bar_title, fontsize=10)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
