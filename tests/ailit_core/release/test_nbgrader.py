"""`ailit release --format nbgrader`: the course folder, and a real `nbgrader generate_assignment` +
`nbgrader autograde` round trip (offline): reference full marks, released stub zero, buggy partial."""

import ast
import json
import shutil

import nbformat
import pytest

from ailit_core import assignments
from ailit_core.release import hidden, main as release_main
from ailit_core.notebook import GRADING_CELL
from ailit_core.release.cells import TODO_RAISE, _is_main_guard
from ailit_core.release.nbgrader import build_notebook
from tests.ailit_core.release.interop_helpers import buggy_source, every_assignment, run, tool

LANDED = [a.id for a in assignments.landed()]
A1 = assignments.get("a1_xor_backprop")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder; each landed assignment is released into it when a test first asks."""
    out = tmp_path_factory.mktemp("nbgrader") / "course"
    done = set()

    def release(assignment_id):
        if assignment_id not in done:
            release_main(assignment_ids=[assignment_id], out=out, fmt="nbgrader")
            done.add(assignment_id)
        return out

    return release


def cells_of(course, assignment_id):
    return nbformat.read(str(course / "source" / assignment_id / f"{assignment_id}.ipynb"), as_version=4).cells


@pytest.mark.parametrize("assignment_id", LANDED)
def test_source_notebook_is_valid_nbgrader_with_the_hidden_points(course, assignment_id):
    from nbgrader.nbgraderformat import MetadataValidator

    course = course(assignment_id)
    path = course / "source" / assignment_id / f"{assignment_id}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    MetadataValidator().validate_nb(nb)
    graded = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert abs(sum(c.metadata.nbgrader.points for c in graded) - 100) < 1e-6
    assert all(c.metadata.nbgrader.locked and "### BEGIN HIDDEN TESTS" in c.source and "### END HIDDEN TESTS" in c.source
               for c in graded)
    solutions = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert solutions and all("### BEGIN SOLUTION" in c.source for c in solutions)
    assert (course / "autograder" / assignment_id).is_dir() and (course / "nbgrader_config.py").is_file()
    filename = assignments.get(assignment_id).filename
    readme = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"python {filename}" not in readme and "Public checks" in readme, "README cells speak of the notebook"
    for name in hidden.public_test_files(assignments.get(assignment_id)):
        assert (course / "source" / assignment_id / name).is_file()


def test_hints_stay_above_the_solution_region(course):
    course = course(A1.id)
    sigmoid = next(c for c in cells_of(course, A1.id) if c.metadata.get("nbgrader", {}).get("grade_id") == "sigmoid")
    lines = sigmoid.source.splitlines()
    assert lines.index("    ### BEGIN SOLUTION") == next(i for i, l in enumerate(lines) if "# HINT" in l) + 1
    assert "__main__" not in "".join(c.source for c in cells_of(course, A1.id) if c.cell_type == "code")


def test_hidden_test_cells_show_what_they_check_above_the_hidden_region(course):
    descriptions = {t.name: t.description for t in hidden.collect(A1)}
    for cell in cells_of(course(A1.id), A1.id):
        if cell.metadata.get("nbgrader", {}).get("grade"):
            visible = cell.source.split("### BEGIN HIDDEN TESTS")[0]
            name = next(n for n in descriptions if f"# {n}\n" in visible)
            assert descriptions[name].splitlines()[0] in visible


def test_rereleasing_keeps_the_instructors_config_and_the_course_id_is_a_parameter(tmp_path):
    course = tmp_path / "ml-2026"
    release_main(assignment_ids=[A1.id], out=course, fmt="nbgrader")
    config = course / "nbgrader_config.py"
    assert "c.CourseDirectory.course_id = 'ml-2026'" in config.read_text(encoding="utf-8"), "default: the folder name"
    config.write_text("c = get_config()\nc.CourseDirectory.course_id = 'mine'\n", encoding="utf-8")
    written = release_main(assignment_ids=[A1.id], out=course, fmt="nbgrader", course_id="other")
    assert config.read_text(encoding="utf-8").endswith("'mine'\n") and config not in written
    fresh = tmp_path / "fresh"
    release_main(assignment_ids=[A1.id], out=fresh, fmt="nbgrader", course_id="ai-lit-101")
    assert "course_id = 'ai-lit-101'" in (fresh / "nbgrader_config.py").read_text(encoding="utf-8")


def test_release_is_reproducible(course, tmp_path):
    course = course(A1.id)
    again = tmp_path / "course"
    release_main(assignment_ids=[A1.id], out=again, fmt="nbgrader")
    name = f"source/{A1.id}/{A1.id}.ipynb"
    assert (again / name).read_bytes() == (course / name).read_bytes()


def with_scratch_cell(notebook):
    """A correct notebook in which the student tried something that raises (a shape error), in a
    cell of their own between two answer cells."""
    at = next(i for i, c in enumerate(notebook.cells) if c.metadata.get("nbgrader", {}).get("solution")) + 1
    notebook.cells.insert(at, nbformat.v4.new_code_cell("np.ones((4, 2)) @ np.ones((3, 1))  # trying things out"))
    return notebook


@pytest.fixture(scope="module")
def autograded(tmp_path_factory):
    """One real nbgrader run over three submissions of a1: reference, released stub, buggy."""
    from nbgrader.api import Gradebook

    root = tmp_path_factory.mktemp("nbgrader-a1") / "course"
    release_main(assignment_ids=[A1.id], out=root, fmt="nbgrader")
    run([tool("nbgrader"), "generate_assignment", A1.id, "--force"], cwd=root)
    released = root / "release" / A1.id
    source_nb = root / "source" / A1.id / f"{A1.id}.ipynb"
    notebooks = {"buggy": build_notebook(A1, buggy_source(A1), hidden.collect(A1), hidden.digest(A1), []),
                 "scratch": with_scratch_cell(nbformat.read(str(source_nb), as_version=4))}
    for student, notebook in (("reference", source_nb), ("stub", released / f"{A1.id}.ipynb"), ("buggy", None),
                              ("scratch", None)):
        folder = root / "submitted" / student / A1.id
        shutil.copytree(released, folder)
        target = folder / f"{A1.id}.ipynb"
        if notebook is None:
            nbformat.write(notebooks[student], str(target))
        else:
            shutil.copy(notebook, target)
    run([tool("nbgrader"), "autograde", A1.id, "--create"], cwd=root)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        scores = {s: gradebook.find_submission(A1.id, s).score for s in ("reference", "stub", "buggy", "scratch")}
    return root, scores


def test_released_stub_has_our_placeholder_and_no_hidden_code(autograded):
    root, _ = autograded
    text = (root / "release" / A1.id / f"{A1.id}.ipynb").read_text(encoding="utf-8")
    assert json.dumps(TODO_RAISE, ensure_ascii=False)[1:-1] in text
    assert "check_hidden" not in text and "BEGIN HIDDEN TESTS" not in text
    assert "1.0 / (1.0 + np.exp(-x))" not in text, "no solution code in the student release"
    assert all(t.description.splitlines()[0] in text for t in hidden.collect(A1)), "students see what each hidden test checks"


def test_autograde_reference_full_stub_zero_buggy_partial(autograded):
    _, scores = autograded
    assert scores["reference"] == pytest.approx(100)
    assert scores["scratch"] == pytest.approx(100), "a scratch cell that raises costs nothing"
    assert scores["stub"] == 0
    assert 0 < scores["buggy"] < 100


def test_autograded_feedback_explains_the_failure(autograded):
    root, _ = autograded
    nb = nbformat.read(str(root / "autograded" / "stub" / A1.id / f"{A1.id}.ipynb"), as_version=4)
    errors = [o for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") for o in c.get("outputs", [])
              if o.output_type == "error"]
    assert errors and all("NotImplementedError" in e.evalue for e in errors)


def without_main_guard(tree: ast.Module) -> list[str]:
    return [ast.dump(node) for node in tree.body if not _is_main_guard(node)]


@pytest.mark.parametrize("assignment_id", LANDED)
def test_every_landed_notebook_holds_exactly_the_reference_module(course, assignment_id):
    """Without a kernel: the source notebook's code cells, grading cells aside, are the reference
    module statement for statement (markers and hints are comments), so grading the notebook is
    grading the module; the real nbgrader round trip below proves the rest for a1."""
    assignment = assignments.get(assignment_id)
    cells = [c.source for c in cells_of(course(assignment_id), assignment_id)
             if c.cell_type == "code" and not GRADING_CELL.search(c.source)]
    reference = ast.parse(assignment.solution_path.read_text(encoding="utf-8"))
    assert without_main_guard(ast.parse("\n\n".join(cells))) == without_main_guard(reference)


@pytest.mark.slow
@every_assignment
@pytest.mark.parametrize("assignment_id", [i for i in LANDED if i != A1.id])
def test_every_landed_notebook_grades_like_its_module(assignment_id):
    """The source notebook's code cells, as the kernel would run them, make a module that earns
    full marks from the hidden suite (the full nbgrader round trip above is run for a1)."""
    from ailit_core import paths
    from ailit_core.notebook import grade_source, module_source, notebook_cells

    assignment = assignments.get(assignment_id)
    nb = build_notebook(assignment, assignment.solution_path.read_text(encoding="utf-8"), hidden.collect(assignment),
                        hidden.digest(assignment), [])
    results = grade_source(assignment_id, module_source(notebook_cells(nb)), paths.project_root())
    assert results["score"] == pytest.approx(100), results.get("output")
