"""The demos' data, made here from a seed (nothing is downloaded).

* ``articles.py``: the articles' toy sets (``abs_difference``,
  ``planted_time_step``, ``planted_column``) and the vision demos' images
  (``channel_planted_images``, ``digit_glyphs``); importable from here:
  ``from minattn.datasets import abs_difference``;
* ``text.py``: the sentiment demo's synthetic reviews and an aclImdb loader;
  ``tokenizer.py``: ``tokenize``, ``Vocabulary`` and ``pad_sequences``;
* ``dates.py``: human-readable dates to ISO dates, for the translation demo;
* ``checks.py``: the argument checks they share.
"""
from .articles import (ARTICLE_E1_KERAS_DRAWS, DIGIT_FONT, NUM_DIGITS, abs_difference,
                       channel_planted_images, digit_glyphs, planted_column, planted_time_step)

__all__ = ["ARTICLE_E1_KERAS_DRAWS", "DIGIT_FONT", "NUM_DIGITS", "abs_difference", "channel_planted_images",
           "digit_glyphs", "planted_column", "planted_time_step"]
