"""Every layer, activation and loss of minattn against central finite differences.

The cases live in ``tests/gradcheck_cases.py``. The completeness tests below
derive the list of what must be covered from the package itself, so a layer,
activation or loss added to minattn without a case makes this file fail.
"""
import importlib
import inspect
import pkgutil
import warnings

import numpy as np
import pytest
from autograd import grad

import minattn
import minattn.layers
from minattn import activations, gradcheck, losses
from minattn.layers.input_layer import InputLayer
from minattn.layers import Layer
from minattn.pytree import named_leaves, tree_map

import gradcheck_cases as cases

TOL = 1e-5


@pytest.fixture(autouse=True)
def readable_path():
    """These checks are of the readable path (each layer's ``apply``); test_fast.py checks the
    same cases again on the fast path and compares the two."""
    with minattn.traced():
        yield


# ---------------------------------------------------------------------------
# What the package defines
# ---------------------------------------------------------------------------
OPTIONAL_PACKAGES = ("minattn.keras_bridge",)     # needs the [keras] extra; defines Keras layers only


def _package_modules():
    """minattn and every module under it (imported), found by walking the package.

    An optional package whose extra is not installed is left out (its import fails).
    """
    found = [minattn]
    for info in pkgutil.walk_packages(minattn.__path__, prefix="minattn.", onerror=lambda name: None):
        try:
            found.append(importlib.import_module(info.name))
        except ImportError:
            if not info.name.startswith(OPTIONAL_PACKAGES):
                raise
    return found


def _is_concrete_layer(cls):
    return (inspect.isclass(cls) and issubclass(cls, Layer) and cls is not Layer
            and cls is not InputLayer and not cls.__name__.startswith("_")
            and not inspect.isabstract(cls) and cls.apply is not Layer.apply)


def package_layer_classes():
    """Concrete Layer subclasses in ``minattn.layers.__all__`` or any minattn module."""
    classes = {getattr(minattn.layers, name) for name in minattn.layers.__all__}
    for module in _package_modules():
        classes.update(obj for _, obj in inspect.getmembers(module, inspect.isclass)
                       if obj.__module__.startswith("minattn"))
    return sorted((c for c in classes if _is_concrete_layer(c)), key=lambda c: c.__name__)


def test_package_introspection_finds_the_known_layers():
    """Guard the guard: if introspection found nothing, completeness would pass vacuously."""
    names = {c.__name__ for c in package_layer_classes()}
    assert {"Dense", "LSTM", "Permute", "Multiply", "Embedding", "Dropout", "Lambda"} <= names
    assert "InputLayer" not in names and "Layer" not in names
    assert not any(n.startswith("_") for n in names)
    assert {"sigmoid", "softmax", "relu"} <= set(activations.all_activations())
    assert {"mean_squared_error", "binary_crossentropy"} <= set(losses.all_losses())


# ---------------------------------------------------------------------------
# Completeness
# ---------------------------------------------------------------------------
def _layer_types_with_cases():
    return {type(cases.LAYER_CASES[case_id]()[0]) for case_id in cases.LAYER_CASES}


def test_every_layer_class_has_a_gradcheck_case():
    covered = _layer_types_with_cases()
    missing = [f"{c.__module__}.{c.__name__}" for c in package_layer_classes() if c not in covered]
    assert not missing, (f"layer classes without a gradient-check case: {missing}; add a factory "
                         "decorated with @layer_case(...) to tests/gradcheck_cases.py")


def test_every_activation_has_a_gradcheck_case():
    covered = {name for _, name, _, _ in cases.ACTIVATION_CASES}
    missing = sorted(set(activations.all_activations()) - covered)
    assert not missing, (f"activations without a gradient-check case: {missing}; add an entry to "
                         "ACTIVATION_INPUTS in tests/gradcheck_cases.py (and to KINKS if it bends)")


def test_every_activation_is_checked_inside_dense_and_activation_layers():
    for name in activations.all_activations():
        assert f"dense_{name}" in cases.LAYER_CASES and f"activation_{name}" in cases.LAYER_CASES, name


def test_every_loss_has_a_gradcheck_case():
    covered = {name for _, name, _, _, _ in cases.LOSS_CASES}
    missing = sorted(set(losses.all_losses()) - covered)
    assert not missing, (f"losses without a gradient-check case: {missing}; add an entry to "
                         "LOSS_CASES in tests/gradcheck_cases.py")


