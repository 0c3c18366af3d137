"""Comparing two runs' results.json number by number (shared by test_quick_runs.py and the drift measurement).

A run's numbers are every int or float leaf of its record, by path
(``variants.global_additive.exact_match``, ``history.loss.2``), apart from
what measures the machine rather than the code: timings, speeds, versions and
provenance. Each number has a scale: its own size, or for an item of a list of
numbers (a loss curve, an attention vector, permutation importances) the
largest size in that list -- a weight of 1e-5 beside one of 0.5 is compared at
the scale of 0.5, as the figure and the table show it.
"""
import math

# a path holding one of these words measures the machine (or names it), not the computation
MACHINE = ("seconds", "samples_per_second", "versions", "provenance", "wall", "cpu")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def numbers(record, path=""):
    """``{path: (value, scale)}`` of every number in ``record`` that the code computes (not timings, versions)."""
    found = {}
    if is_number(record):
        return {path: (float(record), abs(float(record)))}
    if isinstance(record, dict):
        items = record.items()
    elif isinstance(record, list):
        items = enumerate(record)
    else:
        return found
    flat = isinstance(record, list) and record and all(is_number(v) for v in record)
    scale = max(abs(float(v)) for v in record if not math.isnan(v)) if flat and any(
        not math.isnan(v) for v in record) else None
    for key, value in items:
        child = f"{path}.{key}" if path else str(key)
        if any(word in str(key) for word in MACHINE):
            continue
        if flat:
            found[child] = (float(value), scale if scale is not None else abs(float(value)))
        else:
            found.update(numbers(value, child))
    return found


def relative_difference(a, b):
    """``|a - b|`` over the larger scale of the two; 0 when both are 0; inf when one is NaN and the other not.

    ``a`` and ``b`` are ``(value, scale)`` pairs from ``numbers``.
    """
    (x, x_scale), (y, y_scale) = a, b
    if math.isnan(x) or math.isnan(y):
        return 0.0 if math.isnan(x) and math.isnan(y) else math.inf
    scale = max(x_scale, y_scale, abs(x), abs(y))
    return abs(x - y) / scale if scale else 0.0


def largest_difference(reference, run):
    """``(relative difference, path)`` of the number that differs most between two records;
    ``(inf, path)`` for a number one has and the other lacks."""
    ours, theirs = numbers(reference), numbers(run)
    missing = sorted(set(ours) ^ set(theirs))
    if missing:
        return math.inf, missing[0]
    return max(((relative_difference(ours[p], theirs[p]), p) for p in ours), default=(0.0, ""))
