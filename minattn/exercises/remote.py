"""A student's function as the grader calls it: arguments go to the sandbox's child, values come back.

``RemoteFunction`` stands for one of the student's functions: calling it
sends the arguments to the child and returns what the student's function
returned (as plain arrays), after checking that the arguments came back
unchanged. The verdict is always the grader's: the child only reports values.
``student_error`` words an error raised in the student's code.
"""
import numpy as np

from . import protocol
from .sandbox import Stopped


class RemoteFunction:
    """One of the student's functions, run in the sandbox; called like the function itself.

    Args:
        sandbox: the ``Sandbox`` holding the student's file.
        path: the student's file.
        name: the function's name.
        params: its parameter names (for messages).
        trailing: arguments appended to every call (see ``bind``).
        shape_hint: added when the function fails on arrays whose shapes do not fit.
    """

    def __init__(self, sandbox, path, name, params=(), trailing=(), shape_hint=""):
        self.sandbox, self.path, self.__name__ = sandbox, path, name
        self.params = [str(p)[:40] for p in params][:20] if isinstance(params, (list, tuple)) else []
        self.trailing, self.shape_hint = tuple(trailing), shape_hint

    def bind(self, *trailing):
        """This function with ``trailing`` appended to its arguments."""
        return RemoteFunction(self.sandbox, self.path, self.__name__, self.params, self.trailing + trailing,
                              self.shape_hint)

    def __call__(self, *args):
        from .compare import CheckFailure
        args = args + self.trailing
        sent = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in args]
        header, arrays = self._ask({"op": "call", "args": list(args)})
        value = self.unpack(header.get("value"), arrays)
        for position, (before, after) in enumerate(zip(sent, header.get("inputs") or [])):
            if before is not None:
                changed = changed_in_place(before, self.unpack(after, arrays))
                if changed:
                    raise CheckFailure(f"{self.__name__} changed its input `{self.param(position)}` in place "
                                       f"({changed}). Compute new arrays instead (c = f * c + ..., not c *= ...; "
                                       "x - m, not x -= m): the caller's arrays must stay as they were, and "
                                       "autograd cannot differentiate an assignment in place.")
        return value

    def gradients(self, args, indices, eps, seed):
        """The child's reply to a gradient request: ``(header, arrays)`` (see ``child.gradients``)."""
        return self._ask({"op": "gradients", "args": list(args), "trailing": list(self.trailing),
                          "indices": indices, "eps": eps, "seed": seed})

    def probe(self):
        """``{"primitive": bool, "vjp": bool}``: is the function an autograd primitive with a VJP."""
        header, _ = self._ask({"op": "probe"})
        return {"primitive": header.get("primitive") is True, "vjp": header.get("vjp") is True}

    def unpack(self, tree, arrays):
        """A value from the child's reply; a malformed one stops the grading of this file."""
        try:
            return protocol.unpack_value(tree, arrays)
        except ValueError as err:
            self.sandbox.close()
            raise Stopped(f"the grader could not read what your process sent back in {self.__name__} ({err})")

    def param(self, position):
        return self.params[position] if position < len(self.params) else f"argument {position + 1}"

    def _ask(self, request):
        from .compare import CheckFailure
        request.update(path=self.path, function=self.__name__)
        header, arrays = self.sandbox.ask(request, f"in {self.__name__}")
        if header.get("status") != "ok":
            raise CheckFailure(student_error(self.__name__, header.get("error") or {}, self.shape_hint))
        return header, arrays


def changed_in_place(before, after):
    """"" when ``after`` equals ``before``, else where and how it changed, in words."""
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return f"it came back as {type(after).__name__} of shape {np.shape(after)}"
    floating = before.dtype.kind in "fc"
    if np.array_equal(before, after, equal_nan=floating):
        return ""
    same = (before == after) | (np.isnan(before) & np.isnan(after)) if floating else before == after
    differs = ~same
    index = tuple(int(i) for i in np.argwhere(differs)[0])
    was, now = (f"{v:.10g}" for v in (before[index], after[index]))
    return f"at index {index[0] if len(index) == 1 else index} it was {was}, after the call {now}"


SHAPE_WORDS = ("mismatch in its core dimension", "could not be broadcast", "shapes", "not aligned")


def student_error(name, error, shape_hint=""):
    """The message for an error raised in the student's code (``error`` as ``child.Students.describe`` gives it)."""
    from .compare import NOT_IMPLEMENTED
    kind, where = str(error.get("type", "Exception")), str(error.get("where", ""))
    message = str(error.get("message", "")).strip().splitlines()[0][:300] if error.get("message") else ""
    if kind == "NotImplementedError":
        return f"{name}: {NOT_IMPLEMENTED}"
    if kind == "SystemExit":
        return (f"{name} exited with status {error.get('exit')}{where} (sys.exit, exit or quit): "
                "a function must return its result")
    if kind == "ResultTooLarge":
        return (f"{name} returned {int(message or 0) / 2 ** 20:.0f} MB of arrays; the grader reads at most "
                f"{protocol.MAX_REPLY // 2 ** 20} MB")
    if kind == "MemoryError":
        return f"{name} ran out of memory{where}: the grader's limit is {error.get('memory_mb')} MB"
    if kind == "ValueError" and any(word in message for word in SHAPE_WORDS):
        return (f"{name} failed on the shapes of its arrays{where}: is an axis transposed, or are two arguments "
                f"swapped? {shape_hint} Print each array's .shape to see. (NumPy said: {message})").replace("  ", " ")
    return f"{name} raised {kind}: {message}{where}"
