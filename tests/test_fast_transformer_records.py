"""The Transformer's fast records against the readable layers, on every registry case of their layers.

For each layer case (``tests/gradcheck_cases.py``) whose layer one of these
records covers -- masks, causal attention, cross-attention, dropout while
training, pre- and post-norm blocks, gelu -- the record's output and
gradients equal the readable ``apply``'s and autograd's (float64, to 1e-10;
float32 to its rounding),
``Record.run`` gives autograd the same gradients, and ``backward`` agrees
with finite differences of ``forward``.
"""
import numpy as np
import pytest

import gradcheck_cases as cases
import minattn
from minattn.pytree import tree_map
from minattn.fast import dropout, embedding, global_pooling, layer_norm, multihead, sine_position, transformer
from record_checks import check_equals_readable, check_finite_differences

RECORDS = {**embedding.RECORDS, **sine_position.RECORDS, **layer_norm.RECORDS, **multihead.RECORDS,
           **dropout.RECORDS, **transformer.RECORDS, **global_pooling.RECORDS}


def _covered_cases():
    found = []
    for case_id in sorted(cases.LAYER_CASES):
        layer, inputs, _ = cases.LAYER_CASES[case_id]()
        record = RECORDS.get(type(layer))
        if record is not None and record.supports(layer):
            found.append(case_id)
    return found


COVERED = _covered_cases()


@pytest.fixture(autouse=True)
def float64():
    minattn.set_floatx("float64")


def test_every_record_runs_in_some_case():
    covered = {type(cases.LAYER_CASES[case_id]()[0]) for case_id in COVERED}
    assert covered == set(RECORDS), sorted(c.__name__ for c in set(RECORDS) - covered)


@pytest.mark.parametrize("case_id", COVERED)
def test_record_equals_the_readable_layer(case_id):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    check_equals_readable(RECORDS[type(layer)], layer, inputs, kwargs)


@pytest.mark.parametrize("case_id", COVERED)
def test_record_gradients_against_finite_differences(case_id):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    check_finite_differences(RECORDS[type(layer)], layer, inputs, kwargs)


@pytest.mark.parametrize("case_id", [c for c in COVERED if "transformer" in c or "multi_head" in c
                                     or "layer_normalization" in c])
def test_record_equals_the_readable_layer_in_float32(case_id):
    """The same in float32 (weights and inputs cast), to float32 rounding."""
    minattn.set_floatx("float32")
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    layer.params = tree_map(lambda w: w.astype(np.float32), layer.params)
    inputs = [x.astype(np.float32) for x in inputs] if isinstance(inputs, list) else inputs.astype(np.float32)
    check_equals_readable(RECORDS[type(layer)], layer, inputs, kwargs, rtol=1e-3, atol=1e-4)
