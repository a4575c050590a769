"""The nbgrader release: a course folder whose ``source/<id>/<id>.ipynb`` is built from the single source.

Layout written under OUT (the course root; run nbgrader from there)::

    nbgrader_config.py            course id, placeholder text, execution timeout (only if none exists)
    source/<id>/<id>.ipynb        README cells, the module as solution cells, hidden-test cells
    source/<id>/test_*.py         the public tests (nbgrader copies them into the student release)
    autograder/                   the hidden suite (pytest.ini, <id>/), found by the test cells

Solution cells carry ``### BEGIN SOLUTION`` regions (the hints stay above them). Every hidden test
case becomes one locked, autograded cell worth that case's points; its code sits between
``### BEGIN HIDDEN TESTS`` markers and calls ``ailit_core.notebook.check_hidden``, which grades the
notebook's code with the same suite and engine as ``ailit grade`` (see that module for why), so a
notebook and the equivalent ``.py`` get the same points. The hidden pytest code itself never enters
the notebook: it stays in ``autograder/`` of the course folder, which students never receive.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import v4

from ailit_core import assignments
from ailit_core.assignments import Assignment
from ailit_core.release import hidden
from ailit_core.release.cells import TODO_RAISE, check_no_foreign_markers, notebook_readme, readme_cells, rewrite_regions, split_module

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SCHEMA_VERSION = 3
# nbgrader treats any line containing these as its markers.
FOREIGN_MARKERS = {
    "a solution marker": re.compile(r"(BEGIN|END) SOLUTION"),
    "a hidden-tests marker": re.compile(r"(BEGIN|END) HIDDEN TESTS"),
}
SLOWEST_SUITE_MARGIN_S = 120


def grade_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-")[:60]


def _meta(grade_id_: str, *, grade: bool, solution: bool, locked: bool, points: float | None = None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id_, "locked": locked, "schema_version": SCHEMA_VERSION,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def _nbgrader_region(indent: str, hints: list[str], code: list[str]) -> list[str]:
    return hints + [f"{indent}### BEGIN SOLUTION", *code, f"{indent}### END SOLUTION"]


def intro(assignment: Assignment) -> str:
    return (
        f"**Notebook edition / Notebook 版本.** The code cells below are `{assignment.filename}`. Replace every "
        f"`raise NotImplementedError(...)` in the answer cells. The hidden-test cells at the end grade your "
        f"notebook exactly as `ailit grade` grades `{assignment.filename}`: your code cells, in order, form that "
        f"module (cells you add run too), so keep the notebook runnable from top to bottom (Restart & Run All).\n\n"
        f"下面的代码单元就是 `{assignment.filename}`。请替换答题单元中的每一个 `raise NotImplementedError(...)`。"
        f"末尾的隐藏测试单元与 `ailit grade` 评分 `{assignment.filename}` 的方式完全相同：你的代码单元按顺序"
        f"组成该模块（你新增的单元也会运行），请确保 notebook 能从头到尾顺利运行（Restart & Run All）。"
    )


def build_notebook(assignment: Assignment, source: str, tests: list[hidden.HiddenTest], digest: str,
                   public_files: list[str]) -> nbformat.NotebookNode:
    """The instructor's (source) notebook for ``source``, a module with ``# BEGIN SOLUTION`` regions."""
    check_no_foreign_markers(source, FOREIGN_MARKERS, "nbgrader")
    cells = []

    def add(cell, cell_id: str):
        cell["id"] = grade_id(cell_id)  # stable ids: regenerating gives the same notebook
        cells.append(cell)

    readme = notebook_readme((assignment.solution_dir / "README.md").read_text(encoding="utf-8"), assignment.filename)
    for i, text in enumerate(readme_cells(readme)):
        add(v4.new_markdown_cell(text), f"readme-{i}")
    add(v4.new_markdown_cell(intro(assignment)), "notebook-edition")

    names: dict[str, int] = {}
    for chunk in split_module(source):
        names[chunk.name] = names.get(chunk.name, 0) + 1
        cid = chunk.name if names[chunk.name] == 1 else f"{chunk.name}-{names[chunk.name]}"
        text = "\n".join(rewrite_regions(chunk.lines, _nbgrader_region))
        cell = v4.new_code_cell(text)
        if chunk.has_solution:
            cell.metadata.update(_meta(grade_id(cid), grade=False, solution=True, locked=False))
        add(cell, cid)

    if public_files:
        add(v4.new_markdown_cell(
            "## Public checks / 公开自测\n\nRun the public tests on your notebook (they check the basics; "
            "grading uses the hidden tests below). / 用公开测试检查你的 notebook（仅检查基础，评分使用下方的隐藏测试）。"),
            "public-checks-intro")
        add(v4.new_code_cell(
            "from ailit_core.notebook import run_public_tests\n"
            f"run_public_tests({assignment.id!r}, files={public_files!r})"), "public-checks")

    add(v4.new_markdown_cell(
        "## Hidden tests / 隐藏测试\n\nEach cell below is one hidden test: it shows what it checks and its points; "
        "the test itself runs when your notebook is graded, and its result comes with your feedback. Do not edit "
        "or delete these cells. / 下面每个单元是一个隐藏测试，单元内写明检查内容与分值；测试在评分时运行，结果随反馈公布。"
        "请勿修改或删除这些单元。"), "hidden-tests-intro")
    for number, test in enumerate(tests, 1):
        description = "\n".join(f"# {line}" for line in (test.description or test.name).splitlines())
        body = "\n".join([  # what it checks stays above the hidden region, so students see it
            f"# Hidden test {number} / 隐藏测试 {number}: {test.points:g} points / {test.points:g} 分",
            f"# {test.name}",
            description,
            "### BEGIN HIDDEN TESTS",
            "from ailit_core.notebook import check_hidden",
            f"check_hidden({assignment.id!r}, {test.name!r}, digest={digest!r})",
            "### END HIDDEN TESTS",
        ])
        cell = v4.new_code_cell(body)
        gid = grade_id(f"hidden-{test.name}")
        cell.metadata.update(_meta(gid, grade=True, solution=False, locked=True, points=test.points))
        add(cell, gid)

    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def config_text(chosen: list[Assignment], course_id: str) -> str:
    # Over every landed assignment, so releasing one assignment into a course never lowers it.
    timeout = max(a.timeout_s for a in [*chosen, *assignments.landed()]) + SLOWEST_SUITE_MARGIN_S
    return f'''"""nbgrader configuration of the course folder (written by `ailit release --format nbgrader`).

Run nbgrader from this folder: `nbgrader generate_assignment <id>`, then `nbgrader autograde <id>`.
Yours to edit: releasing again keeps this file (delete it to get the default back).
"""

c = get_config()  # noqa: F821 -- nbgrader provides get_config when it loads this file

c.CourseDirectory.course_id = {course_id!r}
# Students see the same placeholder as in the .py release of the assignment.
c.ClearSolutions.code_stub = {{"python": {TODO_RAISE!r}}}
# The first hidden-test cell runs the whole hidden suite in one child process (as `ailit grade`
# does); the others reuse its results. Allow it the slowest assignment's grading limit.
c.Execute.timeout = {timeout}
'''


def write_course(chosen: list[Assignment], out: Path, course_id: str | None = None) -> list[Path]:
    """Release ``chosen`` into the course folder ``out``; ``course_id`` defaults to the folder's name.
    An existing ``nbgrader_config.py`` is the instructor's and is kept as it is."""
    out = Path(out)
    written = []
    for assignment in chosen:
        folder = out / "source" / assignment.id
        folder.mkdir(parents=True, exist_ok=True)
        public = hidden.public_test_files(assignment)
        for rel, data in public.items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            written.append(target)
        nb = build_notebook(assignment, assignment.solution_path.read_text(encoding="utf-8"),
                            hidden.collect(assignment), hidden.digest(assignment), sorted(public))
        target = folder / f"{assignment.id}.ipynb"
        nbformat.write(nb, str(target))
        written.append(target)
        written += hidden.copy_suite(assignment, out)
    config = out / "nbgrader_config.py"
    if not config.exists():
        config.write_text(config_text(chosen, course_id or out.resolve().name), encoding="utf-8")
        written.append(config)
    return written
