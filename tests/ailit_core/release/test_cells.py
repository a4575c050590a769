"""Splitting a single-source module into notebook cells and re-marking its solution regions."""

import pytest

from ailit_core import assignments
from ailit_core.release.cells import check_no_foreign_markers, readme_cells, rewrite_regions, split_module
from ailit_core.release.nbgrader import FOREIGN_MARKERS as NBGRADER_MARKERS
from ailit_core.release.otter import FOREIGN_MARKERS as OTTER_MARKERS
from ailit_core.release.stub import BEGIN, MarkerError

SOURCE = '''"""Module doc."""

import functools

import numpy as np

SCALE = 2


# A comment that belongs to f.
@functools.lru_cache
def f(x):
    # BEGIN SOLUTION
    # HINT: multiply.
    return x * SCALE
    # END SOLUTION


class C:
    def g(self):
        # BEGIN SOLUTION
        return 1
        # END SOLUTION


TABLE = {"a": 1}


if __name__ == "__main__":
    print(f(2))
'''


def test_one_cell_per_definition_setup_statements_grouped_main_dropped():
    chunks = split_module(SOURCE)
    assert [c.name for c in chunks] == ["setup", "f", "C", "setup"]
    assert chunks[1].lines[0] == "# A comment that belongs to f." and chunks[1].lines[1] == "@functools.lru_cache"
    assert chunks[1].lines[-1].strip() == "# END SOLUTION", "the region's end stays with its function"
    assert chunks[3].lines == ('TABLE = {"a": 1}',)
    assert not any("__main__" in line for c in chunks for line in c.lines)
    assert [c.has_solution for c in chunks] == [False, True, True, False]


def test_regions_get_the_tools_markers_with_hints_above():
    f = split_module(SOURCE)[1]
    lines = rewrite_regions(f.lines, lambda indent, hints, code: hints + [indent + "<begin>", *code, indent + "<end>"])
    assert lines[-4:] == ["    # HINT: multiply.", "    <begin>", "    return x * SCALE", "    <end>"]


def test_a_region_in_the_main_block_is_refused():
    with pytest.raises(MarkerError, match="__main__"):
        split_module('if __name__ == "__main__":\n    # BEGIN SOLUTION\n    x = 1\n    # END SOLUTION\n')


@pytest.mark.parametrize("assignment_id", [a.id for a in assignments.landed()])
def test_every_landed_solution_splits_without_losing_regions_or_code(assignment_id):
    assignment = assignments.get(assignment_id)
    source = assignment.solution_path.read_text(encoding="utf-8")
    chunks = split_module(source)
    joined = "\n\n".join("\n".join(c.lines) for c in chunks)
    compile(joined, assignment.filename, "exec")
    assert sum(1 for c in chunks for line in c.lines if BEGIN.match(line)) == \
        sum(1 for line in source.splitlines() if BEGIN.match(line))
    for chunk in chunks:
        rewrite_regions(chunk.lines, lambda indent, hints, code: code)  # every region sits inside one cell
    check_no_foreign_markers(source, NBGRADER_MARKERS, "nbgrader")
    check_no_foreign_markers(source, OTTER_MARKERS, "otter assign")


def test_foreign_markers_are_refused():
    with pytest.raises(MarkerError, match="otter"):
        check_no_foreign_markers("x = 1  # SOLUTION\n", OTTER_MARKERS, "otter assign")
    with pytest.raises(MarkerError, match="nbgrader"):
        check_no_foreign_markers('s = "BEGIN HIDDEN TESTS"\n', NBGRADER_MARKERS, "nbgrader")


def test_readme_sections_become_cells_and_code_blocks_stay_whole():
    text = "# Title\n\nintro\n\n## Task\n\n```bash\n## not a heading\n```\n\n## Check\nmore\n"
    cells = readme_cells(text)
    assert [c.splitlines()[0] for c in cells] == ["# Title", "## Task", "## Check"]
    assert "## not a heading" in cells[1]


def test_notebook_readme_turns_shell_blocks_into_notebook_steps():
    from ailit_core import assignments
    from ailit_core.release.cells import notebook_readme

    for assignment in assignments.landed():
        text = notebook_readme((assignment.solution_dir / "README.md").read_text(encoding="utf-8"), assignment.filename)
        assert f"python {assignment.filename}" not in text and "```bash" not in text, assignment.id
    text = notebook_readme("# T\n\n```bash\npytest  # check\npython m.py\n```\n\n```python\nx = 1\n```\n", "m.py")
    assert "Public checks" in text and "`.py` release only" in text and "```python\nx = 1\n```" in text
