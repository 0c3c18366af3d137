"""Lambda layers: a function of arrays is carried across by rebinding its NumPy module.

A minattn Lambda's function is written with ``autograd.numpy`` (say
``lambda t: anp.mean(t, axis=1)``). On the JAX backend ``jax.numpy`` has
the same names and meanings, so the same code with ``anp`` bound to
``jax.numpy`` is the Keras function (on another backend, ``keras.ops``,
which has most of them; JAX's are preferred because Keras 3.15's
``keras.ops.mean`` and ``tanh`` compute float64 in float32). ``from_keras``
does the reverse, from ``keras.ops`` or ``jax.numpy`` to ``autograd.numpy``.
A function that calls anything else, or whose result differs on a trial
input, is refused with an error that says what to do: pass your own Keras
layer or function for it (``to_keras(model, lambdas=...)``).

The exported layer is ``NumpyLambda``, a Keras Lambda that remembers which
global names it rebound, so that it rebinds them again when a ``.keras``
file is loaded (Keras restores a Lambda's code, not its module's globals;
loading Python code needs ``keras.saving.load_model(path, safe_mode=False)``).
"""
import types

import autograd.numpy as anp
import numpy as np

from .backend import import_keras

keras = import_keras()


def numpy_like():
    """The backend's NumPy: ``jax.numpy`` on JAX, else ``keras.ops``."""
    if keras.backend.backend() == "jax":
        import jax.numpy
        return jax.numpy
    return keras.ops


def rebound_names(function, old_modules):
    """The global names ``function`` uses that are bound to one of ``old_modules``."""
    if not isinstance(function, types.FunctionType):
        return []
    return sorted(name for name in function.__code__.co_names
                  if any(function.__globals__.get(name) is module for module in old_modules))


def rebind(function, names, new_module):
    """A copy of ``function`` with the global ``names`` bound to ``new_module``."""
    scope = dict(function.__globals__, **{name: new_module for name in names})
    return types.FunctionType(function.__code__, scope, function.__name__, function.__defaults__,
                              function.__closure__)


@keras.saving.register_keras_serializable(package="minattn")
class NumpyLambda(keras.layers.Lambda):
    """A Keras Lambda whose global ``numpy_names`` are the backend's NumPy, also after loading."""

    def __init__(self, function, numpy_names=(), **kwargs):
        super().__init__(rebind(function, numpy_names, numpy_like()), **kwargs)
        self.numpy_names = list(numpy_names)

    def get_config(self):
        return {**super().get_config(), "numpy_names": self.numpy_names}


def trial_inputs(shape, takes_list):
    """A seeded random input (batch 2, unknown sizes 3) of the given shape(s), for the check."""
    rng = np.random.default_rng(0)

    def one(s):
        return rng.standard_normal((2,) + tuple(3 if d is None else d for d in s))
    return [one(s) for s in shape] if takes_list else one(shape)


def same_result(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-6)


def export_lambda(layer, node, dtype, given=None):
    """The Keras layer for a minattn Lambda: ``given`` (a layer or keras.ops function) or the rebound function."""
    if isinstance(given, keras.layers.Layer):
        return given
    names = [] if given else rebound_names(layer.function, (anp, np))
    function = given or (rebind(layer.function, names, numpy_like()) if names else None)
    problem = None if function is not None else \
        "its function uses no NumPy module that could be rebound to the backend's"
    if problem is None:
        trial = trial_inputs(layer.input_shape, node.takes_list)
        try:
            if not same_result(layer.function(trial), function(trial)):
                problem = "the keras.ops version gives different numbers on a trial input"
        except Exception as err:          # the keras.ops version cannot run this function
            problem = f"the keras.ops version fails: {type(err).__name__}: {err}"
    if problem:
        raise ValueError(f"Lambda '{layer.name}' cannot be exported: {problem}. Pass a Keras "
                         f"equivalent: to_keras(model, lambdas={{'{layer.name}': keras_layer_or_function}})")
    if given:
        return keras.layers.Lambda(given, name=layer.name, dtype=dtype)
    return NumpyLambda(layer.function, names, name=layer.name, dtype=dtype)


def import_lambda(keras_layer):
    """A minattn Lambda from a Keras Lambda whose function uses ``keras.ops`` (rebound to autograd.numpy).

    ``ops.mean(x)`` and ``keras.ops.mean(x)`` both work: a global bound to the
    ``keras`` module itself is rebound to a stand-in whose ``ops`` is autograd.numpy.
    """
    from .. import layers
    function = keras_layer.function
    names = rebound_names(function, (keras.ops, numpy_like()))
    if names:
        function = rebind(function, names, anp)
    keras_names = rebound_names(function, (keras,))
    if keras_names:
        function = rebind(function, keras_names, types.SimpleNamespace(ops=anp))
    names += keras_names
    function = function if names else None
    if function is None:
        raise ValueError(f"Keras Lambda '{keras_layer.name}': its function uses no keras.ops module "
                         "name that could be rebound to autograd.numpy; rebuild it in minattn with "
                         "layers.Lambda(your_autograd_function)")
    return layers.Lambda(function, name=keras_layer.name)
