"""ailit_core.notebook: a notebook's code cells become the graded module, graded by the engine."""

import shutil
import subprocess
import sys

import pytest

from ailit_core import assignments, paths
from ailit_core import notebook as nb
from ailit_core.release.files import release_files

A1 = assignments.get("a1_xor_backprop")


def test_module_source_keeps_code_cells_in_order_and_drops_grading_cells():
    cells = ["", "import numpy as np", "def f():\n    return 1",
             "from ailit_core.notebook import check_hidden\ncheck_hidden('a1', 't')",
             "# Initialize Otter\nimport otter\ngrader = otter.Notebook('a.ipynb')",
             'grader.check("q1")', 'notebook_ab12cd().check("q1")', "grader.check_all()",
             "def f():\n    return 2"]
    source = nb.module_source(cells)
    assert "otter" not in source and "check_hidden" not in source and "grader" not in source
    namespace = {}
    exec(compile(source, "m.py", "exec"), namespace)
    assert namespace["f"]() == 2, "a later cell redefining f wins, as in the kernel"


def test_module_source_counts_a_rerun_cell_once_and_hoists_future_imports():
    cell = '"""Doc."""\nfrom __future__ import annotations\nCOUNT = [0]'
    source = nb.module_source([cell, "COUNT[0] += 1", cell, "def g(x: undefined_name) -> int:\n    return 1"])
    assert source.startswith("from __future__ import annotations\n")
    namespace = {}
    exec(compile(source, "m.py", "exec"), namespace)
    assert namespace["COUNT"] == [1]
    assert namespace["g"](0) == 1  # annotations not evaluated: the future import applies to every cell


def test_a_cell_that_raises_is_named_and_the_other_cells_still_define(capsys):
    cells = ["import numpy as np", 'TEXT = """a\n  b"""\ndef f():\n    return TEXT',
             "np.zeros((2, 3)) @ np.zeros((2, 3))  # a scratch cell with a shape error\ndef g():\n    return 1",
             "def broken(:\n    pass", "def h():\n    return 3", "def f():\n    return 'later wins'"]
    namespace = {"__name__": "m"}
    exec(compile(nb.module_source(cells), "m.py", "exec"), namespace)
    assert namespace["h"]() == 3 and namespace["f"]() == "later wins"
    assert namespace["TEXT"] == "a\n  b", "string literals spanning lines are kept as written"
    errors = namespace[nb.CELL_ERRORS]
    assert len(errors) == 2 and errors[0].startswith("code cell 3 raised ValueError") and "code cell 4" in errors[1]
    assert "code cell 3 raised ValueError" in capsys.readouterr().err
    with pytest.raises(AttributeError, match=r"'g' is not defined: notebook code cell 3 raised ValueError"):
        namespace["__getattr__"]("g")
    assert "In [7]" in nb.module_from_history(["", "x = 1"] + [""] * 5 + ["raise KeyError('k')"])


def test_without_failing_cells_a_missing_name_is_the_usual_attribute_error():
    namespace = {"__name__": "m"}
    exec(compile(nb.module_source(["x = 1"]), "m.py", "exec"), namespace)
    with pytest.raises(AttributeError, match="module 'm' has no attribute 'y'"):
        namespace["__getattr__"]("y")


def test_magics_do_nothing_but_cell_magics_still_define():
    from IPython.core.inputtransformer2 import TransformerManager

    cells = [TransformerManager().transform_cell(c) for c in
             ["%matplotlib inline\nx = 1", "!pip install nothing", "%%time\ndef h():\n    return x + 1", "display(x)"]]
    source = nb.module_source(cells)
    namespace = {}
    exec(compile(source, "m.py", "exec"), namespace)
    assert namespace["h"]() == 2


def test_notebook_cells_reads_saved_notebooks(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    doc = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), nbformat.v4.new_code_cell("%time y = 2"),
                                          nbformat.v4.new_code_cell("z = y + 1")])
    path = tmp_path / "n.ipynb"
    nbformat.write(doc, str(path))
    namespace = {}
    exec(compile(nb.module_source(nb.notebook_cells(path)), "m.py", "exec"), namespace)
    assert namespace["z"] == 3


def test_history_needs_a_kernel_or_an_In_list():
    assert nb.history({"In": ["", "x = 1"]}) == ["", "x = 1"]
    with pytest.raises(nb.NotebookGradingError, match="Jupyter"):
        nb.history({})


