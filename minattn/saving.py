"""Weights files: written atomically, read by the model's structure (or by layer name).

A weights file is an ``.npz`` archive with one array per weight, named
``layer_name/weight_name`` (``bidirectional_1/forward_gru_1/kernel`` for a
layer made of layers), plus one member ``__manifest__``: a JSON string with
the layers that have weights, in the model's order, each with its class and
its weights' names and shapes. ``np.load`` reads it without minattn.

Three promises:

* **Atomic save.** The archive is written to a temporary file in the target's
  folder, flushed and fsync'ed, then moved over the target with
  ``os.replace``. A save that fails halfway (an exception, Ctrl-C, a full
  disk) leaves the previous file as it was and no temporary file behind; a
  save killed outright (SIGKILL, power cut) leaves its hidden temporary file,
  which the next save to the folder removes (``remove_stale_temporaries``).
  A read-only target is refused with ``PermissionError`` (``check_writable``).
* **All or nothing load.** Every array is read, matched, converted to the
  weight's dtype and checked (shape, finiteness) before the first layer is
  changed; a file that does not fit raises ``ValueError`` and the model keeps
  every weight it had.
* **Matching by structure**, as Keras 3 does: the i-th layer with weights in
  the file goes to the i-th layer with weights in the model, which must have
  the same class, the same number of weights and the same shapes. Layer names
  play no part, so a model rebuilt in the same Python process (``dense_4``
  where the file says ``dense_2``) loads its own checkpoint. With
  ``by_name=True`` (Keras 2's option) a layer takes the weights saved under its
  own name instead; see ``load_weights``.
"""
import json
import os
import re
import secrets
import stat
import time

import numpy as np

from .method_arguments import refuse_unless_default
from .pytree import named_leaves, tree_map

MANIFEST = "__manifest__"
FORMAT = "minattn-weights"
VERSION = 1
SUFFIX = ".npz"


# -- what a model holds ------------------------------------------------------------
def weight_layers(model):
    """The model's layers that have weights, in order (the order weights files use)."""
    return [layer for layer in model.layers if layer.params]


def manifest_of(model):
    """The structure of ``model``'s weights as a list (JSON-ready): one entry per layer with weights."""
    return [{"name": layer.name, "class": type(layer).__name__,
             "weights": [{"name": key, "shape": list(np.shape(value)), "dtype": str(np.asarray(value).dtype)}
                         for key, value in named_leaves(layer.params)]}
            for layer in weight_layers(model)]


def checked_path(path, what):
    """``path`` as a string; ``ValueError`` unless it ends in ``.npz``."""
    path = os.fspath(path)
    if not isinstance(path, str):
        path = os.fsdecode(path)
    if not path.endswith(SUFFIX):
        raise ValueError(f"{what}: weights files are .npz archives, so the file name must end in "
                         f"'{SUFFIX}'; got {path!r} (minattn writes no .h5 or .keras files)")
    return path


# -- saving -----------------------------------------------------------------------
def save_weights(model, path, overwrite=True, max_shard_size=None):
    """Write ``model``'s weights to ``path`` (an ``.npz``) atomically; see the module docstring.

    Raises:
        ValueError: the name does not end in ``.npz``, or ``max_shard_size`` is not None.
        FileNotFoundError: the folder does not exist.
        FileExistsError: the file exists and ``overwrite`` is False.
        PermissionError: the file exists and is read-only (see ``check_writable``).
    """
    what = f"Model '{model.name}': save_weights"
    refuse_unless_default(what, {"max_shard_size": (max_shard_size, None)}, "minattn writes one file")
    path = checked_path(path, what)
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{what}: {path!r} exists and overwrite=False (Keras would ask on the "
                              "terminal; minattn does not)")
    check_writable(path, what)
    arrays = {f"{layer.name}/{key}": np.asarray(value)
              for layer in weight_layers(model) for key, value in named_leaves(layer.params)}
    arrays[MANIFEST] = np.array(json.dumps({"format": FORMAT, "version": VERSION,
                                            "layers": manifest_of(model)}))
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{what}: the folder {folder!r} does not exist")
    remove_stale_temporaries(folder, time.time() - STALE_SECONDS)
    write_atomically(path, lambda handle: np.savez(handle, **arrays))


