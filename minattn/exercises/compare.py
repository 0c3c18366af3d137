"""What a check expects of a student's function, and the words it fails with.

Each helper returns quietly when the expectation holds and otherwise raises
``CheckFailure`` whose message says what is wrong, where (an index), and,
when the student's result is exactly what a known mistake gives, which
mistake. The reference values come from minattn's own layers; the
gradients are checked with ``minattn.gradcheck`` (float64 central
differences, taken in the student's process and compared here).
"""
import numpy as np

from .. import gradcheck

NOT_IMPLEMENTED = "the function raised NotImplementedError: the starter is not filled in yet"
RTOL, ATOL = 1e-6, 1e-9          # float64 inputs: a correct answer differs only by rounding
FLOAT32 = {"rtol": 1e-4, "atol": 1e-6}   # float32 inputs, compared with the reference run on the same values in float64
GRADIENT_HINT = ("autograd differentiates exactly the operations your function runs, so a wrong gradient means a value "
                 "left its view: getval, float(), .item(), np.asarray or plain NumPy applied to an input.")
OVERFLOW_HINT = ("Subtract each row's max score before exp: with scores in the thousands exp overflows to inf, "
                 "and inf / inf is NaN.")
SIGMOID_HINT = ("1 / (1 + anp.exp(-z)) overflows for z below about -709: its value is still 0, but autograd's "
                "gradient there is inf * 0 = NaN. Use 0.5 * (anp.tanh(0.5 * z) + 1), the same function, which "
                "never overflows.")
AUTOGRAD_HINT = ("Use autograd.numpy (import autograd.numpy as anp) for every operation on the inputs, "
                 "and no in-place assignment (a[i] = ...): autograd can only differentiate what it can record.")


class CheckFailure(Exception):
    """A check failed; ``str(failure)`` is the message for the student."""


def call(function, *args):
    """``function(*args)``: a ``sandbox.RemoteFunction`` runs the student's function in its own process and
    raises ``CheckFailure`` with the student's error in words."""
    return function(*args)


def bind_last(function, *trailing):
    """``function`` with its last positional arguments fixed: ``bound(*args) = function(*args, *trailing)``."""
    return function.bind(*trailing)


def expect_order(value, shapes, names):
    """A pair returned in the wrong order (told by the shapes) is named as such."""
    if (isinstance(value, (tuple, list)) and len(value) == len(shapes) == 2
            and [tuple(np.shape(v)) for v in value] == [tuple(s) for s in shapes[::-1]]):
        raise CheckFailure(f"you returned ({names[1]}, {names[0]}); return ({names[0]}, {names[1]}).")


def parts(value):
    """A tuple or list of results as a list, a single result as a list of one."""
    return list(value) if isinstance(value, (tuple, list)) else [value]


