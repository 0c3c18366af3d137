"""The process that runs students' files for the grader, under the policy of ``policy.py``.

``sandbox.py`` starts it as ``python -c BOOT REQ REPLY SETTINGS``: BOOT
loads this folder as a package of its own (``minattn_sandbox``), so that
minattn itself -- whose kernels would answer the exercises -- is never
imported here. It sets its limits (``limits.py``), imports NumPy and
autograd, installs the audit hook, and only then runs a student's file.

It imports a student's file and calls its functions when the grader asks,
and it sends back only what those functions produced: their values, the
inputs as they were after the call (so the grader can see a change in
place), autograd's gradients and finite-difference samples. It decides
nothing: the grader compares every number with its own reference. See
``sandbox.py`` for the grader's side and ``protocol.py`` for the messages.

Requests (dicts): ``{"op": "load", "path", "names"}``, ``{"op": "call",
"function", "args"}``, ``{"op": "gradients", "function", "args",
"trailing", "indices", "eps", "seed"}`` and ``{"op": "probe", "function"}``.
"""
import contextlib
import importlib.util
import inspect
import json
import linecache
import os
import pickle
import sys
import traceback
import warnings

import autograd.numpy as anp
import numpy as np
from autograd import core, grad

from . import limits
from .policy import Policy
from .protocol import MAX_REPLY, ChannelClosed, encode_reply, pack_value, read_message, write_message


def main(argv=None):
    """Serve the grader's requests on the two pipes until it closes them.

    ``argv``: the request and reply descriptors and a JSON object of settings
    (``parent``, ``memory_mb``, ``file_mb``, ``timeout``, ``package``,
    ``solutions``, ``hidden``, ``bases``; see ``sandbox.child_settings``).
    """
    argv = argv or sys.argv[1:]
    request_fd, reply_fd, settings = int(argv[0]), int(argv[1]), json.loads(argv[2])
    limits.die_with_parent(settings["parent"])
    limits.limit_resources(settings["memory_mb"], settings["file_mb"])
    limits.cpu_budget(settings["timeout"])             # the first file's; the grader renews it for each file
    policy = Policy(os.getcwd(), settings["package"], settings["solutions"], settings["hidden"], settings["bases"])
    students = Students(settings["memory_mb"], policy)
    remember_own_source()
    policy.install()                                   # from here on, every action is checked
    while True:
        try:
            request = pickle.loads(read_message(request_fd))
        except ChannelClosed:
            return 0
        header, arrays = students.answer(request)
        header["refused"] = policy.take()
        try:
            payload = encode_reply(header, arrays)
        except BaseException as err:              # e.g. a submission that replaced np.savez
            payload = encode_reply({"status": "error", "error": students.describe(err),
                                    "refused": header["refused"] + policy.take()}, {})
        write_message(reply_fd, payload)


def remember_own_source():
    """Read the child's own modules into ``linecache`` now: a traceback through them later needs no
    file opened in minattn's folder, which the policy refuses."""
    for module in list(sys.modules.values()):
        if (getattr(module, "__name__", "") or "").startswith(__package__ or "__main__"):
            linecache.getlines(getattr(module, "__file__", "") or "")


class Students:
    """The student files imported so far, and the requests about their functions."""

    def __init__(self, memory_mb, policy):
        self.memory_mb, self.policy = memory_mb, policy
        self.modules = {}
        self.files = set()

    def serve(self, request):
        """``(header, arrays)`` answering ``request``; a student's error is an answer, not a crash."""
        op = request.get("op")
        try:
            if op == "load":
                return self.load(request["path"], request["names"]), {}
            function = getattr(self.modules[request["path"]], request["function"])
            if op == "probe":
                return probe(function)
            if op == "call":
                return call(function, request["args"])
            return gradients(function, request["args"], request["trailing"], request["indices"],
                             request["eps"], request["seed"], self.describe)
        except BaseException as err:              # also SystemExit, KeyboardInterrupt: the student's doing
            return {"status": "error", "error": self.describe(err)}, {}

    def answer(self, request):
        """``serve``'s answer, or an error when its arrays exceed ``MAX_REPLY`` (the grader would refuse them)."""
        header, arrays = self.serve(request)
        return (header, arrays) if fits(arrays) else (too_large(arrays), {})

    def load(self, path, names):
        """Run the student's file (its copy in this process's folder) with the policy's builtins."""
        name = f"student_{len(self.modules)}"
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        module.__dict__["__builtins__"] = self.policy.guarded_builtins()
        self.files.add(os.path.abspath(path))
        sys.modules[name] = module
        with quiet():
            spec.loader.exec_module(module)
        self.modules[path] = module
        functions = {}
        for wanted in names:
            value = getattr(module, wanted, None)
            functions[wanted] = {"callable": callable(value), "params": parameter_names(value)}
        return {"status": "ok", "functions": functions}

    def describe(self, err):
        """The error as words for the grader: type, message, where in the student's file, exit status."""
        described = {"type": type(err).__name__, "message": text_of(err), "where": self.location(err)}
        if isinstance(err, SystemExit):
            code = 0 if err.code is None else err.code        # sys.exit() and quit() exit with status 0
            described["exit"] = code if isinstance(code, int) else str(code)[:200]
        if isinstance(err, MemoryError):
            described["memory_mb"] = self.memory_mb
        return described

    def location(self, err):
        """" (line N of f.py)": the deepest line of the traceback in a student's file."""
        summary = traceback.StackSummary.extract(traceback.walk_tb(err.__traceback__), lookup_lines=False)
        frames = [f for f in summary if os.path.abspath(f.filename) in self.files]
        return f" (line {frames[-1].lineno} of {os.path.basename(frames[-1].filename)})" if frames else ""


