"""What a check expects of a student's function, and the words it fails with.

Each helper returns quietly when the expectation holds and otherwise raises
``CheckFailure`` whose message says what is wrong, where (an index), and,
when the student's result is exactly what a known mistake gives, which
mistake. The reference values come from minattn's own layers; the
gradients are checked with ``minattn.gradcheck`` (float64 central
differences).
"""
import os
import traceback
import warnings

import autograd
import autograd.numpy as anp
import numpy as np
from autograd import grad

import minattn

from .. import gradcheck

NOT_IMPLEMENTED = "the function raised NotImplementedError: the starter is not filled in yet"
RTOL, ATOL = 1e-6, 1e-9          # float64 inputs: a correct answer differs only by rounding
GRADIENT_HINT = ("autograd differentiates exactly the operations your function runs, so a wrong gradient means a value "
                 "left its view: getval, float(), .item(), np.asarray or plain NumPy applied to an input.")
AUTOGRAD_HINT = ("Use autograd.numpy (import autograd.numpy as anp) for every operation on the inputs, "
                 "and no in-place assignment (a[i] = ...): autograd can only differentiate what it can record.")


class CheckFailure(Exception):
    """A check failed; ``str(failure)`` is the message for the student."""


def call(function, *args, **kwargs):
    """``function(*args, **kwargs)`` with float warnings silenced and any error put into words."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return function(*args, **kwargs)
        except NotImplementedError:
            raise CheckFailure(f"{_name(function)}: {NOT_IMPLEMENTED}") from None
        except Exception as err:                      # the student's bug, reported, not raised
            raise CheckFailure(f"{_name(function)} raised {type(err).__name__}: {err}"
                               f"{error_location(err)}") from None


def bind_last(function, *trailing):
    """``function`` with its last positional arguments fixed: ``bound(*args) = function(*args, *trailing)``."""
    def bound(*args):
        return function(*args, *trailing)
    bound.__name__ = _name(function)
    return bound


def parts(value):
    """A tuple or list of results as a list, a single result as a list of one."""
    return list(value) if isinstance(value, (tuple, list)) else [value]


def expect_count(value, count, what, names):
    """``value`` is a tuple of ``count`` results, e.g. ``(h, c)``."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        got = f"{len(value)} values" if isinstance(value, (tuple, list)) else f"one {type(value).__name__}"
        raise CheckFailure(f"{what} returned {got}; expected {count}: ({', '.join(names)}).")


def expect_shape(value, shape, what, meaning, hint=""):
    """``value`` is an array of ``shape``; ``meaning`` names the axes, e.g. "(batch, units)"."""
    got = np.shape(value)
    if tuple(got) != tuple(shape):
        raise CheckFailure(_sentence(f"{what} has shape {tuple(got)}; expected {tuple(shape)} = {meaning}", hint))


def expect_finite(value, what, hint):
    """No NaN or inf anywhere in ``value``."""
    value = np.asarray(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(value))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        raise CheckFailure(_sentence(f"{what} is {value[index]} at index {_show(index)}", hint))


def expect_rows_sum_to_one(weights, what, hint, empty_rows=None):
    """Every row (last axis) sums to 1, or to 0 where ``empty_rows`` (shape ``weights.shape[:-1]``) is True."""
    sums = np.sum(np.asarray(weights, dtype=np.float64), axis=-1)
    target = np.ones_like(sums) if empty_rows is None else np.where(empty_rows, 0.0, 1.0)
    bad = np.argwhere(~np.isclose(sums, target, rtol=0.0, atol=1e-6))
    if bad.size:
        index = tuple(int(i) for i in bad[0])
        raise CheckFailure(_sentence(f"{what} row {_show(index)} sums to {sums[index]:.6g}, "
                                     f"not {target[index]:g}", hint))


def expect_close(value, expected, what, mistakes=(), rtol=RTOL, atol=ATOL):
    """``value`` equals ``expected`` up to rounding; both an array or a tuple of arrays.

    Args:
        what: the name of the value, or a tuple of names, one per part.
        mistakes: ``(hint, wrong)`` pairs, ``wrong()`` giving what a known
            mistake would return; the first that ``value`` matches names the mistake.
    """
    values, expecteds = parts(value), parts(expected)
    if _all_close(values, expecteds, rtol, atol):
        return
    for hint, wrong in mistakes:
        with np.errstate(all="ignore"):
            if _all_close(values, parts(wrong()), rtol, atol):
                raise CheckFailure(hint)
    names = parts(what) if isinstance(what, tuple) else [what] * len(values)
    for name, got, want in zip(names, values, expecteds):
        if not _all_close([got], [want], rtol, atol):
            raise CheckFailure(_first_difference(name, np.asarray(got, np.float64), want))


