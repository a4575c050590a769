"""The otter-grader release: an otter-assign master notebook built from the single source.

Writes ``OUT/<id>/`` (run ``otter assign <id>.ipynb dist`` there)::

    <id>.ipynb          the master notebook (otter-assign format v1; exception-based tests)
    requirements.txt    what grading needs (otter adds its own), torch from the CPU wheel index
    test_*.py           the public tests (``files``: given to students and to the autograder)
    autograder/         the hidden suite  } ``autograder_files``: only in the autograder zip,
    ailit_core/         the grading engine } so the grading container can import them

The master notebook has the README, the module's cells (solution regions in otter's markers: in
the student version each becomes our hints and ``raise NotImplementedError``, as in the ``.py``
release), then one otter question per hidden test function whose hidden cases each call
``ailit_core.notebook.check_hidden`` with that case's points, and a 0-point question of public
tests students can run with ``grader.check("public_tests")``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
from nbformat import v4

from ailit_core.assignments import Assignment
from ailit_core.release import hidden
from ailit_core.release.cells import TODO_RAISE, check_no_foreign_markers, notebook_readme, readme_cells, rewrite_regions, split_module
from ailit_core.release.gradescope import package_files
from ailit_core.release.requirements import TORCH_CPU_INDEX, requirements

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
PUBLIC_QUESTION = "public_tests"
# Lines otter-assign would rewrite or drop (see otter/assign/solutions.py).
FOREIGN_MARKERS = {
    "a solution line": re.compile(r"#\s?SOLUTION"),
    "a prompt marker": re.compile(r"#\s*(BEGIN|END) PROMPT\s*$"),
    "an ignored line": re.compile(r"#\s*(BEGIN\s*|END\s*)?IGNORE\s*$", re.IGNORECASE),
    "a seed line": re.compile(r"# SEED\s*$"),
    "a block marker": re.compile(r"^\s*#\s*(BEGIN|END)\s+(QUESTION|TESTS|PROMPT)\b"),
}


def _otter_region(indent: str, hints: list[str], code: list[str]) -> list[str]:
    # In the master, the prompt is a string expression (no effect); otter-assign deletes the two
    # PROMPT lines from the student version, which leaves `raise NotImplementedError(...)`.
    return hints + [f'{indent}""" # BEGIN PROMPT', f"{indent}{TODO_RAISE}", f'{indent}""" # END PROMPT',
                    f"{indent}# BEGIN SOLUTION NO PROMPT", *code, f"{indent}# END SOLUTION"]


