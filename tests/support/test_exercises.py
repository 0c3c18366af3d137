"""The coursework: every starter fails its checker, every solution passes, known mistakes get their message."""
import ast
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from minattn import exercises
from minattn.exercises import __main__ as cli
from minattn.exercises import compare
from minattn.exercises.compare import NOT_IMPLEMENTED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOLUTIONS = os.path.join(ROOT, "coursework", "solutions")
DOCS = os.path.join(ROOT, "docs", "coursework")
STARTERS = os.path.join(ROOT, "minattn", "exercises", "starters")
CHECKS = os.path.join(ROOT, "minattn", "exercises", "checks")


def solution(name):
    return os.path.join(SOLUTIONS, f"{name}.py")


def modules_in(folder, ext=".py"):
    return {f[:-len(ext)] for f in os.listdir(folder) if f.endswith(ext) and f != "__init__.py"}


def failures(report):
    return [r for r in report.results if not r.passed]


# -- every exercise has its four pieces -------------------------------------
def test_every_exercise_has_grader_starter_solution_and_page():
    names = set(exercises.EXERCISES)
    assert len(names) >= 13
    assert modules_in(CHECKS) == names
    assert modules_in(STARTERS) == names
    assert modules_in(SOLUTIONS) == names
    assert modules_in(DOCS, ".md") - {"index", "grading"} == names


def test_index_lists_every_exercise_in_order():
    with open(os.path.join(DOCS, "index.md"), encoding="utf-8") as handle:
        index = handle.read()
    positions = [index.find(f"]({name}.md)") for name in exercises.EXERCISES]
    assert -1 not in positions and positions == sorted(positions)


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_page_says_how_to_check(name):
    with open(os.path.join(DOCS, f"{name}.md"), encoding="utf-8") as handle:
        page = handle.read()
    assert f"python -m minattn.exercises check my_{name}.py" in page
    assert f"python -m minattn.exercises start {name}" in page


def test_coursework_links_resolve():
    for page in os.listdir(DOCS):
        with open(os.path.join(DOCS, page), encoding="utf-8") as handle:
            links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", handle.read())
        for link in links:
            if not link.startswith(("http:", "https:")):
                assert os.path.exists(os.path.join(DOCS, link)), f"{page} links to missing {link}"


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_starter_is_packaged_and_declares_its_exercise(name):
    text = exercises.starter_text(name)
    assert f'EXERCISE = "{name}"' in text and "NotImplementedError" in text
    for function in exercises.grader(name).FUNCTIONS:
        assert f"def {function}(" in text


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_starter_and_solution_import_only_what_the_grader_allows(name):
    """The grader's policy lets a student's file import ``policy.ALLOWED_IMPORTS``: the starter's imports, and
    the solution's, must be among them (else a correct file would fail its last check)."""
    from minattn.exercises.policy import ALLOWED_IMPORTS
    for path in (os.path.join(STARTERS, f"{name}.py"), solution(name)):
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert imported and {module.split(".")[0] for module in imported} <= ALLOWED_IMPORTS, (path, imported)