def test_cases_name_only_things_that_exist():
    """A renamed activation or loss must not leave a stale case that silently checks nothing."""
    assert {n for _, n, _, _ in cases.ACTIVATION_CASES} <= set(activations.all_activations())
    assert set(cases.ACTIVATION_INPUTS) | set(cases.KINKS) <= set(activations.all_activations())
    assert {n for _, n, _, _, _ in cases.LOSS_CASES} <= set(losses.all_losses())


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case_id", sorted(cases.LAYER_CASES))
def test_layer_gradients(case_id):
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    report = gradcheck.check_layer(layer, inputs, tol=TOL, **kwargs)
    # every weight and (unless told not to) every input was checked
    expected = {f"params/{path}" for path, _ in named_leaves(layer.params)}     # nested: Bidirectional
    if kwargs.get("wrt_inputs", True):
        expected |= ({f"inputs[{i}]" for i in range(len(inputs))} if isinstance(inputs, list)
                     else {"inputs"})
    assert set(report) == expected
    assert all(err <= TOL for err in report.values())


def _no_batch(shapes):
    return [s[1:] for s in shapes] if isinstance(shapes, list) else shapes[1:]


@pytest.mark.parametrize("case_id", sorted(cases.LAYER_CASES))
def test_init_shape_is_apply_shape(case_id):
    """The shape ``init`` promises is the shape ``apply`` returns (batch axis excluded)."""
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    input_shape = cases.shape_of(inputs)
    promised, params = layer.init(np.random.default_rng(0), input_shape)
    assert tree_map(np.shape, params) == tree_map(np.shape, layer.params)
    extra = {}
    if layer.accepts_mask:
        extra["mask"] = kwargs.get("mask")
    if layer.accepts_training:
        extra.update(training=kwargs.get("training", False), rng=np.random.default_rng(0))
    out = layer.apply(layer.params, inputs, **extra)
    actual = [np.shape(o) for o in out] if isinstance(out, list) else np.shape(out)
    promised = [tuple(s) for s in promised] if isinstance(promised, list) else tuple(promised)
    assert _no_batch(actual) == promised, f"{layer!r}: init promised {promised}, apply gave {actual}"
    batch = len(inputs[0]) if isinstance(inputs, list) else len(inputs)
    assert all(s[0] == batch for s in (actual if isinstance(actual, list) else [actual]))


def test_dropout_case_really_drops_something():
    """The Dropout case checks the gradient through a mask that has zeros in it."""
    layer, inputs, kwargs = cases.LAYER_CASES["dropout_training"]()
    out = layer.apply(layer.params, inputs, training=True, rng=np.random.default_rng(kwargs["rng"]))
    dropped = out == 0
    assert dropped.any() and not dropped.all()
    np.testing.assert_allclose(out[~dropped], inputs[~dropped] * 2.0)


def test_lstm_mask_case_masks_steps():
    """The mask changes exactly the samples it masks (so the masked gradients are really checked)."""
    layer, inputs, kwargs = cases.LAYER_CASES["lstm_mask"]()
    mask = kwargs["mask"]
    assert not mask.all() and mask.any(axis=1).all()     # some steps masked, no sample wholly
    masked = layer.apply(layer.params, inputs, mask=mask)           # (batch, time, units)
    unmasked = layer.apply(layer.params, inputs)
    for b in range(len(mask)):
        assert np.allclose(masked[b], unmasked[b]) == bool(mask[b].all()), b


KINK_MARGIN = 1e-3        # >> eps = 1e-6: a finite difference never straddles a kink


def _recording(fn, seen):
    def wrapper(z, *args, **kwargs):
        seen.append(np.array(z))
        return fn(z, *args, **kwargs)
    return wrapper


def _piecewise_activations(layer):
    names = [activations.name_of(getattr(layer, attr, None))
             for attr in ("activation", "recurrent_activation")]
    return [n for n in names if n in cases.KINKS]


PIECEWISE_CASES = sorted(c for c, factory in cases.LAYER_CASES.items()
                         if _piecewise_activations(factory()[0]))


def test_piecewise_cases_include_dense_activation_and_lstm():
    assert {"dense_relu", "activation_hard_swish", "lstm_legacy_hard_sigmoid",
            "lstm_hard_sigmoid"} <= set(PIECEWISE_CASES)


@pytest.mark.parametrize("case_id", PIECEWISE_CASES)
def test_layer_case_pre_activations_stay_off_the_kinks(case_id):
    """Every value fed to a piecewise activation in a layer case is away from where it bends."""
    layer, inputs, kwargs = cases.LAYER_CASES[case_id]()
    recorded = {}
    for attr in ("activation", "recurrent_activation"):
        name = activations.name_of(getattr(layer, attr, None))
        if name in cases.KINKS:
            recorded[name] = recorded.get(name, [])
            setattr(layer, attr, _recording(getattr(layer, attr), recorded[name]))
    extra = {"mask": kwargs["mask"]} if "mask" in kwargs else {}
    layer.apply(layer.params, inputs, **extra)
    for name, seen in recorded.items():
        z = np.concatenate([v.ravel() for v in seen])
        distance = min(np.min(np.abs(z - k)) for k in cases.KINKS[name])
        assert z.size and distance > KINK_MARGIN, (
            f"{case_id}: a {name} input is {distance:.1e} from a kink {cases.KINKS[name]}; "
            "change the case's inputs or seed")


