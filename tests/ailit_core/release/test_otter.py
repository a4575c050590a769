"""`ailit release --format otter`: the otter-assign master notebook, then a real `otter assign` and
`otter run` (offline; otter's Docker-based `otter grade` is not available here) on the reference
and on the student version (the stub)."""

import json

import nbformat
import pytest

from ailit_core import assignments
from ailit_core.release import hidden, main as release_main
from ailit_core.release.cells import TODO_RAISE
from tests.ailit_core.release.interop_helpers import run, tool

LANDED = [a.id for a in assignments.landed()]
A1 = assignments.get("a1_xor_backprop")


@pytest.mark.parametrize("assignment_id", LANDED)
def test_master_notebook_has_config_questions_and_points(tmp_path, assignment_id):
    assignment = assignments.get(assignment_id)
    release_main(assignment_ids=[assignment_id], out=tmp_path, fmt="otter")
    folder = tmp_path / assignment_id
    nb = nbformat.read(str(folder / f"{assignment_id}.ipynb"), as_version=4)
    nbformat.validate(nb)
    assert nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("# ASSIGNMENT CONFIG")
    questions = [c.source for c in nb.cells if c.cell_type == "raw" and c.source.startswith("# BEGIN QUESTION")]
    functions = {t.function for t in hidden.collect(assignment)}
    assert {q.splitlines()[1].removeprefix("name: ") for q in questions} >= functions
    points = [float(line.split(":")[1]) for c in nb.cells if c.cell_type == "code"
              for line in c.source.splitlines() if line.startswith("points:")]
    assert sum(points) == pytest.approx(100)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "# BEGIN SOLUTION NO PROMPT" in code and TODO_RAISE in code
    for needed in ("requirements.txt", "autograder/pytest.ini", f"autograder/{assignment_id}/conftest.py",
                   "ailit_core/notebook.py", *hidden.public_test_files(assignment)):
        assert (folder / needed).is_file(), needed


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    out = tmp_path_factory.mktemp("otter")
    release_main(assignment_ids=[A1.id], out=out, fmt="otter")
    folder = out / A1.id
    run([tool("otter"), "assign", f"{A1.id}.ipynb", "dist"], cwd=folder)
    return folder / "dist"


def otter_run(dist, notebook, out):
    (zip_path,) = (dist / "autograder").glob("*.zip")
    out.mkdir()
    run([tool("otter"), "run", "-a", str(zip_path), "-o", str(out), str(notebook)], cwd=out)
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {t["name"]: t for t in results["tests"]}


def test_student_version_has_the_stub_and_no_hidden_tests(assigned):
    text = (assigned / "student" / f"{A1.id}.ipynb").read_text(encoding="utf-8")
    assert json.dumps(TODO_RAISE, ensure_ascii=False)[1:-1] in text
    assert "check_hidden" not in text and "1.0 / (1.0 + np.exp(-x))" not in text
    assert not (assigned / "student" / "autograder").exists() and not (assigned / "student" / "ailit_core").exists()
    assert (assigned / "student" / "test_xor_net.py").is_file()
    assert "grader.check_all()" not in text and "run_tests=True" not in text, \
        "otter's own summaries would call a question of hidden tests passed"


def test_otter_run_reference_full_and_stub_zero(assigned, tmp_path):
    reference = otter_run(assigned, assigned / "autograder" / f"{A1.id}.ipynb", tmp_path / "reference")
    hidden_names = {t.function for t in hidden.collect(A1)}
    assert hidden_names <= set(reference)
    assert sum(reference[n]["score"] for n in hidden_names) == pytest.approx(100)
    assert "public_tests results: All test cases passed" in reference["public_tests"]["output"]

    stub = otter_run(assigned, assigned / "student" / f"{A1.id}.ipynb", tmp_path / "stub")
    assert sum(stub[n]["score"] for n in hidden_names) == 0
    assert "NotImplementedError" in stub["test_sigmoid_values"]["output"]
    # Hidden results are shown only as hidden results: no visible "all passed" for a 0-point question.
    assert "Public Tests" not in stub
    assert {stub[n]["visibility"] for n in hidden_names} == {"after_published"}
    assert not [t for t in stub.values() if t.get("visibility") == "visible" and "All test cases passed" in t["output"]]