# -- starters fail, solutions pass, known mistakes get their message ----------
# One class folder graded once, with two jobs: a submission of every solution, one of every untouched
# starter, and one of every known mistake. The grader runs files in parallel, not pytest.
MISTAKES = [
    # (exercise, text in the solution, replaced by, expected words in a failure ("title: message")); texts may be tuples
    ("lstm_cell", "forget_gate = sigmoid(z[:, units:2 * units])\n    candidate = anp.tanh(z[:, 2 * units:3 * units])",
     "forget_gate = sigmoid(z[:, 2 * units:3 * units])\n    candidate = anp.tanh(z[:, units:2 * units])",
     "your gates are in the order i, c, f, o? Keras uses i, f, c, o"),
    ("lstm_cell", "return output_gate * anp.tanh(new_c), new_c", "return (output_gate * anp.tanh(new_c)).T, new_c",
     "expected (2, 4) = (batch, units)"),
    ("lstm_cell", "import autograd.numpy as anp", "import numpy as anp", "autograd could not differentiate"),
    ("lstm_cell", "return 0.5 * (anp.tanh(0.5 * z) + 1.0)", "return 1.0 / (1.0 + anp.exp(-z))",
     "give finite gradients: a sigmoid that does not overflow: autograd's gradient of lstm_cell"),
    ("lstm_cell", "new_c = forget_gate * c + input_gate * candidate",
     "c *= forget_gate\n    c += input_gate * candidate\n    new_c = c", "lstm_cell changed its input `c` in place"),
    ("softmax_vjp", "x - np.max(x, axis=-1, keepdims=True)", "x", "exp(1000) overflows"),
    ("softmax_vjp", "exps = np.exp(x - np.max(x, axis=-1, keepdims=True))",
     "x *= 2.0\n    exps = np.exp(x - np.max(x, axis=-1, keepdims=True))", "softmax changed its input `x` in place"),
    ("softmax_vjp", "ans * (g - np.sum(g * ans, axis=-1, keepdims=True))", "g * ans * (1 - ans)",
     "The VJP you registered with defvjp is wrong"),
    ("softmax_vjp", "@primitive\n", "", "softmax is not an autograd primitive"),
    ("masked_softmax", "return anp.where(mask, weights, 0.0)", "return weights", "has every key masked"),
    ("masked_softmax", "shifted = anp.where(mask, scores, -1e9)", "shifted = scores",
     "leave the masked scores out of the softmax itself"),
    ("masked_softmax", ("anp.where(mask, scores, -1e9)", "anp.where(mask, weights, 0.0)"),
     ("scores - 10.0 * ~mask", "weights"), "the masked key at index"),
    ("masked_softmax", "shifted = shifted - anp.max(shifted, axis=-1, keepdims=True)", "",
     "in float64: masked_softmax is nan"),
    ("gru_cell", "return update * h + (1.0 - update) * candidate", "return (1.0 - update) * h + update * candidate",
     "h' = (1 - z) h + z hh"),
    ("gru_cell", "update = sigmoid(from_input[:, :units] + from_state[:, :units])\n"
                 "    reset = sigmoid(from_input[:, units:2 * units] + from_state[:, units:2 * units])",
     "reset = sigmoid(from_input[:, :units] + from_state[:, :units])\n"
     "    update = sigmoid(from_input[:, units:2 * units] + from_state[:, units:2 * units])",
     "your gates are in the order r, z, h?"),
    ("gru_cell", "from_state = anp.dot(h, recurrent_kernel) + bias[1]", "from_state = anp.dot(h, recurrent_kernel)",
     "left out the recurrent bias"),
    ("gru_cell", "return 0.5 * (anp.tanh(0.5 * z) + 1.0)", "return 1.0 / (1.0 + anp.exp(-z))",
     "overflows for z below about -709"),
    ("attention_pooling", " + bias[:, 0]", "", "never adds it"),
    ("attention_pooling", "anp.exp(scores - anp.max(scores, axis=1, keepdims=True))", "anp.exp(scores)",
     "x 1000: exp overflows without the max subtracted) give finite values: weights is nan"),
    ("attention_pooling", "return pooled, weights", "return weights, pooled",
     "you returned (weights, pooled); return (pooled, weights)"),
    ("scaled_dot_attention", " / np.sqrt(d)", "", "your scores are not scaled"),
    ("scaled_dot_attention", "allowed = np.tril(allowed)", "allowed = np.triu(allowed)", "may only see keys j <= i"),
    ("scaled_dot_attention", "anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))", "anp.exp(scores)",
     "(queries x 1000: exp overflows without the max subtracted) give finite values: weights is nan"),
    ("scaled_dot_attention", "anp.matmul(query, anp.swapaxes(keys, -1, -2))", "anp.matmul(query, keys)",
     "scaled_dot_attention failed on the shapes of its arrays (line 10 of"),
    ("scaled_dot_attention", "return anp.matmul(weights, values), weights", "return weights, anp.matmul(weights, values)",
     "you returned (weights, context); return (context, weights)"),
    ("additive_score", "anp.dot(anp.tanh(pairs), v)", "anp.dot(pairs, v)", "you left out the tanh"),
    ("additive_score", "anp.tanh(pairs)", "((anp.exp(2 * pairs) - 1) / (anp.exp(2 * pairs) + 1))",
     "the scores is nan at index"),
    ("local_p_weights", "sigma = window / 2.0", "sigma = float(window)", "sigma = D / 2"),
    ("local_p_weights", "<= window", "< window", "your window leaves out its ends"),
    ("local_p_weights", "(source_lengths - 1.0) * 0.5", "source_lengths * 0.5", "multiply the sigmoid by (source_lengths - 1)"),
    ("squeeze_excite", "anp.clip(anp.dot(squeezed, squeeze_kernel) + squeeze_bias, 0.0, 6.0)",
     "anp.maximum(anp.dot(squeezed, squeeze_kernel) + squeeze_bias, 0.0)", "uses relu6"),
    ("squeeze_excite", "anp.clip(logits / 6.0 + 0.5, 0.0, 1.0)", "anp.clip(0.2 * logits + 0.5, 0.0, 1.0)",
     "Keras 2's clip(0.2 z + 0.5, 0, 1)"),
    ("adam_update", "step_size = learning_rate * np.sqrt(1.0 - beta_2 ** step) / (1.0 - beta_1 ** step)",
     "step_size = learning_rate", "you left out the bias correction"),
    ("adam_update", "return param - step_size * new_m / (np.sqrt(new_v) + epsilon), new_m, new_v",
     "return (param - learning_rate * (new_m / (1 - beta_1 ** step)) / (np.sqrt(new_v / (1 - beta_2 ** step)) + epsilon),"
     " new_m, new_v)", "tiny gradients: epsilon is added to sqrt(v) after the bias correction, as Keras does: you used "
     "the paper's"),
    ("adam_update", "new_m = beta_1 * m + (1.0 - beta_1) * grad",
     "m *= beta_1\n    m += (1.0 - beta_1) * grad\n    new_m = m", "adam_update changed its input `m` in place"),
    ("adam_update", "return param - step_size * new_m / (np.sqrt(new_v) + epsilon), new_m, new_v",
     "return param - step_size * new_m / (np.sqrt(new_v) + epsilon), new_v, new_m",
     "you returned (new_param, new_v, new_m)"),
    ("layer_norm_vjp", "np.mean(centred ** 2, axis=-1, keepdims=True)", "np.var(x, axis=-1, ddof=1, keepdims=True)",
     "you used the sample variance"),
    ("layer_norm_vjp", "np.mean(centred ** 2, axis=-1, keepdims=True)",
     "(np.mean(x ** 2, axis=-1, keepdims=True) - np.mean(x, axis=-1, keepdims=True) ** 2)",
     "rows far from 0 (1e7 + noise): the variance from x - mean, not E[x^2] - E[x]^2: your variance is E[x^2]"),
    ("layer_norm_vjp", "np.sum(g * x_hat, axis=tuple(range(x.ndim - 1)))", "np.sum(g, axis=tuple(range(x.ndim - 1)))",
     "The VJPs you registered with defvjp are wrong"),
    ("multi_head_attention", ("(batch, steps, num_heads, width // num_heads)", "return anp.transpose(x, (0, 2, 1, 3)) "),
     ("(batch, num_heads, steps, width // num_heads)", "return x  # "), "mixes the time steps"),
    ("multi_head_attention", "/ np.sqrt(q.shape[-1])", "/ np.sqrt(query.shape[-1])", "you scaled by sqrt(dq)"),
    ("multi_head_attention", "anp.exp(scores - anp.max(scores, axis=-1, keepdims=True))", "anp.exp(scores)",
     "exp overflows without the max subtracted) give finite values: weights is nan"),
    ("rnn_bptt", "dh = da @ recurrent_kernel.T ", "dh = 0.0 * (da @ recurrent_kernel.T) ",
     "your gradient does not flow back through time"),
    ("rnn_bptt", "da = dh * (1.0 - hs[:, t] ** 2)", "da = dh", "you left out tanh's derivative"),
    ("rnn_bptt", "drecurrent_kernel += previous.T @ da", "drecurrent_kernel += hs[:, t].T @ da",
     "it needs the state the step started from"),
    ("rnn_bptt", "h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel + bias)",
     "h = np.tanh(x[:, t] @ kernel + h @ recurrent_kernel.T + bias)", "you used recurrent_kernel transposed"),
]


