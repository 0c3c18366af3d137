"""minattn.experiments.profiling counts what autograd records, and only that."""
import autograd.numpy as anp
import numpy as np

import minattn
from minattn import Input, Model
from minattn.layers import Dense, Multiply
from minattn.experiments.profiling import count_primitives, recorded_primitives


def test_records_the_primitives_that_depend_on_the_traced_argument_in_order():
    constant = np.ones(3)

    def f(x):
        unrelated = anp.exp(constant)            # does not depend on x: not recorded
        return anp.sum(anp.tanh(x) * 2.0) + anp.sum(unrelated)
    assert recorded_primitives(f, np.arange(3.0)) == ["tanh", "multiply", "sum", "add"]


def test_fused_layers_record_fewer_ops_than_traced_ones_for_the_same_model():
    inputs = Input((4,))
    probs = Dense(4, activation="softmax", name="attention_vec")(inputs)
    model = Model(inputs, Dense(1, activation="sigmoid")(Multiply()([inputs, probs])))
    x = np.random.default_rng(0).random((3, 4))

    def counts():
        return count_primitives(lambda params: anp.sum(model.apply(params, x)), model.params)
    with minattn.traced():
        traced = counts()
    fused = counts()
    assert fused["record_op"] == 3 and "record_op" not in traced      # Dense, Multiply, Dense
    assert sum(fused.values()) < sum(traced.values())