def check_writable(path, what):
    """``PermissionError`` if ``path`` exists and may not be written.

    ``os.replace`` would replace a read-only file silently (it needs only the
    folder's permission), so the file is looked at first: it must be
    writable for this process (``os.access``) and have a write bit in its
    mode -- the second check holds for root too, whom ``os.access`` lets
    write anything.
    """
    if os.path.exists(path):
        mode = os.stat(path).st_mode
        if not os.access(path, os.W_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            raise PermissionError(f"{what}: {path!r} is read-only (mode {stat.filemode(mode)}); it was "
                                  "left as it was. Make it writable (chmod u+w) or save elsewhere")


def temporary_name(path):
    """A new hidden temporary file name next to ``path``: ``.<name>.<8 hex digits>.tmp``."""
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{secrets.token_hex(4)}.tmp")


TEMPORARY = re.compile(r"^\..+\.npz\.[0-9a-f]{8}\.tmp$")     # what temporary_name makes
STALE_SECONDS = 60     # a temporary file untouched this long before a save began is a killed save's


def remove_stale_temporaries(folder, older_than):
    """Remove the temporary files of killed saves in ``folder``: names like ``temporary_name``'s,
    last modified before ``older_than`` (a time stamp). A save in progress keeps writing its
    file, so it is not touched; files that vanish meanwhile are skipped."""
    for name in os.listdir(folder):
        full = os.path.join(folder, name)
        try:
            if TEMPORARY.match(name) and os.path.isfile(full) and os.path.getmtime(full) < older_than:
                os.remove(full)
        except FileNotFoundError:
            pass


def write_atomically(path, write):
    """Call ``write(handle)`` on a new temporary file next to ``path``, then move it over ``path``.

    The temporary file is flushed and fsync'ed before ``os.replace`` (atomic
    on POSIX and Windows), and removed if anything fails, so ``path`` holds
    either its old content or the complete new one. It is created with mode
    0o666 minus the umask, like any new file.
    """
    temporary = temporary_name(path)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


# -- loading ----------------------------------------------------------------------
def read_archive(model, path):
    """``(arrays by member name, manifest or None)``; ``ValueError`` if the file is not a weights archive."""
    where = f"Model '{model.name}'"
    if not os.path.exists(path):
        raise FileNotFoundError(f"{where}: no weights file at {path!r}")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as err:
        raise ValueError(f"{where}: could not read weights file {path!r}: {err}") from err
    if MANIFEST not in arrays:
        return arrays, None
    try:
        manifest = json.loads(str(arrays.pop(MANIFEST)))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')!r}")
        layers = manifest["layers"]
    except Exception as err:
        raise ValueError(f"{where}: weights file {path!r} has an unreadable {MANIFEST} "
                         f"member ({err}); nothing was loaded") from err
    return arrays, layers


def load_weights(model, path, by_name=False):
    """Load weights written by ``save_weights``; all or nothing. See ``Model.load_weights``."""
    path = checked_path(path, f"Model '{model.name}': load_weights")
    arrays, manifest = read_archive(model, path)
    if by_name:
        pairs = pairs_by_name(model, arrays, manifest, path)
    elif manifest is None:
        pairs = pairs_of_old_file(model, arrays, path)
    else:
        pairs = pairs_by_structure(model, arrays, manifest, path)
    new_params = {layer.name: converted(model, layer, saved, f"layer '{source}' of {path!r}")
                  for layer, saved, source in pairs}
    for layer, _, _ in pairs:                                   # every check passed: now assign
        layer.params = new_params[layer.name]


def saved_arrays(arrays, layer_name, keys, path, where):
    """The arrays stored for ``layer_name`` under ``keys``, in order."""
    missing = [f"{layer_name}/{key}" for key in keys if f"{layer_name}/{key}" not in arrays]
    if missing:
        raise ValueError(f"{where}: weights file {path!r} lacks the members {missing}; nothing was loaded")
    return [arrays[f"{layer_name}/{key}"] for key in keys]


def pairs_by_structure(model, arrays, manifest, path):
    """``[(model layer, [saved arrays], file layer name)]``: the i-th layer with weights of the file to the model's i-th."""
    where = f"Model '{model.name}'"
    layers = weight_layers(model)
    if len(manifest) != len(layers):
        raise ValueError(
            f"{where}: weights file {path!r} has {len(manifest)} layers with weights "
            f"{[entry['class'] for entry in manifest]}, the model has {len(layers)} "
            f"{[type(layer).__name__ for layer in layers]}; weights are matched by structure "
            "(layer order and type), nothing was loaded (load_weights(path, by_name=True) "
            "loads the layers whose names match)")
    pairs = []
    for index, (layer, entry) in enumerate(zip(layers, manifest)):
        if entry["class"] != type(layer).__name__:
            raise ValueError(f"{where}: layer {index} with weights is {type(layer).__name__} "
                             f"'{layer.name}' in the model but {entry['class']} '{entry['name']}' in "
                             f"weights file {path!r}; weights are matched by structure (layer order "
                             "and type), nothing was loaded")
        keys = [weight["name"] for weight in entry["weights"]]
        pairs.append((layer, saved_arrays(arrays, entry["name"], keys, path, where), entry["name"]))
    return pairs


def pairs_by_name(model, arrays, manifest, path):
    """``[(model layer, [saved arrays], file layer name)]`` for the model's layers whose name is in the file."""
    where = f"Model '{model.name}'"
    if manifest is not None:
        saved = {entry["name"]: [weight["name"] for weight in entry["weights"]] for entry in manifest}
    else:
        saved = {layer.name: [key[len(layer.name) + 1:] for key in arrays if key.startswith(layer.name + "/")]
                 for layer in weight_layers(model)}
        saved = {name: keys for name, keys in saved.items() if keys}
    pairs = [(layer, saved_arrays(arrays, layer.name, saved[layer.name], path, where), layer.name)
             for layer in weight_layers(model) if layer.name in saved]
    if not pairs:
        raise ValueError(f"{where}: by_name=True, but no layer with weights in weights file {path!r} "
                         f"({sorted(saved)}) has the name of one of the model's "
                         f"({[layer.name for layer in weight_layers(model)]}); nothing was loaded")
    return pairs


def pairs_of_old_file(model, arrays, path):
    """A file without a manifest (minattn before structure matching): every layer by its name."""
    where = f"Model '{model.name}'"
    expected = {f"{layer.name}/{key}" for layer in weight_layers(model) for key, _ in named_leaves(layer.params)}
    problems = [f"missing '{key}'" for key in sorted(expected - set(arrays))]
    problems += [f"unexpected '{key}'" for key in sorted(set(arrays) - expected)]
    if problems:
        raise ValueError(f"{where}: weights file {path!r} has no {MANIFEST} (written by an older "
                         "minattn), so its layers are matched by name, and they do not fit this model "
                         f"(nothing was loaded): {'; '.join(problems)}. If the model was rebuilt in the "
                         "same process its layers have new automatic names: call "
                         "minattn.clear_session() before building it, or name the layers")
    return [(layer, [arrays[f"{layer.name}/{key}"] for key, _ in named_leaves(layer.params)], layer.name)
            for layer in weight_layers(model)]


def converted(model, layer, saved, source):
    """``layer``'s new params from the ``saved`` arrays (``source`` names them in messages): shapes checked, cast to the layer's dtypes,
    finite. Nothing is assigned here."""
    current = named_leaves(layer.params)
    where = f"Model '{model.name}' layer {type(layer).__name__} '{layer.name}'"
    if len(saved) != len(current):
        raise ValueError(f"{where}: {source} has {len(saved)} weights, the layer has "
                         f"{len(current)} {[key for key, _ in current]}; nothing was loaded")
    new = []
    for (key, old), array in zip(current, saved):
        if array.shape != old.shape:
            raise ValueError(f"{where}: weight '{key}' has shape {old.shape}, {source} has "
                             f"{array.shape}; nothing was loaded")
        if array.dtype.kind not in "fiu":
            raise ValueError(f"{where}: weight '{key}' in {source} has dtype {array.dtype}, expected "
                             "real numbers; nothing was loaded")
        with np.errstate(over="ignore", invalid="ignore"):
            value = array.astype(old.dtype)              # a copy, in the layer's float type
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{where}: weight '{key}' in {source} is not finite in {old.dtype} "
                             f"(NaN, inf, or too large); nothing was loaded")
        new.append(value)
    values = iter(new)
    return tree_map(lambda old: next(values), layer.params)
