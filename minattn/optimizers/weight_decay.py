"""Which weights decoupled weight decay applies to: Keras's ``exclude_from_weight_decay``.

Keras excludes nothing unless asked. ``var_names`` are regular-expression
pieces joined with ``|`` and searched (``re.search``) in each variable's
*name* -- in Keras 3 the weight's own name, "kernel", "bias", "gamma",
"embeddings", not its layer's -- so ``var_names=["bias", "gamma", "beta"]``
exclude every bias and every LayerNormalization weight, and
``var_names=["dense"]`` excludes nothing. minattn matches the same names:
the last part of the weight's path ``layer/weight``.

Keras's ``var_list`` holds variables; minattn's weights are arrays that a
step replaces, so its ``var_list`` holds weight paths as ``init(params)``
sees them, e.g. ``"dense_1/kernel"`` (``model.params``'s keys joined by '/';
Keras's ``variable.path`` would add the model's name in front).
"""
import re

import numpy as np


class DecayExclusions:
    """The weights left out of weight decay, by path or by name pattern.

    Args:
        var_list: weight paths (strings) to exclude, matched exactly.
        var_names: strings; a weight whose name contains a match of any of
            them (as a regular expression) is excluded.
    """

    def __init__(self, var_list=None, var_names=None):
        for argument, value in (("var_list", var_list), ("var_names", var_names)):
            if value is not None and (isinstance(value, str) or not all(isinstance(v, str) for v in value)):
                raise TypeError(f"exclude_from_weight_decay: {argument} must be a list of strings "
                                f"(weight {'paths' if argument == 'var_list' else 'names'}), got {value!r}")
        self.paths = frozenset(var_list or ())
        self.pattern = re.compile("|".join(sorted(set(var_names)))) if var_names else None
        self.cached = None                                  # (key, mask) of the last weights asked about

    def __bool__(self):
        return bool(self.paths) or self.pattern is not None

    def decays(self, path):
        """Whether the weight at ``path`` ("layer/weight") is decayed."""
        name = path.rpartition("/")[2]
        return path not in self.paths and (self.pattern is None or self.pattern.search(name) is None)

    def mask(self, paths, sizes, dtype):
        """A flat 0/1 vector: 1 where the weight decays, one entry per element (``sizes`` per weight).

        Cached for the last ``(paths, sizes, dtype)``: training asks every step."""
        key = (paths, np.asarray(sizes).tobytes(), np.dtype(dtype))
        if self.cached is None or self.cached[0] != key:
            flags = np.array([self.decays(path) for path in paths], dtype=dtype)
            self.cached = (key, np.repeat(flags, sizes))
        return self.cached[1]