@pytest.mark.parametrize("name", sorted(cases.KINKS))
def test_activation_inputs_stay_off_the_kinks(name):
    x = cases.ACTIVATION_INPUTS[name]
    assert min(np.min(np.abs(x - k)) for k in cases.KINKS[name]) > 0.1


# ---------------------------------------------------------------------------
# Activations and losses
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("case_id,name,x,kwargs", cases.ACTIVATION_CASES,
                         ids=[c[0] for c in cases.ACTIVATION_CASES])
def test_activation_gradients(case_id, name, x, kwargs):
    fn = activations.all_activations()[name]
    r = np.random.default_rng(1).standard_normal(x.shape)
    report = gradcheck.check_grads(lambda v: np.sum(fn(v, **kwargs) * r), x, tol=TOL)
    assert report["value"] <= TOL


@pytest.mark.parametrize("case_id,name,y_true,y_pred,wrt_true", cases.LOSS_CASES,
                         ids=[c[0] for c in cases.LOSS_CASES])
def test_loss_gradients(case_id, name, y_true, y_pred, wrt_true):
    loss = losses.all_losses()[name]
    per_sample = loss(y_true, y_pred)
    assert np.shape(per_sample) == np.shape(y_pred)[:-1]
    r = np.random.default_rng(2).standard_normal(np.shape(per_sample))
    gradcheck.check_grads(lambda p: np.sum(loss(y_true, p) * r), y_pred, tol=TOL)
    if wrt_true:
        gradcheck.check_grads(lambda t: np.sum(loss(t, y_pred) * r), y_true, tol=TOL)


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------
EXTREMES = [1e4, -1e4, 0.0]
# Overflow, division by zero and invalid operations (nan) raise; underflow to 0
# (exp(-1e4)) is the right answer, not an error, and NumPy ignores it by default.
RAISE = dict(over="raise", divide="raise", invalid="raise", under="ignore")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(activations.all_activations()))
def test_activation_is_finite_and_silent_at_extremes(name, dtype):
    fn = activations.all_activations()[name]
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 0.0, 1e4], [0.0, 0.0, 0.0]], dtype=dtype)
    r = np.array([[0.3, -1.2, 0.7], [1.1, 0.4, -0.8], [0.5, -0.2, 0.9]], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(**RAISE):
        warnings.simplefilter("error")
        y = fn(x)
        g = grad(lambda v: np.sum(fn(v) * r))(x)
    assert np.shape(y) == x.shape and np.all(np.isfinite(y)), y
    assert np.shape(g) == x.shape and np.all(np.isfinite(g)), g
    for value in EXTREMES:            # each extreme also alone, as a scalar
        with warnings.catch_warnings(), np.errstate(**RAISE):
            warnings.simplefilter("error")
            assert np.isfinite(fn(dtype(value)))
            assert np.isfinite(grad(fn)(dtype(value)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [-1, -2, 0, 1, 2])
def test_softmax_sums_to_one_along_its_axis(axis, dtype):
    x = (np.random.default_rng(3).standard_normal((2, 3, 4)) * 50).astype(dtype)
    x[0, 0, 0], x[1, 2, 3] = 1e4, -1e4
    with np.errstate(**RAISE):
        y = activations.softmax(x, axis=axis)
    assert y.shape == x.shape and np.all(y >= 0)
    np.testing.assert_allclose(np.sum(y, axis=axis), 1.0, rtol=1e-5 if dtype == np.float32 else 1e-12)
    # and it is along that axis only: summing along another axis is not all ones
    other = (axis % 3 + 1) % 3
    assert not np.allclose(np.sum(y, axis=other), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(losses.all_losses()))
def test_loss_is_finite_at_predictions_exactly_zero_and_one(name, dtype):
    loss = losses.all_losses()[name]
    y_pred = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], dtype=dtype)
    if name == "sparse_categorical_crossentropy":
        y_true = np.array([1, 1, 0])                              # right, wrong, wrong
    else:
        y_true = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], dtype=dtype)
    if name == "binary_crossentropy_from_logits":
        y_pred = (y_pred * 2.0 - 1.0) * dtype(1e4)               # logits at +-1e4
    with warnings.catch_warnings(), np.errstate(**RAISE):
        warnings.simplefilter("error")
        value = loss(y_true, y_pred)
        g = grad(lambda p: np.sum(loss(y_true, p)))(y_pred)
    assert np.shape(value) == (3,) and np.all(np.isfinite(value)), value
    assert np.all(np.isfinite(g)), g
    if name != "mean_absolute_error" and name != "mean_squared_error":
        assert value[0] < value[1]          # a confident right answer costs less than a confident wrong one