@contextlib.contextmanager
def quiet():
    """Float warnings silenced, as the grader has always run students' code."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def text_of(err):
    """``str(err)``, cut to 2000 characters, even for an exception whose ``__str__`` fails."""
    try:
        return str(err)[:2000]
    except BaseException:
        return "(its message could not be printed)"


def fits(arrays):
    return sum(a.nbytes for a in arrays.values()) <= MAX_REPLY


def too_large(arrays):
    """The error reply for arrays the grader would not read."""
    return {"status": "error", "error": {"type": "ResultTooLarge",
                                         "message": str(sum(a.nbytes for a in arrays.values()))}}


def parameter_names(function):
    function = getattr(function, "fun", function)      # an autograd primitive keeps the function it wraps
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return []
    named = []
    for parameter in parameters[:20]:
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            break                                     # *args: the names stop meaning positions
        named.append(parameter.name[:40])
    return named


def probe(function):
    try:
        registered = function in core.primitive_vjps
    except TypeError:
        registered = False
    return {"status": "ok", "primitive": bool(getattr(function, "_is_autograd_primitive", False)),
            "vjp": bool(registered)}, {}


def call(function, args):
    """The function's value and the array arguments as they are after the call."""
    with quiet():
        value = function(*args)
    arrays = {}
    header = {"status": "ok", "value": pack_value(value, arrays)}
    header["inputs"] = [pack_value(a, arrays) if isinstance(a, np.ndarray) else None for a in args]
    return header, arrays


def gradients(function, args, trailing, indices, eps, seed, describe):
    """autograd's gradient of ``sum_k sum(out_k * R_k)`` for each argument, and central differences.

    ``R_k`` is ``default_rng(seed + k).standard_normal(out_k.shape)``; the
    differences are taken at ``indices[i]`` (a list of index tuples) of
    argument ``i``, each evaluation on fresh copies of the arguments. An
    error while differentiating is returned in ``header["failed"]``.
    """
    args = [np.array(a, dtype=np.float64) for a in args]
    with quiet():
        outputs = function(*args, *trailing)
    many = isinstance(outputs, (tuple, list))
    arrays = {}
    header = {"status": "ok", "outputs": pack_value(outputs, arrays), "failed": None}
    if not fits(arrays):                                    # no gradients of an output the grader will refuse
        return too_large(arrays), {}
    projections = [np.random.default_rng(seed + k).standard_normal(np.shape(o))
                   for k, o in enumerate(outputs if many else [outputs])]

    def scalar_of(position):
        def scalar(x):
            values = function(*args[:position], x, *args[position + 1:], *trailing)
            values = values if isinstance(values, (tuple, list)) else [values]
            return sum(anp.sum(v * r) for v, r in zip(values, projections))
        return scalar

    for position, array in enumerate(args):
        scalar = scalar_of(position)
        try:
            with quiet():
                arrays[f"g{position}"] = np.array(grad(scalar)(array.copy()), dtype=np.float64)
        except BaseException as err:
            header["failed"] = {"input": position, "error": describe(err)}
            return header, arrays
        arrays[f"n{position}"] = np.array([difference(scalar, array, tuple(i), eps) for i in indices[position]],
                                          dtype=np.float64)
    return header, arrays


def difference(scalar, array, index, eps):
    """(f(x + eps e_i) - f(x - eps e_i)) / 2 eps on copies of x."""
    plus, minus = array.copy(), array.copy()
    plus[index] += eps
    minus[index] -= eps
    with quiet():
        return (float(scalar(plus)) - float(scalar(minus))) / (2.0 * eps)


if __name__ == "__main__":
    sys.exit(main())
