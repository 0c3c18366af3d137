"""The one table of the fast path: which record computes which layer.

Every record file under ``minattn/fast/`` ends with ``RECORDS = {LayerClass:
Record(...)}``; this module joins them, explicitly (nothing registers itself
by being imported). The code that runs the graph asks ``record_for``:

* ``Model.apply`` (``model.py``) runs a node through ``record.run`` -- one
  autograd primitive, so ``value_and_grad`` and ``gradcheck`` still see it;
* the fast step (``fast/step.py``) calls ``record.forward`` and
  ``record.backward`` directly.

A layer is looked up by its exact class (a subclass may change the maths),
then the record's ``covers`` checks its settings and whether the call took a
list. No record: the layer's readable ``apply`` runs, differentiated by
autograd. ``docs/architecture.md`` has the table in words.
"""
from .. import config
from . import (attention_decoder, bidirectional, dense, dropout, embedding, global_pooling, gru, layer_norm, lstm,
               merging, multihead, reshaping, sine_position, transformer, windows)

RECORDS = {**dense.RECORDS, **merging.RECORDS, **reshaping.RECORDS, **lstm.RECORDS, **gru.RECORDS,
           **bidirectional.RECORDS, **windows.RECORDS, **embedding.RECORDS, **sine_position.RECORDS,
           **layer_norm.RECORDS, **multihead.RECORDS, **dropout.RECORDS, **transformer.RECORDS,
           **global_pooling.RECORDS, **attention_decoder.RECORDS}


def record_for(layer, takes_list):
    """The record that computes ``layer`` called on a list (``takes_list``) or on one input,
    or None: when there is none, when it does not cover the layer's settings, or when the
    fast path is off (``minattn.set_fast(False)``, ``with minattn.readable():``)."""
    if not config.fast_enabled():
        return None
    record = RECORDS.get(type(layer))
    return record if record is not None and record.covers(layer, takes_list) else None
