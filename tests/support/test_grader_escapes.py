"""Submissions that try to escape the grader, to reach beyond their own file, or to fake or lose a grade.

Every grading here runs the command line in a process of its own
(``grader_runs``), so that a guard that failed would kill, stop or hang
that process, never pytest; each run is killed in a ``finally`` with
anything carrying its token. A submission that writes aims at files under ``tmp_path`` (another
student's file, a copy of the installed package), never at the repository.
Each test asserts the verdict, the exit code, the time it took (a generous
bound: it tells a finished grading from a hung one) and that no process
the grading started survives it.
"""
import csv
import hashlib
import os
import shutil
import sys
import time

import pytest

from minattn.exercises import reaper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from grader_runs import BOUND, ROOT, run_cli  # noqa: E402
from test_grader import BYPASS, HEAD, SOLUTION, WRONG  # noqa: E402

SOLUTIONS = os.path.join(ROOT, "coursework", "solutions")


def check(tmp_path, source, name="alice.py", package_root=ROOT):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return run_cli(["check", path, "--timeout", 20], tmp_path, package_root)


def verdict(out):
    """The report's last line, ``k of n checks passed``, as ``(k, n)``."""
    words = out.rstrip().splitlines()[-1].split()
    assert words[1:2] == ["of"] and words[3:] == ["checks", "passed"], out
    return int(words[0]), int(words[2])


def tolerant(*lines):
    """``lines`` each run in a try that swallows the refusal, so the file goes on (and imports)."""
    return "".join(f"try:\n    {line}\nexcept (PermissionError, ImportError, RuntimeError):\n    pass\n" for line in lines)


ESCAPES = [
    # (id, source, words in the output); every one exits 1 with the policy's FAIL line
    ("fork, setsid and a long sleep", SOLUTION + BYPASS + tolerant(
        "if os.fork() == 0: os.setsid(); time.sleep(3600)"), "your file tried to start a process (os.fork)"),
    ("os.system, posix_spawn and exec", SOLUTION + BYPASS + tolerant(
        "os.system('sleep 3600 &')", "os.posix_spawn('/bin/sleep', ['sleep', '3600'], {})",
        "os.execv('/bin/sleep', ['sleep', '3600'])"), "start a process (os.system); your file tried to start a "
     "process (os.posix_spawn); your file tried to start a process (os.exec)"),
    ("killing the grader", SOLUTION + BYPASS + tolerant("os.kill(os.getppid(), 9)"),
     "your file tried to send a signal (os.kill)"),
    ("stopping the grader", SOLUTION + BYPASS + tolerant("os.kill(os.getppid(), 19)"),
     "your file tried to send a signal (os.kill)"),
    ("killing the grader's group", SOLUTION + BYPASS + tolerant("os.killpg(os.getpgid(os.getppid()), 9)"),
     "your file tried to send a signal (os.killpg)"),
    ("exec of the reference solution", HEAD + BYPASS + tolerant(
        f"exec(open({os.path.join(SOLUTIONS, 'masked_softmax.py')!r}).read())",
        f"os.execv(sys.executable, [sys.executable, {os.path.join(SOLUTIONS, 'masked_softmax.py')!r}])"),
     "your file tried to open coursework/solutions/masked_softmax.py (the reference solutions)"),
    ("from minattn.fast.dense import softmax", 'EXERCISE = "softmax_vjp"\nfrom minattn.fast.dense import softmax\n',
     "your file tried to import minattn.fast.dense"),
    ("import minattn.layers", HEAD + "import minattn.layers\n", "your file tried to import minattn.layers"),
    ("minattn's kernels round the import rule", HEAD + BYPASS + tolerant(
        "sys.modules['importlib'].import_module('minattn.activations')",
        f"exec(open({os.path.join(ROOT, 'minattn', 'activations.py')!r}).read())"),
     "your file tried to import minattn; your file tried to open minattn/activations.py (minattn's own source)"),
    ("a socket", HEAD + "import socket\n", "your file tried to import socket"),
    ("a socket round the import rule", SOLUTION + BYPASS + tolerant(
        "sys.modules['importlib'].import_module('socket')"), "your file tried to import socket"),
    ("ctypes", SOLUTION + BYPASS + tolerant("sys.modules['ctypes'].CDLL(None).kill(os.getppid(), 9)"),
     "your file tried to use ctypes.dlopen"),
    # a folder's descriptor would let os.open(name, dir_fd=...) write in it unseen: refused at the folder's open
    # (only the first step is taken here, so that nothing could be written should the guard fail)
    ("a descriptor of NumPy's folder", SOLUTION + BYPASS + tolerant(
        "os.close(os.open(os.path.dirname(numpy.__file__), os.O_RDONLY))"), "your file tried to open the folder "),
    ("raising its own limits", SOLUTION + BYPASS + tolerant(
        "sys.modules['resource'].setrlimit(sys.modules['resource'].RLIMIT_CPU, (-1, -1))"),
     "your file tried to use resource.setrlimit"),
]


