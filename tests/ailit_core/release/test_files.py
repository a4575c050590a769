"""The committed ``assignments/`` is exactly what ``ailit release`` generates from ``solutions/``."""

import pytest

from ailit_core import assignments
from ailit_core.release.files import drift, release_files, write_release


@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_committed_release_has_not_drifted(assignment):
    problems = drift(assignment)
    assert not problems, f"run `ailit release {assignment.id}`: " + "; ".join(problems)


@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_release_never_contains_solutions_or_hidden_tests(assignment):
    files = release_files(assignment)
    stub = files[assignment.filename].decode("utf-8")
    assert "BEGIN SOLUTION" not in stub and "raise NotImplementedError" in stub
    hidden_names = {p.name for p in assignment.hidden_tests_dir.glob("*.py")}
    assert not hidden_names & {rel.rsplit("/", 1)[-1] for rel in files}
    assert "README.md" in files and any(rel.startswith("test_") for rel in files)


def test_write_release_to_another_folder(tmp_path):
    a1 = assignments.get("a1_xor_backprop")
    written = write_release(a1, tmp_path / "a1")
    assert {p.name for p in written} >= {"xor_net.py", "README.md", "test_xor_net.py"}
