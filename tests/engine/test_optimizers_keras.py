"""SGD, Adam, AdamW, clipping, weight decay, the schedules and ReduceLROnPlateau equal Keras 3's.

The cases (tests/fixtures/make_keras_optimizers.py's tables, plain data
naming Keras's classes and arguments) run here in minattn and are compared
with Keras's numbers twice: with the committed fixture keras_optimizers.npz
(always), and with Keras run afresh in a subprocess (when Keras 3 and JAX are
installed: the [keras] extra). Five weights, eight steps of seeded
gradients, float32 and float64.
"""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from minattn import optimizers
from minattn.callbacks import ReduceLROnPlateau
from minattn.optimizers import schedules
from minattn.pytree import flatten

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")
SCRIPT = os.path.join(FIXTURES, "make_keras_optimizers.py")
spec = importlib.util.spec_from_file_location("make_keras_optimizers", SCRIPT)
tables = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tables)

# Keras computes Adam's 1 - beta_2^t in the weights' type; in float32 that is 6e-5 off at t = 1 (minattn: float64)
TOLERANCE = {"float64": dict(rtol=1e-12, atol=1e-14), "float32": dict(rtol=1e-5, atol=5e-6)}


def committed():
    return dict(np.load(os.path.join(FIXTURES, "keras_optimizers.npz")))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Keras's numbers computed now, in a subprocess (JAX's x64 switch is process-wide)."""
    pytest.importorskip("jax", reason='needs the [keras] extra: pip install -e ".[keras]"')
    os.environ.setdefault("KERAS_BACKEND", "jax")          # unset, Keras would look for TensorFlow
    pytest.importorskip("keras", minversion="3.0", reason='needs Keras 3: pip install -e ".[keras]"')
    path = str(tmp_path_factory.mktemp("keras") / "optimizers.npz")
    env = dict(os.environ, KERAS_BACKEND="jax")
    subprocess.run([sys.executable, SCRIPT, path], check=True, env=env, capture_output=True, timeout=600)
    return dict(np.load(path))


def build_optimizer(case):
    """minattn's optimizer for a case of the table, built from Keras's names as written there."""
    optimizer_name, kwargs, schedule, exclusions = tables.CASES[case]
    kwargs = dict(kwargs)
    if schedule is not None:
        kwargs["learning_rate"] = getattr(schedules, schedule[0])(**schedule[1])
    optimizer = getattr(optimizers, optimizer_name)(**kwargs)
    if exclusions:
        optimizer.exclude_from_weight_decay(**exclusions)
    return optimizer


def as_tree(flat_by_path):
    tree = {}
    for path, value in flat_by_path.items():
        layer, weight = path.split("/")
        tree.setdefault(layer, {})[weight] = value
    return tree


def run_minattn(case, dtype):
    """Weights after each step ``{path: (STEPS, *shape)}`` and each step's rate; also checks that
    ``update`` on flat vectors (the fast path's call) gives exactly ``step``'s numbers."""
    optimizer = build_optimizer(case)
    weights, grads = tables.inputs(dtype)
    params = as_tree(weights)
    state = optimizer.init(params)
    flat, flat_state = flatten(params), optimizer.init(params)
    sizes = np.array([w.size for w in weights.values()])
    history, rates = {path: [] for path in weights}, []
    for step_grads in grads:
        rates.append(optimizer.learning_rate_at(state["t"]))
        params, state = optimizer.step(params, as_tree(step_grads), state)
        flat, flat_state = optimizer.update(flat, flatten(as_tree(step_grads)), flat_state, sizes)
        np.testing.assert_array_equal(flat, flatten(params))
        for path in weights:
            layer, weight = path.split("/")
            assert params[layer][weight].dtype == dtype
            history[path].append(params[layer][weight])
    return {path: np.stack(values) for path, values in history.items()}, np.array(rates)


def check_case(keras_arrays, case, dtype):
    history, rates = run_minattn(case, dtype)
    np.testing.assert_allclose(rates, keras_arrays[f"{case}/{dtype}/rates"], rtol=1e-6, atol=1e-12)
    first = tables.inputs(dtype)[0]
    for path, values in history.items():
        expected = keras_arrays[f"{case}/{dtype}/{path}"]
        np.testing.assert_allclose(values, expected, **TOLERANCE[dtype], err_msg=f"{case} {dtype} {path}")
        assert not np.allclose(values[-1], first[path])                   # the weights did move


def check_schedules(keras_arrays, dtype):
    for name, (schedule, arguments) in tables.SCHEDULES.items():
        made = getattr(schedules, schedule)(**arguments)
        ours = [made(step) for step in tables.SCHEDULE_STEPS]
        assert all(isinstance(rate, float) for rate in ours)
        np.testing.assert_allclose(ours, keras_arrays[f"schedule/{name}/{dtype}"],
                                   rtol=1e-6 if dtype == "float32" else 1e-12, atol=1e-30, err_msg=name)


def plateau_rates(case):
    arguments, rate, values = tables.PLATEAUS[case]
    callback = ReduceLROnPlateau(**arguments)
    callback.model = type("Model", (), {})()
    callback.model.compiled = type("Compiled", (), {"optimizer": optimizers.SGD(rate)})()
    callback.on_train_begin()
    rates = []
    for epoch, value in enumerate(values):
        logs = {arguments.get("monitor", "val_loss"): value}
        callback.on_epoch_end(epoch, logs)
        rates.append(callback.model.compiled.optimizer.learning_rate)
    return np.array(rates)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(tables.CASES))
def test_optimizer_equals_keras_fixture(case, dtype):
    check_case(committed(), case, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(tables.CASES))
def test_optimizer_equals_keras_now(fresh, case, dtype):
    check_case(fresh, case, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_schedules_equal_keras(fresh_or_committed, dtype):
    check_schedules(fresh_or_committed, dtype)


@pytest.mark.parametrize("case", sorted(tables.PLATEAUS))
def test_reduce_lr_on_plateau_equals_keras(fresh_or_committed, case):
    np.testing.assert_allclose(plateau_rates(case), fresh_or_committed[f"plateau/{case}"], rtol=1e-6)


@pytest.fixture(params=["committed", "fresh"])
def fresh_or_committed(request):
    return committed() if request.param == "committed" else request.getfixturevalue("fresh")