def test_check_hidden_passes_the_reference_and_explains_failures_of_the_stub():
    reference = A1.solution_path.read_text(encoding="utf-8")
    stub = release_files(A1)[A1.filename].decode("utf-8")
    digest = nb.suite_digest(paths.autograder_dir(), A1.id)
    nb.check_hidden(A1.id, "test_sigmoid_values", {"In": ["", reference]}, digest=digest)
    nb.check_hidden(A1.id, "test_feedforward_matches_math[3-5-2]", {"In": ["", reference]}, digest=digest)
    scratch = {"In": ["", reference, "net = NeuralNetwork(2, 3, 1)\nnet.feedforward(np.ones((4, 5)))  # shape error"]}
    nb.check_hidden(A1.id, "test_sigmoid_values", scratch, digest=digest)  # a failing scratch cell costs nothing
    with pytest.raises(AssertionError) as failure:
        nb.check_hidden(A1.id, "test_sigmoid_values", {"In": ["", stub]}, digest=digest)
    assert "sigmoid(x) = 1 / (1 + exp(-x))" in str(failure.value)  # the test's description
    assert "NotImplementedError" in str(failure.value)  # and why it failed
    with pytest.raises(AssertionError, match="did not run"):
        nb.check_hidden(A1.id, "test_no_such_test", {"In": ["", reference]}, digest=digest)


def test_hidden_root_prefers_a_shipped_suite_and_rejects_one_that_differs(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(paths.autograder_dir() / A1.id, course / "autograder" / A1.id)
    shutil.copy(paths.autograder_dir() / "pytest.ini", course / "autograder" / "pytest.ini")
    deep = course / "autograded" / "student" / A1.id
    deep.mkdir(parents=True)
    digest = nb.suite_digest(paths.autograder_dir(), A1.id)
    assert nb.hidden_root(A1.id, digest, start=deep) == course
    (course / "autograder" / A1.id / "test_hidden_xor_net.py").write_text("def test_x():\n    pass\n")
    assert nb.hidden_root(A1.id, digest, start=deep) == paths.project_root(), "a tampered copy is skipped"
    with pytest.raises(nb.NotebookGradingError, match="not found"):
        nb.hidden_root(A1.id, "0" * 16, start=deep)


def test_public_checks_run_the_public_tests_beside_the_notebook(tmp_path, monkeypatch):
    public = A1.solution_dir / "public_tests"
    for f in public.glob("test_*.py"):
        shutil.copy(f, tmp_path / f.name)
    files = sorted(f.name for f in public.glob("test_*.py"))
    monkeypatch.chdir(tmp_path)
    reference = A1.solution_path.read_text(encoding="utf-8")
    nb.check_public(A1.id, "test_sigmoid", {"In": [reference]}, files=files)
    stub = release_files(A1)[A1.filename].decode("utf-8")
    with pytest.raises(AssertionError, match="NotImplementedError"):
        nb.check_public(A1.id, "test_sigmoid", {"In": [stub]}, files=files)
    with pytest.raises(nb.NotebookGradingError, match="not found"):
        nb.check_public(A1.id, "test_sigmoid", {"In": [stub]}, files=["test_missing.py"])


def test_the_graded_module_imports_without_ipython_installed(tmp_path):
    source = nb.module_source(["get_ipython().run_line_magic('matplotlib', 'inline')\nVALUE = 3"])
    (tmp_path / "m.py").write_text(source)
    code = "import sys; sys.modules['IPython'] = None; sys.path.insert(0, sys.argv[1]); import m; print(m.VALUE)"
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_grading_output_never_reaches_the_cell(capfd):
    """nbgrader scores a grade cell that wrote to stderr as 0, so grading must print nothing."""
    import os
    import warnings

    with nb._silenced() as captured:
        os.write(2, b"fd-level\n")
        print("python-level", file=sys.stderr)
        warnings.warn("a warning")
        subprocess.run([sys.executable, "-c", "import sys; sys.stderr.write('child\\n')"], check=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert all(text in captured[0] for text in ("fd-level", "python-level", "child"))


def test_ailit_grade_gives_a_correct_notebook_with_a_failing_scratch_cell_full_marks(tmp_path):
    """`ailit grade` on `<student>.ipynb`: a cell that raises and one that does not parse cost
    nothing when the definitions are right."""
    nbformat = pytest.importorskip("nbformat")
    from ailit_core import grade

    reference = A1.solution_path.read_text(encoding="utf-8")
    doc = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(reference),
        nbformat.v4.new_code_cell("net = NeuralNetwork(2, 3, 1)\nnet.feedforward(np.ones((4, 5)))  # shape error"),
        nbformat.v4.new_code_cell("for i in range(3)\n    print(i)"),
    ])
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(doc, str(submissions / "alice.ipynb"))
    # bob's definition of sigmoid_derivative sits after the line that raises: the tests that need it
    # fail, and say which cell to fix.
    head, tail = reference.split("def sigmoid_derivative", 1)
    rest = "def sigmoid_derivative" + tail
    derivative, after = rest.split("\n\n\n", 1)
    bob = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(head + after),
                                          nbformat.v4.new_code_cell("1 / 0\n" + derivative)])
    nbformat.write(bob, str(submissions / "bob.ipynb"))
    results = {r.student: r for r in grade.main(submissions_dir=submissions, assignment_id=A1.id, out=tmp_path / "out",
                                                quiet=True)}
    assert results["alice"].score == pytest.approx(100), results["alice"].message
    assert 0 < results["bob"].score < 100
    messages = [t["message"] for t in results["bob"].tests if t["outcome"] != "passed"]
    assert any("code cell 2 raised ZeroDivisionError" in m for m in messages), messages
