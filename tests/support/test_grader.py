"""The grader against hostile submissions, class grading, Gradescope output and the benchmark script.

Each hostile file is checked with the command line's ``check`` (in this
process; the submission runs in the sandbox's child) with a 3 s timeout.
The test asserts the verdict, the exit code, the message, that the
command came back -- the elapsed-time bound is generous (timeout + 30 s),
it only tells a finished grading from a hung one -- and that no process
the grading started is left. A submission may not import ``sys``, ``os``,
``time`` or ``threading``; these classic tricks reach them round the
import rule (``BYPASS``), as a determined student could, to show that the
guards behind it hold. The escapes (processes, signals, files, sockets,
fake reports) are in ``test_grader_escapes.py``; killed and interrupted
gradings, the CPU limit and the reaper in ``test_grader_processes.py``.
"""
import csv
import json
import os
import sys
import time
from types import SimpleNamespace

import pytest

from minattn import exercises
from minattn.exercises import __main__ as cli
from minattn.exercises import reaper
from minattn.exercises.grading import grade_in
from minattn.exercises.sandbox import Sandbox

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "benchmarks"))
import bench_grader  # noqa: E402

TIMEOUT = 3
with open(os.path.join(ROOT, "coursework", "solutions", "masked_softmax.py"), encoding="utf-8") as _handle:
    SOLUTION = _handle.read()                       # a correct masked_softmax, to be spoiled
HEAD = 'EXERCISE = "masked_softmax"\n'
# sys, os, time and threading, reached without an import statement (numpy's test runner holds sys)
BYPASS = ("import numpy\nsys = numpy._pytesttester.sys\n"
          "os, time, threading = (sys.modules[name] for name in ('os', 'time', 'threading'))\n")


def in_function(line):
    """The correct solution with ``line`` run first inside masked_softmax (``BYPASS``'s names at hand)."""
    return BYPASS + SOLUTION.replace("def masked_softmax(scores, mask):\n",
                                     f"def masked_softmax(scores, mask):\n    {line}\n")