def mistaken_source(name, right, wrong):
    with open(solution(name), encoding="utf-8") as handle:
        source = handle.read()
    pairs = zip(right, wrong) if isinstance(right, tuple) else [(right, wrong)]
    for right_text, wrong_text in pairs:
        assert right_text in source, f"the solution of {name} changed: update this test's mistake {right_text!r}"
        source = source.replace(right_text, wrong_text)
    return source


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """``{(kind, key): Report}`` for the solutions, the starters and the mistakes, graded as one class."""
    folder = tmp_path_factory.mktemp("class")
    for kind in ("solutions", "starters", "mistakes"):
        (folder / kind).mkdir()
    for name in exercises.EXERCISES:
        (folder / "solutions" / f"{name}.py").write_text(open(solution(name), encoding="utf-8").read(), "utf-8")
        exercises.start(name, str(folder / "starters"))
    for number, (name, right, wrong, _) in enumerate(MISTAKES):
        (folder / "mistakes" / f"wrong{number:02d}_{name}.py").write_text(mistaken_source(name, right, wrong), "utf-8")
    graded = exercises.grade_folder(str(folder), str(folder / "grades.csv"), jobs=2)
    by_file = {os.path.relpath(path, folder): report for path, report in graded.by_file.items()}
    return graded, by_file


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_starter_fails_as_not_implemented(name, graded_class):
    report = graded_class[1][os.path.join("starters", f"my_{name}.py")]
    assert report.exercise == name and not report.passed
    assert failures(report) and all(NOT_IMPLEMENTED in r.message for r in failures(report)), report.text()


