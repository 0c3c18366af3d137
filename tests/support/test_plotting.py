"""Figures say what they show: whole epochs, no line cut off, dates with target and errors marked."""
import numpy as np
import pytest

from minattn import plotting
from minattn.plotting import charts
from minattn.plotting import vision as plotting_vision


@pytest.fixture
def drawn(monkeypatch):
    """Keep the figures the plotting functions make (instead of writing and closing them)."""
    figures = []
    monkeypatch.setattr(charts, "save_figure", lambda fig, path: figures.append(fig) or path)
    monkeypatch.setattr(plotting_vision, "save_figure", lambda fig, path: figures.append(fig) or path)
    yield figures
    for fig in figures:
        charts.plt.close(fig)


def whole_ticks(ax, low, high):
    ticks = [t for t in ax.get_xticks() if low - 0.5 <= t <= high + 0.5]
    return ticks and all(float(t).is_integer() for t in ticks)


def test_a_longer_reference_is_not_cut_off(drawn):
    plotting.loss_curve({"loss": [0.3, 0.2, 0.1]}, "unused.png", "E1: loss", reference=np.linspace(0.3, 0.01, 10),
                        label="minattn, 20,000 samples", reference_label="article, 300,000 samples")
    ax = drawn[0].axes[0]
    low, high = ax.get_xlim()
    assert low < 1 and high > 10                                      # all ten reference epochs inside
    assert whole_ticks(ax, 1, 10)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "minattn, 20,000 samples: loss" in labels and "article, 300,000 samples: loss" in labels


def test_reference_epochs_without_a_value_are_left_out(drawn):
    reference = [0.7] + [np.nan] * 8 + [0.1]
    plotting.loss_curve({"loss": [0.5] * 20}, "unused.png", "E4: loss", reference=reference)
    article = [line for line in drawn[0].axes[0].get_lines() if line.get_label().startswith("article")][0]
    assert list(article.get_xdata()) == [1, 10]
    assert whole_ticks(drawn[0].axes[0], 1, 20)


def test_vision_loss_curves_tick_whole_epochs(drawn):
    plotting_vision.loss_curves({"a": {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.5]}}, "unused.png",
                                "STN: loss")
    ax = drawn[0].axes[0]
    ax.figure.canvas.draw()
    assert whole_ticks(ax, 1, 3)


def test_translation_rows_mark_the_wrong_characters():
    predicted, target, wrong = charts.translation_rows("1979-05-03", "1979-05-08", steps=11)
    assert predicted[-1] == target[-1] == charts.END and len(predicted) == 11
    assert [i for i, bad in enumerate(wrong) if bad] == [9]
    # A shorter prediction: the missing step and the early end token are both wrong.
    predicted, target, wrong = charts.translation_rows("1979-05-03", "1979-05-0", steps=11)
    assert predicted[9:] == [charts.END, ""] and wrong[9:] == [True, True] and not any(wrong[:9])
    # Never more rows than the decoder ran.
    assert len(charts.translation_rows("1979-05-03", "1979-05-03", steps=6)[0]) == 6


def test_translation_heatmap_shows_spaces_target_and_verdict(drawn):
    weights = np.full((11, 20), 1 / 20)
    charts.translation_heatmap(weights, "3 may 1979", "1979-05-03", "1979-05-08", "unused.png", "Dates, x")
    ax, right = drawn[0].axes[0], drawn[0].axes[-1]
    assert [t.get_text() for t in ax.get_xticklabels()][1] == charts.VISIBLE_SPACE
    assert "target 1979-05-03" in ax.get_title() and "1 wrong" in ax.get_title()
    red = [t.get_text() for t in right.get_yticklabels() if t.get_color() == "red"]
    assert red == ["3"]
    assert charts.visible("a b") == "a\u2423b"


def test_head_grid_has_one_colour_bar_and_legible_panels(tmp_path, monkeypatch):
    """Every panel shares one 0-1 colour bar; at most two panels across; 8-point tick labels."""
    from minattn.plotting import transformer as plots
    kept = []
    monkeypatch.setattr(plots.plt, "close", lambda fig: kept.append(fig))
    text = "    def __init__(self"
    weights = np.tril(np.ones((2, 4, len(text), len(text))))
    weights /= weights.sum(-1, keepdims=True)
    plots.head_grid(weights, str(tmp_path / "grid.png"), "GPT", list(text), list(text), row_titles=["l1", "l2"])
    fig = kept[0]
    panels = [ax for ax in fig.axes if ax.images]
    bars = [ax for ax in fig.axes if not ax.images and ax.get_ylabel().startswith("attention weight")]
    assert len(panels) == 8 and len(bars) == 1
    assert bars[0].get_ylim() == (0.0, 1.0)
    assert len({round(ax.get_position().x0, 3) for ax in panels}) == 2            # two columns
    assert all(label.get_fontsize() >= 8 for ax in panels for label in ax.get_xticklabels())
    charts.plt.close(fig)


def test_learning_curves_on_a_log_axis(tmp_path, monkeypatch):
    from minattn.plotting import transformer as plots
    kept = []
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: kept.append(fig) or path)
    plots.learning_curves({"train": [0.6, 0.05, 0.003]}, "unused.png", "loss", "nats", log_scale=True)
    assert kept[0].axes[0].get_yscale() == "log"
    charts.plt.close(kept[0])
