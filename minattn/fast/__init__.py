"""The fast path: every hand-written kernel and every piece of speed machinery, in one place.

The readable path is the layers' ``apply`` methods and the training step in
``minattn/training.py``: every small op recorded by autograd, the code to
read. That costs ~10-25 microseconds of Python per recorded op, which
dominates small models. This package does the same maths with fewer
recorded ops, and is what runs by default (``minattn.set_fused(False)`` or
``with minattn.traced():`` switches it off):

* ``seam.py`` -- the one seam: ``Layer.forward`` asks ``kernel_for(layer)``
  and falls back to ``layer.apply``;
* ``kernels.py`` -- which kernel takes over which layer;
* ``elementwise.py``, ``dense.py``, ``lstm.py``, ``gru.py``, ``windows.py``,
  ``losses.py``, ``cell.py``, ``attention.py`` -- the kernels: single autograd
  primitives with hand-written backward passes (``recorded.py``: how the LSTM,
  the GRU and the decoder's cell save their forward pass for the backward one);
* ``decoder.py`` -- the attention decoder's loop built from those kernels;
* ``training.py`` -- ``fit``'s fast step, on one flat weight buffer
  (``flat.py``), with freed memory kept in the process (``memory.py``) and
  one OpenBLAS thread while it trains (``threads.py``);
* ``rules.py``, ``direct.py`` -- the tape-free step ``fit`` takes when every
  layer with weights has a rule (its forward and backward pass as plain
  NumPy): each layer's backward called directly, in reverse order, with
  autograd only for the layers that have no rule.

Every kernel is gradient-checked against finite differences and tested equal
to the readable layer (``tests/test_fast.py``); so is every rule
(``tests/test_direct.py``).

This ``__init__`` imports nothing, so that ``layers/base.py`` can import the
seam without importing the kernels (which import the layers).
"""
