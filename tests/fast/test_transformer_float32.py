"""The Transformer's fast records against the readable layers in float32.

``tests/fast/test_records.py`` holds every record of the table to the readable layer
in float64 (to 1e-10) and to finite differences. Here, for each registry case
of the attention, normalization and Transformer-block layers -- masks, causal
attention, cross-attention, dropout while training, pre- and post-norm, gelu
-- the same comparison runs in float32, weights and inputs cast: forward,
backward and ``Record.run`` equal the readable ``apply`` and autograd to
float32's rounding.
"""
import numpy as np
import pytest

import gradcheck_cases as cases
import minattn
from minattn.pytree import tree_map
from minattn.fast.table import record_for
from record_checks import check_equals_readable

FLOAT32_CASES = [case_id for case_id in sorted(cases.LAYER_CASES)
                 if case_id.startswith(("transformer", "multi_head", "layer_normalization"))]


@pytest.mark.parametrize("case_id", FLOAT32_CASES)
def test_record_equals_the_readable_layer_in_float32(case_id):
    """The same in float32 (weights and inputs cast), to float32 rounding."""
    minattn.set_floatx("float32")
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    layer.params = tree_map(lambda w: w.astype(np.float32), layer.params)
    inputs = [x.astype(np.float32) for x in inputs] if isinstance(inputs, list) else inputs.astype(np.float32)
    check_equals_readable(record_for(layer, isinstance(inputs, list)), layer, inputs, kwargs, rtol=1e-3, atol=1e-4)