WRONG = 'EXERCISE = "masked_softmax"\n\ndef masked_softmax(scores, mask):\n    return scores * 0.0\n'
PATCH_CHECKER = """
import minattn.exercises.compare as compare, minattn.exercises.grading as grading
compare.expect_close = compare.expect_finite = compare.expect_rows_sum_to_one = lambda *a, **k: None
grading.run_check = lambda title, check: grading.Result(title, True)
grading.Report.passed = property(lambda self: True)
"""
THREAD = "threading.Thread(target=time.sleep, args=(1e9,)).start()\n"
HOSTILE = [
    # (id, source, exit code, words in the output)
    ("sys.exit at import", HEAD + BYPASS + "sys.exit(0)\n", 1, "your file exited with status 0 during import"),
    ("raise SystemExit at import", HEAD + "raise SystemExit(0)\n", 1, "your file exited with status 0 during import"),
    ("quit at import", 'EXERCISE = "masked_softmax"\nquit()\n', 1, "your file exited with status 0 during import"),
    ("os._exit at import", HEAD + BYPASS + "os._exit(0)\n", 1, "your file exited with status 0 during import"),
    ("sys.exit in the function", in_function("sys.exit(0)"), 1, "masked_softmax exited with status 0"),
    ("quit in the function", in_function("quit()"), 1, "masked_softmax exited with status 0"),
    ("os._exit in the function", in_function("os._exit(0)"), 1, "your file exited with status 0 in masked_softmax"),
    ("while True at import", 'EXERCISE = "masked_softmax"\nwhile True:\n    pass\n', 1,
     f"timed out after {TIMEOUT} s during import"),
    ("while True in the function", in_function("while True: pass"), 1, f"timed out after {TIMEOUT} s in masked_softmax"),
    ("sleep at import", HEAD + BYPASS + "time.sleep(1e9)\n", 1, f"timed out after {TIMEOUT} s during import"),
    ("sleep in the function", in_function("time.sleep(1e9)"), 1, f"timed out after {TIMEOUT} s in masked_softmax"),
    ("a non-daemon thread", SOLUTION + BYPASS + THREAD, 0, "checks passed"),
    ("importing sys", HEAD + "import sys\n", 1, "your file tried to import sys"),
    ("patching np.allclose and np.isclose", WRONG + "import numpy as np\nnp.allclose = lambda *a, **k: True\n"
     "np.isclose = lambda a, b, **k: np.ones(np.broadcast(a, b).shape, bool)\n", 1, "sums to 0, not 1"),
    ("replacing minattn's softmax", 'EXERCISE = "softmax_vjp"\nimport minattn, minattn.activations\n'
     "from autograd.extend import primitive, defvjp\nminattn.activations.softmax = lambda x, axis=-1: x\n"
     "@primitive\ndef softmax(x):\n    return x\ndefvjp(softmax, lambda ans, x: lambda g: g)\n", 1,
     "your file tried to import minattn"),
    ("replacing the grading functions", WRONG + PATCH_CHECKER, 1, "your file tried to import minattn.exercises.compare"),
    ("replacing the grading functions round the import rule", WRONG + BYPASS + "importlib = sys.modules['importlib']\n"
     + PATCH_CHECKER.replace("import minattn.exercises.compare as compare, minattn.exercises.grading as grading",
                             "compare = importlib.import_module('minattn.exercises.compare')"), 1,
     "your file tried to import minattn"),
    ("changing its input in place", in_function("scores *= 2.0"), 1,
     "masked_softmax changed its input `scores` in place"),
    ("a huge print", 'EXERCISE = "masked_softmax"\nprint("x" * 30_000_000)\n'
     'def masked_softmax(scores, mask):\n    print("y" * 5_000_000)\n    raise NotImplementedError\n', 1,
     "more bytes not shown"),
    ("a memory bomb at import", 'EXERCISE = "masked_softmax"\nhoard = [0] * 2 ** 34\n', 1, "ran out of memory"),
    ("a memory bomb in the function", in_function("import numpy; hoard = numpy.ones(2 ** 40)"), 1,
     "masked_softmax ran out of memory"),
    ("endless recursion", 'EXERCISE = "masked_softmax"\ndef masked_softmax(scores, mask):\n'
     "    return masked_softmax(scores, mask)\n", 1, "RecursionError"),
    ("a 800 MB result", in_function("import numpy; return numpy.zeros(10 ** 8)"), 1, "the grader reads at most 64 MB"),
    ("writing to the grader's pipes", SOLUTION + "import os\nfor fd in range(3, 30):\n    try:\n"
     "        os.write(fd, b'\\xff' * 64)\n    except OSError:\n        pass\n", 1, "FAIL"),
    ("a syntax error with its EXERCISE line", 'EXERCISE = "lstm_cell"\ndef lstm_cell(x, h, c, kernel, recurrent_kernel, '
     "bias)\n    return h, c\n", 1, "your file does not parse: SyntaxError: expected ':' (line 2 of alice.py)"),
    ("a file that is not UTF-8", b'EXERCISE = "masked_softmax"\nNAME = "caf\xe9"\n', 1, "Save the file as UTF-8 text"),
]


@pytest.mark.parametrize("source, code, words", [case[1:] for case in HOSTILE], ids=[case[0] for case in HOSTILE])
def test_a_hostile_submission_fails_in_words_and_in_time(source, code, words, tmp_path, capsys):
    path = tmp_path / "alice.py"
    path.write_bytes(source if isinstance(source, bytes) else source.encode("utf-8"))
    started = time.monotonic()
    exit_code = cli.main(["check", str(path), "--timeout", str(TIMEOUT)])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert exit_code == code, out
    assert words in out, out
    assert ("0 of" in out or "FAIL" in out) if code else "FAIL" not in out
    assert "timed out" in words or "timed out" not in out, out     # only a hang is stopped by the clock
    assert elapsed < TIMEOUT + 30, f"the grading took {elapsed:.0f} s"
    assert out.rstrip().splitlines()[-1].endswith("checks passed"), out   # the summary is the last line
    assert not reaper.processes_of(f"{os.getpid()}:"), "a process of the grading survived it"


def test_the_sandbox_kills_a_submission_that_keeps_a_thread_alive(tmp_path):
    path = tmp_path / "my_masked_softmax.py"
    path.write_text(SOLUTION + BYPASS + THREAD, encoding="utf-8")
    with Sandbox(timeout=30) as sandbox:
        report = grade_in(sandbox, str(path), "masked_softmax", path.read_bytes())
        pid = sandbox.process.pid
    assert report.passed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)                                  # the child is gone, thread and all


