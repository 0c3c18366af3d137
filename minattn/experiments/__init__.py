"""What the demos share around the engine: running an experiment and reading its results.

* ``cli.py``: the demos' common command-line options (``--epochs``, ``--seed``, ...);
* ``results.py``: writing and reading ``results.json``;
* ``analysis.py``: ``permutation_importance``, which inputs a model really uses;
* ``profiling.py``: which autograd primitives a function records, to count
  what makes a step slow.
"""