def expect_count(value, count, what, names):
    """``value`` is a tuple of ``count`` results, e.g. ``(h, c)``."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        got = (f"{len(value)} values" if isinstance(value, (tuple, list))
               else f"one {getattr(value, 'type_name', type(value).__name__)}")
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


def expect_gradients(function, inputs, what, hint=GRADIENT_HINT, max_elements=30, seed=0, eps=1e-6, tol=1e-5):
    """autograd's gradient of ``function`` agrees with finite differences, input by input.

    The scalar checked is ``sum_k sum(output_k * R_k)`` for fixed random R_k,
    so every output element counts. The student's process differentiates it
    with autograd and takes central differences (float64) at elements chosen
    here; the comparison is made here, with ``gradcheck.relative_error``.

    Args:
        function: the student's function (a ``RemoteFunction``) of the arrays in ``inputs``, in order.
        inputs: ``{name: array}``; each is checked in turn, the others held fixed.
        hint: what to look at when a gradient is wrong.
        max_elements: elements checked per input (a seeded random subset).
    """
    arrays = {name: np.asarray(a, dtype=np.float64) for name, a in inputs.items()}
    indices = [sample_indices(a.shape, max_elements, seed) for a in arrays.values()]
    header, replied = function.gradients(list(arrays.values()), indices, eps, seed)
    outputs = parts(function.unpack(header.get("outputs"), replied))
    for k, out in enumerate(outputs):
        expect_finite(out, f"{what}'s output" + (f" {k}" if len(outputs) > 1 else ""),
                      "The gradient cannot be checked where the function itself is not finite.")
    failed = header.get("failed") or {}
    for position, (name, array) in enumerate(arrays.items()):
        if failed.get("input") == position:
            raise CheckFailure(_gradient_error(what, name, failed.get("error") or {}))
        analytic, numeric = replied.get(f"g{position}"), replied.get(f"n{position}")
        complete = numeric is not None and len(numeric) == len(indices[position])
        if analytic is None or not complete or analytic.shape != array.shape:
            raise CheckFailure(f"autograd's gradient of {what} with respect to {name} has shape "
                               f"{np.shape(analytic)}; expected {array.shape}. {AUTOGRAD_HINT}")
        expect_finite(analytic, f"autograd's gradient of {what} with respect to {name}", hint)
        for index, value in zip(map(tuple, indices[position]), numeric):
            error = float(gradcheck.relative_error(analytic[index], value))
            if not error <= tol:                          # a NaN on either side fails too
                raise CheckFailure(_sentence(
                    f"gradient of {what} with respect to {name} differs from finite differences: at "
                    f"{name}{list(index)} autograd gives {analytic[index]:.10g}, finite differences {value:.10g} "
                    f"(relative error {error:.2e} > {tol:.0e})", hint))


def expect_finite_gradients(function, inputs, what, hint):
    """autograd's gradient of ``function`` is finite for every input (no finite differences: for inputs so
    large that the function saturates, only the absence of inf and NaN is checked)."""
    arrays = {name: np.asarray(a, dtype=np.float64) for name, a in inputs.items()}
    header, replied = function.gradients(list(arrays.values()), [[] for _ in arrays], 1e-6, 0)
    failed = header.get("failed") or {}
    for position, name in enumerate(arrays):
        if failed.get("input") == position:
            raise CheckFailure(_gradient_error(what, name, failed.get("error") or {}))
        expect_finite(replied.get(f"g{position}", np.nan), f"autograd's gradient of {what} with respect to {name}",
                      hint)


def sample_indices(shape, max_elements, seed):
    """Every index of ``shape``, or a seeded random ``max_elements`` of them, as lists."""
    every = list(np.ndindex(*shape))
    if len(every) > max_elements:
        chosen = np.random.default_rng(seed).choice(len(every), size=max_elements, replace=False)
        every = [every[i] for i in sorted(chosen)]
    return [list(index) for index in every]


def _gradient_error(what, name, error):
    kind, message, where = error.get("type", "Exception"), str(error.get("message", ""))[:300], error.get("where", "")
    if kind == "NotImplementedError" and message.startswith("VJP of"):     # a primitive without a registered VJP
        return f"autograd has no VJP for {what} ({message}): register one with defvjp"
    if kind == "NotImplementedError":
        return f"{what} while differentiating: {NOT_IMPLEMENTED}{where}"
    return (f"autograd could not differentiate {what} with respect to {name}: {kind}: {message}{where}. "
            f"{AUTOGRAD_HINT}")


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
    yours, expected = distinct(got[index], want[index])
    return f"{name} differs from minattn's at index {_show(index)}: yours {yours}, expected {expected}"


def distinct(a, b):
    """``a`` and ``b`` printed with the fewest significant digits (6 to 17) that tell them apart."""
    for digits in range(6, 18):
        shown = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if shown[0] != shown[1]:
            return shown
    return shown


def _sentence(message, hint):
    return f"{message}. {hint}" if hint else f"{message}."


def _show(index):
    return str(index[0]) if len(index) == 1 else str(index)