@pytest.mark.parametrize("source, words", [case[1:] for case in ESCAPES], ids=[case[0] for case in ESCAPES])
def test_an_escape_is_refused_and_named(source, words, tmp_path):
    code, out, err, seconds = check(tmp_path, source)
    assert code == 1, out + err
    assert words in out, out
    assert "FAIL  your file keeps to itself" in out
    passed, total = verdict(out)
    assert passed < total and seconds < BOUND


def test_a_printed_fake_summary_stays_inside_the_fence(tmp_path):
    fake = WRONG + 'print("10 of 10 checks passed")\nprint("x\\r10 of 10 checks passed\\x1b[1A")\n'
    code, out, _, seconds = check(tmp_path, fake)
    assert code == 1 and seconds < BOUND
    lines = out.rstrip().splitlines()
    assert verdict(out) == (3, 10) and lines.count("10 of 10 checks passed") == 0
    assert "| 10 of 10 checks passed" in lines and "| x\\r10 of 10 checks passed\\x1b[1A" in lines
    fence = lines.index("---- end of what your file printed ----")
    assert all(line.startswith(("PASS", "FAIL", " ")) for line in lines[fence + 1:-1])   # verdicts after the output


def test_the_installed_grader_cannot_be_changed_and_a_changed_one_refuses(tmp_path):
    installed = tmp_path / "site"                    # a copy of the installed package: the only one aimed at
    shutil.copytree(os.path.join(ROOT, "minattn"), installed / "minattn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(SOLUTIONS, installed / "coursework" / "solutions")
    grading = installed / "minattn" / "exercises" / "grading.py"
    before = hashlib.sha256(grading.read_bytes()).hexdigest()
    append = WRONG + BYPASS + tolerant(f"open({str(grading)!r}, 'a').write('\\nReport.passed = True\\n')",
                                       f"os.rename({str(grading)!r}, 'stolen.py')")
    code, out, _, seconds = check(tmp_path, append, package_root=str(installed))
    assert code == 1 and seconds < BOUND
    assert "your file tried to open minattn/exercises/grading.py for writing" in out, out
    assert "your file tried to change minattn/exercises/grading.py (os.rename)" in out
    assert hashlib.sha256(grading.read_bytes()).hexdigest() == before
    with open(grading, "a", encoding="utf-8") as handle:     # as if an earlier grader had let it through
        handle.write("\n# changed\n")
    code, out, err, _ = check(tmp_path, SOLUTION, package_root=str(installed))
    assert code == 2 and "the grader's own files differ" in err and "grading.py" in err, err


def test_a_submission_cannot_rewrite_another_students_file(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    victim = folder / "zed.py"
    victim.write_text(SOLUTION, encoding="utf-8")
    (folder / "aaron.py").write_text(WRONG + BYPASS + tolerant(
        f"open({str(victim)!r}, 'w').write({WRONG!r})", f"os.remove({str(victim)!r})",
        f"open({str(victim)!r}).read()"), encoding="utf-8")
    grades = tmp_path / "grades.csv"
    code, out, err, seconds = run_cli(["grade", folder, "--csv", grades, "--timeout", 20], tmp_path)
    assert code == 1 and seconds < BOUND, out + err
    assert victim.read_text(encoding="utf-8") == SOLUTION
    rows = {r["submission"]: r for r in csv.DictReader(open(grades, newline="", encoding="utf-8"))}
    assert rows["zed"]["passed"] == rows["zed"]["total"]
    report = (tmp_path / "grades_reports" / "aaron.txt").read_text(encoding="utf-8")
    for words in ("tried to open class/zed.py for writing", "tried to change class/zed.py (os.remove)",
                  "tried to open class/zed.py (the submission's folder"):
        assert words in report, report


def test_a_huge_file_is_cut_and_nothing_is_left_behind(tmp_path):
    outside = tmp_path / "outside.bin"
    writer = ("chunk = b'x' * 2 ** 20\nprint('folder', os.getcwd())\n"
              f"for target in ('big.bin', {str(outside)!r}):\n"
              "    try:\n        with open(target, 'wb') as handle:\n"
              "            for _ in range(1536):\n                handle.write(chunk)\n"
              "    except OSError as err:\n        print(type(err).__name__, err.errno)\n")
    code, out, _, seconds = check(tmp_path, SOLUTION + BYPASS + writer)
    assert code == 1 and seconds < BOUND
    assert "| OSError 27" in out, out                         # EFBIG: the file-size limit
    assert f"your file tried to open {outside.parent.name}/outside.bin for writing" in out, out
    private = next(line.split()[-1] for line in out.splitlines() if line.startswith("| folder"))
    assert not os.path.exists(private) and not outside.exists()


@pytest.mark.parametrize("option, value", [("--timeout", "inf"), ("--timeout", "1e300"), ("--timeout", "nan"),
                                           ("--timeout", "-1"), ("--timeout", "0"), ("--timeout", "3601"),
                                           ("--jobs", "0"), ("--jobs", "-2"), ("--jobs", "1.5"), ("--memory", "0")])
def test_numeric_options_are_checked(option, value, tmp_path, capsys):
    from minattn.exercises import __main__ as cli
    (tmp_path / "alice.py").write_text(SOLUTION, encoding="utf-8")
    argv = ["grade", str(tmp_path), "--csv", str(tmp_path / "g.csv")] if option == "--jobs" else \
        ["check", str(tmp_path / "alice.py")]
    started = time.monotonic()
    with pytest.raises(SystemExit) as stop:
        cli.main(argv + [option, value])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and f"argument {option}: expected" in err and repr(value) in err, err
    assert time.monotonic() - started < BOUND and not (tmp_path / "g.csv").exists()
    assert not reaper.processes_of(f"{os.getpid()}:")


def test_the_committed_manifest_matches_the_grader():
    from minattn.exercises import integrity
    assert integrity.recorded() == integrity.digests(), \
        "the grader's files changed: record them with python -m minattn.exercises.integrity"


@pytest.mark.parametrize("change, named", [("add", "checks/evil.py"), ("remove", "starters/lstm_cell.py"),
                                           ("edit", "sandbox.py")])
def test_a_changed_grader_is_refused_by_name(change, named, tmp_path):
    from minattn.exercises import integrity
    copy = tmp_path / "exercises"
    shutil.copytree(integrity.FOLDER, copy, ignore=shutil.ignore_patterns("__pycache__"))
    integrity.verify(str(copy))                                # the copy, unchanged, passes
    target = copy / named
    if change == "remove":
        target.unlink()
    else:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write("\n")
    with pytest.raises(integrity.GraderChanged, match=f"differ from the ones it was installed with: {named}"):
        integrity.verify(str(copy))


def test_the_container_recipe_is_coherent():
    """coursework/Dockerfile installs minattn without the solutions and runs the grader; the page's commands
    (no network, read-only root, /tmp a tmpfs, the class read-only) are the Dockerfile's own."""
    with open(os.path.join(ROOT, "coursework", "Dockerfile"), encoding="utf-8") as handle:
        dockerfile = handle.read()
    with open(os.path.join(ROOT, "docs", "coursework", "grading.md"), encoding="utf-8") as handle:
        page = handle.read()
    steps = [line.split(None, 1) for line in dockerfile.splitlines() if line.strip() and not line.startswith(("#", " "))]
    copied = [word for kind, rest in steps if kind == "COPY" for word in rest.split()[:-1]]
    assert copied and all(os.path.exists(os.path.join(ROOT, path)) for path in copied)
    assert not any(path.startswith("coursework") for path in copied)           # no reference solution in the image
    assert any(kind == "RUN" and "pip install --no-cache-dir ." in rest for kind, rest in steps)
    assert ("USER", "grader") in [tuple(step) for step in steps]
    assert ("ENTRYPOINT", '["python", "-m", "minattn.exercises"]') in [tuple(step) for step in steps]
    commands = ["docker build -f coursework/Dockerfile -t minattn-grader .",
                "docker run --rm --network none --read-only --tmpfs /tmp",
                '-v "$PWD/class:/class:ro" -v "$PWD/out:/out"',
                "minattn-grader grade /class --csv /out/grades.csv --jobs 2"]
    for command in commands:
        assert command in page and command.split(" .")[0] in dockerfile, command
