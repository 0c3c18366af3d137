"""Comparing two runs' results.json number by number (shared by test_quick_runs.py and the drift measurement).

A run's numbers are every int or float leaf of its record, by path
(``variants.global_additive.exact_match``, ``history.loss.2``), apart from
what measures the machine rather than the code: timings, speeds, versions and
provenance. Each number has a scale: its own size, or for an item of an array
(lists of numbers, nested: a loss curve, an attention map, permutation
importances) the largest size in that array -- a weight of 1e-5 beside one of
0.5 is compared at the scale of 0.5, as the figure and the table show it.
"""
import math

# a path holding one of these words measures the machine (or names it), not the computation
MACHINE = ("seconds", "per_second", "versions", "provenance", "wall", "cpu", "load_average")


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def leaves(value):
    """The numbers of a list nested in lists (an array), or None when it holds anything else."""
    if is_number(value):
        return [float(value)]
    if not isinstance(value, list) or not value:
        return None
    found = []
    for item in value:
        inner = leaves(item)
        if inner is None:
            return None
        found += inner
    return found


def numbers(record, path="", scale=None):
    """``{path: (value, scale)}`` of every number in ``record`` that the code computes (not timings, versions).

    The scale of a number in an array (lists of numbers, nested) is the array's largest size.
    """
    if is_number(record):
        return {path: (float(record), abs(float(record)) if scale is None else scale)}
    if scale is None and isinstance(record, list):
        array = leaves(record)
        if array is not None:
            finite = [abs(v) for v in array if not math.isnan(v)]
            scale = max(finite, default=0.0)
    items = record.items() if isinstance(record, dict) else enumerate(record) if isinstance(record, list) else ()
    found = {}
    for key, value in items:
        if not any(word in str(key) for word in MACHINE):
            found.update(numbers(value, f"{path}.{key}" if path else str(key), scale))
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