def _yaml_value(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON scalars and lists are valid YAML


def config_cell(assignment: Assignment, public_files: list[str]) -> str:
    lines = [
        "# ASSIGNMENT CONFIG",
        f"name: {assignment.id}",
        "requirements: requirements.txt",
        f"files: {_yaml_value(public_files)}",
        'autograder_files: ["autograder", "ailit_core"]',
        "strip_solutions_from_all_cells: true",
        "run_tests: false",
        "init_cell: true",
        # A question of hidden tests has no public case, so otter's own summaries (check_all, the
        # export's test run, the graded "Public Tests" entry) would report it as "All test cases
        # passed!" whatever it scored. Students check with the public_tests question instead; graded
        # results come with the hidden tests' own messages once published, as on ailit's Gradescope.
        "check_all_cell: false",
        "export_cell:",
        "    pdf: false",
        "    run_tests: false",
        "generate:",
        "    pdf: false",
        "    show_stdout: false",
        "    show_hidden: true",
        "    force_public_test_summary: false",
        "tests:",
        "    files: false",
        "    ok_format: false",
    ]
    return "\n".join(lines)


def _test_cell(function: str, call: str, *, points: float | None = None, hidden_case: bool = False) -> str:
    lines = []
    if points is not None:
        lines += ['""" # BEGIN TEST CONFIG', f"points: {points!r}", f"hidden: {'true' if hidden_case else 'false'}",
                  '""" # END TEST CONFIG']
    lines += [f"def {function}(env):", "    from ailit_core import notebook", f"    {call}"]
    return "\n".join(lines)


def _python_name(text: str) -> str:
    return re.sub(r"\W+", "_", text).strip("_")


def build_master(assignment: Assignment, source: str, tests: list[hidden.HiddenTest], digest: str,
                 public_files: list[str], public_names: list[str]) -> nbformat.NotebookNode:
    check_no_foreign_markers(source, FOREIGN_MARKERS, "otter assign")
    cells = [v4.new_raw_cell(config_cell(assignment, public_files))]
    readme = notebook_readme((assignment.solution_dir / "README.md").read_text(encoding="utf-8"), assignment.filename)
    cells += [v4.new_markdown_cell(text) for text in readme_cells(readme)]
    cells.append(v4.new_markdown_cell(
        f"**Notebook edition / Notebook 版本.** The code cells below are `{assignment.filename}`; replace every "
        f"`raise NotImplementedError(...)`. When graded, your code cells, in order, form that module and the "
        f"hidden tests grade it as `ailit grade` grades `{assignment.filename}`, so keep the notebook runnable from "
        f"top to bottom. / 下面的代码单元就是 `{assignment.filename}`，请替换每一个 `raise NotImplementedError(...)`。"
        f"评分时你的代码单元按顺序组成该模块，由隐藏测试评分，请确保 notebook 能从头到尾顺利运行。"))
    cells += [v4.new_code_cell("\n".join(rewrite_regions(chunk.lines, _otter_region))) for chunk in split_module(source)]

    if public_names:
        cells += [
            v4.new_raw_cell(f"# BEGIN QUESTION\nname: {PUBLIC_QUESTION}\npoints: 0"),
            v4.new_markdown_cell("**Public checks / 公开自测** (0 points / 0 分): the public tests, run on your "
                                 "notebook. / 在你的 notebook 上运行公开测试。"),
            v4.new_raw_cell("# BEGIN TESTS"),
        ]
        for name in public_names:
            call = f"notebook.check_public({assignment.id!r}, {name!r}, env, files={public_files!r})"
            cells.append(v4.new_code_cell(_test_cell(_python_name(name), call)))
        cells += [v4.new_raw_cell("# END TESTS"), v4.new_raw_cell("# END QUESTION")]

    for function, cases in hidden.by_function(tests):
        total = sum(t.points for t in cases)
        cells += [
            v4.new_raw_cell(f"# BEGIN QUESTION\nname: {function}"),
            v4.new_markdown_cell(f"**{function}** ({total:g} points / {total:g} 分, hidden test / 隐藏测试): "
                                 f"{cases[0].description}"),
            v4.new_raw_cell("# BEGIN TESTS"),
        ]
        for case in cases:
            call = f"notebook.check_hidden({assignment.id!r}, {case.name!r}, env, digest={digest!r})"
            cells.append(v4.new_code_cell(_test_cell(_python_name(case.name), call, points=case.points, hidden_case=True)))
        cells += [v4.new_raw_cell("# END TESTS"), v4.new_raw_cell("# END QUESTION")]

    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"  # stable ids: regenerating gives the same notebook
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def requirements_txt(assignment: Assignment) -> str:
    pypi, torch_cpu = requirements(assignment)
    lines = [f"# Grading {assignment.id} (written by `ailit release --format otter`); otter adds its own."]
    if torch_cpu:
        lines.append(f"--extra-index-url {TORCH_CPU_INDEX}")
    return "\n".join(lines + torch_cpu + pypi) + "\n"


def write_master(assignment: Assignment, out: Path) -> list[Path]:
    out = Path(out)
    for stale in ("autograder", "ailit_core"):
        shutil.rmtree(out / stale, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    public = hidden.public_test_files(assignment)
    for rel, data in public.items():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    written += hidden.copy_suite(assignment, out)
    project = Path(__file__).resolve().parent.parent.parent
    for rel in package_files():
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(project / rel, target)
        written.append(target)
    (out / "requirements.txt").write_text(requirements_txt(assignment), encoding="utf-8")
    written.append(out / "requirements.txt")
    nb = build_master(assignment, assignment.solution_path.read_text(encoding="utf-8"), hidden.collect(assignment),
                      hidden.digest(assignment), sorted(public), hidden.public_test_names(assignment))
    target = out / f"{assignment.id}.ipynb"
    nbformat.write(nb, str(target))
    written.append(target)
    return written