def expect_gradients(function, inputs, what, hint=GRADIENT_HINT, max_elements=30, seed=0):
    """autograd's gradient of ``function`` agrees with finite differences, input by input.

    The scalar checked is ``sum_k sum(output_k * R_k)`` for fixed random R_k,
    so every output element counts; ``minattn.gradcheck.check_grads`` does the
    comparison (float64, central differences).

    Args:
        function: the student's function of the arrays in ``inputs``, in order.
        inputs: ``{name: array}``; each is checked in turn, the others held fixed.
        hint: what to look at when a gradient is wrong.
        max_elements: elements checked per input (a seeded random subset).
    """
    arrays = {name: np.asarray(a, dtype=np.float64) for name, a in inputs.items()}
    outputs = parts(call(function, *arrays.values()))
    for k, out in enumerate(outputs):
        expect_finite(out, f"{what}'s output" + (f" {k}" if len(outputs) > 1 else ""),
                      "The gradient cannot be checked where the function itself is not finite.")
    projections = [np.random.default_rng(seed + k).standard_normal(np.shape(o)) for k, o in enumerate(outputs)]
    for name in arrays:
        def scalar(tree, name=name):
            args = [tree[name] if key == name else array for key, array in arrays.items()]
            return sum(anp.sum(out * r) for out, r in zip(parts(function(*args)), projections))
        _check_one_input(scalar, name, arrays[name], what, hint, max_elements, seed)


def _check_one_input(scalar, name, array, what, hint, max_elements, seed):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            analytic = grad(scalar)({name: array})[name]         # a NaN gradient gets its own message first
            expect_finite(analytic, f"autograd's gradient of {what} with respect to {name}", hint)
            gradcheck.check_grads(scalar, {name: array}, max_elements=max_elements, seed=seed)
        except CheckFailure:
            raise
        except gradcheck.GradientCheckError as err:
            raise CheckFailure(_sentence(f"gradient of {what} with respect to {name} differs from finite "
                                         f"differences: {err}", hint)) from None
        except NotImplementedError as err:
            if str(err).startswith("VJP of"):          # autograd: a primitive without a registered VJP
                raise CheckFailure(f"autograd has no VJP for {what} ({err}): register one with defvjp") from None
            raise CheckFailure(f"{what} while differentiating: {NOT_IMPLEMENTED}{error_location(err)}") from None
        except Exception as err:
            raise CheckFailure(f"autograd could not differentiate {what} with respect to {name}: "
                               f"{type(err).__name__}: {err}{error_location(err)}. {AUTOGRAD_HINT}") from None


def _all_close(values, expecteds, rtol, atol):
    if len(values) != len(expecteds):
        return False
    for got, want in zip(values, expecteds):
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if got.shape != np.shape(want) or not np.allclose(got, want, rtol=rtol, atol=atol):
            return False
    return True


def _first_difference(name, got, want):
    gap = np.abs(got - want)
    gap = np.where(np.isnan(gap), np.inf, gap)                    # a NaN is the worst difference
    index = tuple(int(i) for i in np.unravel_index(np.argmax(gap), gap.shape))
    return (f"{name} differs from minattn's at index {_show(index)}: yours {got[index]:.6g}, "
            f"expected {want[index]:.6g}")


def _sentence(message, hint):
    return f"{message}. {hint}" if hint else f"{message}."


def _show(index):
    return str(index[0]) if len(index) == 1 else str(index)


def _name(function):
    """The student's function's name, also through ``functools.partial``."""
    name = getattr(getattr(function, "func", function), "__name__", "<lambda>")
    return "your function" if name == "<lambda>" else name


def error_location(err):
    """" (line N of my_file.py)": the deepest line of the traceback outside minattn, autograd, numpy and frozen modules."""
    library = tuple(os.path.dirname(os.path.abspath(m.__file__)) + os.sep for m in (minattn, autograd, np))
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not f.filename.startswith("<") and not os.path.abspath(f.filename).startswith(library)]
    return f" (line {frames[-1].lineno} of {os.path.basename(frames[-1].filename)})" if frames else ""
