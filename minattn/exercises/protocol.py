"""The messages between the grader and the child process that runs a student's file.

Every message is framed as an 8-byte length and the bytes. A request
(grader -> child) is a pickled dict: the grader is trusted, so the child may
unpickle it. A reply (child -> grader) is a JSON header and an ``.npz`` of
arrays, read with ``json`` and ``np.load(allow_pickle=False)``: nothing a
student's process sends can run code in the grader, and a reply larger than
``MAX_REPLY`` bytes is refused, not read.

Values go as a tree: ``{"t": "array", "k": key}`` for an array stored under
``key`` in the npz, ``{"t": "tuple" | "list", "items": [...]}``,
``{"t": "none"}``, and ``{"t": "other", "type": name}`` for anything that is
not numbers (the grader says which type it got).
"""
import io
import json
import zipfile
import os
import pickle
import select
import struct
import time

import numpy as np

MAX_REPLY = 64 * 2 ** 20             # bytes; a student's function returning more fails, the grader is not flooded
LENGTH = struct.Struct(">Q")


class ChannelClosed(Exception):
    """The other side closed the pipe (the child exited) before a whole message arrived."""


class ChannelTimeout(Exception):
    """The deadline passed before a whole message arrived."""


class ReplyTooLarge(Exception):
    """The child announced a reply larger than ``MAX_REPLY``."""


def pickle_request(request):
    """A request's bytes (grader side: only the grader's own dicts of arrays and numbers are pickled)."""
    return pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)


def write_message(fd, payload):
    """Send ``payload`` (bytes) on file descriptor ``fd``, length first."""
    data = memoryview(LENGTH.pack(len(payload)) + payload)
    while data:
        data = data[os.write(fd, data):]


def read_message(fd, deadline=None, limit=None):
    """The next message on ``fd``; ``deadline`` is a ``time.monotonic()`` value or None (wait for ever)."""
    (length,) = LENGTH.unpack(_read_exact(fd, LENGTH.size, deadline))
    if limit is not None and length > limit:
        raise ReplyTooLarge(length)
    return _read_exact(fd, length, deadline)


def _read_exact(fd, count, deadline):
    chunks, missing = [], count
    while missing:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ChannelTimeout()
        chunk = os.read(fd, min(missing, 2 ** 20))
        if not chunk:
            raise ChannelClosed()
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


def encode_reply(header, arrays):
    """A reply's bytes: the JSON header's length, the header, then an npz of ``arrays``."""
    head = json.dumps(header).encode("utf-8")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return LENGTH.pack(len(head)) + head + buffer.getvalue()


def decode_reply(data):
    """``(header, arrays)`` from a reply's bytes; raises ``ValueError`` on anything malformed."""
    try:
        (length,) = LENGTH.unpack(data[:LENGTH.size])
        header = json.loads(data[LENGTH.size:LENGTH.size + length].decode("utf-8"))
        with zipfile.ZipFile(io.BytesIO(data[LENGTH.size + length:])) as archive:   # no zip bomb: sizes first
            if sum(info.file_size for info in archive.infolist()) > MAX_REPLY:
                raise ValueError("the arrays would be larger than the reply limit")
        with np.load(io.BytesIO(data[LENGTH.size + length:]), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except Exception as err:
        raise ValueError(f"malformed reply: {type(err).__name__}: {err}") from None
    if not isinstance(header, dict):
        raise ValueError("malformed reply: the header is not an object")
    return header, arrays


def pack_value(value, arrays, depth=0):
    """The tree of ``value``; its arrays are added to ``arrays`` (child side)."""
    if isinstance(value, (tuple, list)) and depth < 2:
        return {"t": type(value).__name__, "items": [pack_value(v, arrays, depth + 1) for v in value]}
    if value is None:
        return {"t": "none"}
    try:
        array = np.asarray(value)
    except Exception:
        array = None
    if array is None or array.dtype.kind not in "biuf":
        return {"t": "other", "type": type(value).__name__}
    key = f"a{len(arrays)}"
    arrays[key] = array
    return {"t": "array", "k": key}


class Unreadable:
    """What the grader got for a value that is not numbers: only its type's name, which it reports."""

    def __init__(self, type_name):
        self.type_name = str(type_name)[:80]

    def __array__(self, dtype=None, copy=None):
        raise TypeError(f"your function returned a {self.type_name}, not an array of numbers")

    def __repr__(self):
        return f"<a {self.type_name}>"


def unpack_value(tree, arrays, depth=0):
    """The value a tree describes (grader side); raises ``ValueError`` on a malformed tree."""
    kind = tree.get("t") if isinstance(tree, dict) else None
    if kind in ("tuple", "list") and depth < 3:
        items = [unpack_value(item, arrays, depth + 1) for item in tree.get("items", [])]
        return tuple(items) if kind == "tuple" else items
    if kind == "none":
        return None
    if kind == "array" and tree.get("k") in arrays:
        return arrays[tree["k"]]
    if kind == "other":
        return Unreadable(tree.get("type", "value"))
    raise ValueError(f"malformed value in reply: {str(tree)[:80]}")
