"""The fast path: one record per fast op, one table, one fast step.

The readable path is the layers' ``apply`` methods and the training step in
``minattn/training.py``: every small op recorded by autograd, the code to
read. That costs ~10-25 microseconds of Python per recorded op, which
dominates small models. This package does the same maths with hand-written
backward passes, and is what runs by default (``minattn.set_fast(False)`` or
``with minattn.readable():`` switches it off):

* ``record.py`` -- ``Record``: the one shape of a fast op, a forward that
  returns its output and what the backward needs, and the backward that
  returns the input and weight gradients; ``Record.run`` makes the same pair
  one autograd primitive;
* ``dense.py``, ``merging.py``, ``reshaping.py``, ``lstm.py``, ``gru.py``,
  ``bidirectional.py``, ``windows.py``, ``attention_decoder.py``, ... -- the
  records, each file ending with its ``RECORDS = {LayerClass: Record(...)}``
  (``elementwise.py``: the activations as they run; ``recurrent.py``: what the
  LSTM and GRU records share; ``attention_scores.py``: the scores the
  decoder's record runs);
* ``table.py`` -- the one table joining them and ``record_for``, the one
  lookup; ``Model.apply`` asks it for every node (and runs ``Record.run``);
* ``step.py`` -- ``FastStep``, ``fit``'s one step: the records' forward
  passes in graph order and their backward passes in reverse, autograd for
  each layer without a record on its own, the losses' gradients from
  ``losses.py``; on one flat weight buffer (``flat.py``), with freed memory
  kept in the process (``memory.py``) and one OpenBLAS thread while it
  trains (``threads.py``).

Every record is tested equal to its layer's ``apply`` (values and
gradients) and against finite differences in float64 (``tests/fast/test_records.py``);
the step on whole models and random graphs in ``tests/fast/test_step.py`` and
``tests/fast/test_properties_step.py``. The layers never import this package:
the code that runs the graph chooses.
"""