@pytest.mark.parametrize("argv_tail, words", [
    (["does_not_exist.py"], "no such file"),
    (["."], "is a folder, not a file"),
])
def test_check_usage_errors_exit_2(argv_tail, words, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["check"] + argv_tail) == 2
    assert words in capsys.readouterr().err


def test_start_into_a_missing_folder_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["start", "lstm_cell", str(tmp_path / "no" / "such") + os.sep]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_gradescope_results(tmp_path, capsys):
    path = tmp_path / "my_masked_softmax.py"
    path.write_text(WRONG, encoding="utf-8")
    results = tmp_path / "results.json"
    assert cli.main(["check", str(path), "--gradescope", str(results)]) == 1
    written = json.loads(results.read_text(encoding="utf-8"))
    tests = written["tests"]
    checks = exercises.grader("masked_softmax").checks(SimpleNamespace(masked_softmax=None))
    assert len(tests) == len(checks) + 2                      # the import, every check, then the policy
    assert {"name", "score", "max_score", "output"} <= set(tests[0])
    passed = [t["name"] for t in tests if t["output"] == "PASS"]        # the import, the gradient of 0, the policy
    assert written["score"] == sum(t["score"] for t in tests) == len(passed) == 3.0
    assert all(t["max_score"] == 1.0 for t in tests)
    assert "sums to 0, not 1" in tests[1]["output"] and tests[1]["score"] == 0.0
    assert "masked_softmax: checking" in written["output"]
    capsys.readouterr()


def test_grade_a_class_folder(tmp_path, capsys):
    folder = tmp_path / "class"
    (folder / "bob" / "part2").mkdir(parents=True)
    (folder / "alice.py").write_text(SOLUTION, encoding="utf-8")
    exercises.start("gru_cell", str(folder / "bob"))
    (folder / "bob" / "part2" / "attempt.py").write_text(WRONG, encoding="utf-8")
    (folder / "carol.py").write_text("print('hello')\n", encoding="utf-8")            # names no exercise
    (folder / "dave.py").write_text('EXERCISE = "masked_softmax"\nwhile True:\n    pass\n', encoding="utf-8")
    grades = tmp_path / "grades.csv"
    code = cli.main(["grade", str(folder), "--csv", str(grades), "--jobs", "2", "--timeout", str(TIMEOUT)])
    assert code == 1
    with open(grades, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["submission", "file", "exercise", "passed", "total", "first_failure"]
    found = {(r["submission"], r["file"]): r for r in rows}
    assert sorted(found) == [("alice", "alice.py"), ("bob", os.path.join("bob", "my_gru_cell.py")),
                             ("bob", os.path.join("bob", "part2", "attempt.py")), ("carol", "carol.py"),
                             ("dave", "dave.py")]
    alice = found["alice", "alice.py"]
    assert alice["exercise"] == "masked_softmax" and alice["passed"] == alice["total"] != "0"
    assert alice["first_failure"] == ""
    assert "NotImplementedError" in found["bob", os.path.join("bob", "my_gru_cell.py")]["first_failure"]
    assert "sums to 0" in found["bob", os.path.join("bob", "part2", "attempt.py")]["first_failure"]
    assert found["carol", "carol.py"]["exercise"] == "" and "not graded" in found["carol", "carol.py"]["first_failure"]
    dave = found["dave", "dave.py"]
    assert dave["passed"] == "0" and dave["total"] == alice["total"] and "timed out" in dave["first_failure"]
    reports = tmp_path / "grades_reports"
    assert sorted(os.listdir(reports)) == ["alice.txt", "bob.txt", "carol.txt", "dave.txt"]
    assert "my_gru_cell.py" in (reports / "bob.txt").read_text(encoding="utf-8")
    assert "graded 4 submissions, 5 files (1 with every check passed)" in capsys.readouterr().out
    assert not reaper.processes_of(f"{os.getpid()}:"), "a process of the grading survived it"
    assert cli.main(["grade", str(tmp_path / "nowhere"), "--csv", str(grades)]) == 2


def test_benchmark_script_reports_what_it_graded(capsys):
    seconds = bench_grader.main(["--students", "4", "--jobs", "2"])
    out = capsys.readouterr().out
    assert "class of 4 submissions: 2 solution, 1 starter, 1 wrong" in out
    assert "--jobs 2: graded 4 submissions (2 passed every check)" in out
    assert list(seconds) == [2] and seconds[2] > 0
