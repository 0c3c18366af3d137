"""Lambda layers: a function of arrays is carried across by rebinding its NumPy module.

A minattn Lambda's function is written with ``autograd.numpy`` (say
``lambda t: anp.mean(t, axis=1)``); ``keras.ops`` has the same names and
meanings for most of NumPy, so the same code with ``anp`` bound to
``keras.ops`` is the Keras function (and the other way round for
``from_keras``). A function that calls anything else, or whose result
differs on a trial input, is refused with an error that says what to do:
pass your own Keras layer or function for it (``to_keras(model, lambdas=...)``).
"""
import types

import autograd.numpy as anp
import numpy as np

from .backend import import_keras

keras = import_keras()


def rebind(function, old_modules, new_module):
    """A copy of ``function`` whose globals bound to one of ``old_modules`` are ``new_module``."""
    if not isinstance(function, types.FunctionType):
        return None
    names = {name for name in function.__code__.co_names
             if any(function.__globals__.get(name) is module for module in old_modules)}
    if not names:
        return None
    scope = dict(function.__globals__, **{name: new_module for name in names})
    return types.FunctionType(function.__code__, scope, function.__name__, function.__defaults__,
                              function.__closure__)


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
    function = given or rebind(layer.function, (anp, np), keras.ops)
    problem = None if function is not None else \
        "its function uses no NumPy module that could be rebound to keras.ops"
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
    return keras.layers.Lambda(function, name=layer.name, dtype=dtype)


def import_lambda(keras_layer):
    """A minattn Lambda from a Keras Lambda whose function uses ``keras.ops`` (rebound to autograd.numpy)."""
    from .. import layers
    function = rebind(keras_layer.function, (keras.ops,), anp)
    if function is None:
        raise ValueError(f"Keras Lambda '{keras_layer.name}': its function uses no keras.ops module "
                         "name that could be rebound to autograd.numpy; rebuild it in minattn with "
                         "layers.Lambda(your_autograd_function)")
    return layers.Lambda(function, name=keras_layer.name)