@pytest.mark.parametrize("name", exercises.EXERCISES)
def test_solution_passes(name, graded_class):
    report = graded_class[1][os.path.join("solutions", f"{name}.py")]
    assert report.passed, report.text()
    assert len(report.results) >= 6


@pytest.mark.parametrize("number", range(len(MISTAKES)), ids=[f"{m[0]}-{m[3][:24]}" for m in MISTAKES])
def test_known_mistake_gets_its_message(number, graded_class):
    name, _, _, message = MISTAKES[number]
    report = graded_class[1][os.path.join("mistakes", f"wrong{number:02d}_{name}.py")]
    assert not report.passed
    assert any(message in f"{r.title}: {r.message}" for r in failures(report)), report.text()


def test_the_class_csv_has_a_row_per_file(graded_class):
    graded, by_file = graded_class
    assert graded.submissions == ["mistakes", "solutions", "starters"]
    assert len(graded.rows) == len(by_file) == 2 * len(exercises.EXERCISES) + len(MISTAKES)
    solutions = [r for r in graded.rows if r["submission"] == "solutions"]
    assert all(r["passed"] == r["total"] > 0 and r["first_failure"] == "" for r in solutions)


def test_a_mismatch_shows_enough_digits_to_differ():
    assert compare.distinct(1.0000001, 1.0) == ("1.0000001", "1")
    assert compare.distinct(0.25, 0.5) == ("0.25", "0.5")
    with pytest.raises(compare.CheckFailure, match=r"yours 1\.0000001, expected 1\b"):
        compare.expect_close(np.array([1.0000001]), np.array([1.0]), "x", rtol=0.0, atol=0.0)


# -- finding the exercise ------------------------------------------------------
def test_exercise_from_file_name_when_not_declared(tmp_path):
    with open(solution("gru_cell"), encoding="utf-8") as handle:
        source = handle.read().replace('EXERCISE = "gru_cell"', "")
    path = tmp_path / "my_gru_cell.py"
    path.write_text(source, encoding="utf-8")
    assert exercises.exercise_of(str(path)) == "gru_cell"
    assert exercises.check_file(str(path)).passed


@pytest.mark.parametrize("text", ["def f():\n    pass\n", 'EXERCISE = "lstm"\n'])
def test_unknown_exercise_is_a_clear_error(text, tmp_path, capsys):
    path = tmp_path / "homework.py"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(exercises.UnknownExercise, match="lstm_cell"):
        exercises.check_file(str(path))
    assert cli.main(["check", str(path)]) == 2
    assert "squeeze_excite" in capsys.readouterr().err


def test_missing_function_fails_with_its_name(tmp_path):
    path = tmp_path / "my_lstm_cell.py"
    path.write_text("def lstm(x):\n    return x\n", encoding="utf-8")
    report = exercises.check_file(str(path))
    assert not report.passed and "no function named lstm_cell" in report.results[0].message


# -- the command line ----------------------------------------------------------
def test_list_prints_every_exercise_in_order(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    positions = [out.find(f" {name} ") for name in exercises.EXERCISES]
    assert -1 not in positions and positions == sorted(positions)


def test_start_copies_the_starter_and_never_overwrites(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["start", "lstm_cell"]) == 0
    written = tmp_path / "my_lstm_cell.py"
    assert written.read_text(encoding="utf-8") == exercises.starter_text("lstm_cell")
    written.write_text("# my work\n", encoding="utf-8")
    assert cli.main(["start", "lstm_cell"]) == 2
    assert written.read_text(encoding="utf-8") == "# my work\n"
    assert "already exists" in capsys.readouterr().err
    assert cli.main(["start", "no_such_exercise"]) == 2


def test_check_command_exit_codes(tmp_path):
    starter = exercises.start("masked_softmax", str(tmp_path))
    run = [sys.executable, "-m", "minattn.exercises", "check"]
    passing = subprocess.run(run + [solution("masked_softmax")], capture_output=True, text=True, cwd=ROOT)
    failing = subprocess.run(run + [starter], capture_output=True, text=True, cwd=ROOT)
    assert passing.returncode == 0 and "FAIL" not in passing.stdout and "PASS" in passing.stdout
    assert failing.returncode == 1 and "FAIL" in failing.stdout and NOT_IMPLEMENTED in failing.stdout
