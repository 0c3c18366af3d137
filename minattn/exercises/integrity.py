"""The grader checks its own files before it grades: a changed grader is refused, not trusted.

``manifest.py`` records the SHA-256 of every file of the grader (this
package's ``.py`` files, its checks and its starters) as committed.
``verify`` recomputes them before ``check`` or ``grade`` runs and raises
``GraderChanged`` naming the files that differ, are missing or were added:
a grader whose code was edited -- by an earlier submission under an older
grader, or by anyone -- would give grades nobody can trust.

This does not stop someone who can rewrite the manifest too (the same user
account); ``docs/coursework/grading.md`` gives the stronger wall (a
read-only container). A developer who changes the grader regenerates the
manifest with::

    python -m minattn.exercises.integrity
"""
import hashlib
import os

FOLDER = os.path.dirname(os.path.abspath(__file__))
MANIFEST = "manifest.py"
PARTS = ("", "checks", "starters")                  # the grader's folders, relative to this package


class GraderChanged(RuntimeError):
    """The grader's installed files are not the ones recorded in its manifest."""


def digests(folder=FOLDER):
    """``{relative path: sha256 hex}`` of the grader's ``.py`` files under ``folder`` (the manifest apart)."""
    found = {}
    for part in PARTS:
        directory = os.path.join(folder, part)
        for name in sorted(os.listdir(directory)) if os.path.isdir(directory) else []:
            relative = os.path.join(part, name) if part else name
            if name.endswith(".py") and relative != MANIFEST:
                with open(os.path.join(directory, name), "rb") as handle:
                    found[relative.replace(os.sep, "/")] = hashlib.sha256(handle.read()).hexdigest()
    return found


def recorded(folder=FOLDER):
    """The manifest's ``{relative path: sha256 hex}`` (read as data, not imported)."""
    import ast
    with open(os.path.join(folder, MANIFEST), encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    return next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DIGESTS")


def verify(folder=FOLDER):
    """Raise ``GraderChanged`` unless the grader's files under ``folder`` match the manifest."""
    try:
        expected = recorded(folder)
    except (OSError, SyntaxError, ValueError, StopIteration):
        raise GraderChanged(f"the grader's manifest {os.path.join(folder, MANIFEST)} is missing or unreadable; "
                            "reinstall minattn") from None
    actual = digests(folder)
    changed = sorted(name for name in set(expected) | set(actual) if expected.get(name) != actual.get(name))
    if changed:
        raise GraderChanged(f"the grader's own files differ from the ones it was installed with: "
                            f"{', '.join(changed[:8])}{' ...' if len(changed) > 8 else ''}. Refusing to grade: "
                            "reinstall minattn (a developer who changed the grader on purpose runs "
                            "python -m minattn.exercises.integrity to record the new files)")


def write_manifest(folder=FOLDER):
    """Record the current files as the grader's manifest; returns how many."""
    found = digests(folder)
    lines = [f'    "{name}": "{digest}",' for name, digest in sorted(found.items())]
    text = ('"""SHA-256 of each file of the grader, checked before it grades (see integrity.py).\n\n'
            "Written by ``python -m minattn.exercises.integrity``; do not edit by hand.\n"
            '"""\nDIGESTS = {\n' + "\n".join(lines) + "\n}\n")
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as handle:
        handle.write(text)
    return len(found)


if __name__ == "__main__":
    print(f"recorded {write_manifest()} files in {os.path.join(FOLDER, MANIFEST)}")
