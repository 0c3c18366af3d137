"""The demos' figures, drawn headless (matplotlib's Agg) and saved as PNG files.

* ``charts.py``: attention bars, loss curves, heatmaps, a translation's attention,
  attention over words;
  importable from here: ``from minattn.plotting import heatmap``;
* ``vision.py``: image grids and channel weights for the vision demos
  (``from minattn.plotting import vision``).
"""
from .charts import (attention_and_importance, attention_bars, attention_words, heatmap, loss_curve,
                     save_figure, translation_heatmap)

__all__ = ["attention_and_importance", "attention_bars", "attention_words", "heatmap", "loss_curve",
           "save_figure", "translation_heatmap"]
