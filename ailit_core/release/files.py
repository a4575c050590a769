"""The plain-files release of an assignment: ``assignments/<id>/`` = stub module, bilingual
README.md, public tests, their ``pytest.ini`` and ``requirements.txt`` (only this assignment's
dependencies), all generated from ``solutions/<id>/``."""

from __future__ import annotations

from pathlib import Path

from ailit_core.assignments import Assignment
from ailit_core.release.requirements import student_requirements_txt
from ailit_core.release.stub import make_stub

PUBLIC_TESTS_DIR = "public_tests"
# Student-sized pytest output: a failing test shows its failing lines and message, not the whole
# stub (docstrings, hints) again for every failure.
PYTEST_INI = """[pytest]
# Short reports / 简短的失败报告: the failing line and its message for each failed test.
addopts = --tb=short -p no:cacheprovider
"""


def release_files(assignment: Assignment) -> dict[str, bytes]:
    """Relative path -> content of every file in the student release."""
    source = assignment.solution_path.read_text(encoding="utf-8")
    files = {assignment.filename: make_stub(source).encode("utf-8")}
    readme = assignment.solution_dir / "README.md"
    files["README.md"] = readme.read_bytes()
    public = assignment.solution_dir / PUBLIC_TESTS_DIR
    for path in sorted(public.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[str(path.relative_to(public))] = path.read_bytes()
    files.setdefault("pytest.ini", PYTEST_INI.encode("utf-8"))
    files.setdefault("requirements.txt", student_requirements_txt(assignment).encode("utf-8"))
    return files


def write_release(assignment: Assignment, out_dir: Path) -> list[Path]:
    written = []
    for rel, content in release_files(assignment).items():
        target = out_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        written.append(target)
    return written


def drift(assignment: Assignment) -> list[str]:
    """Files of ``assignments/<id>/`` that differ from what a release would write (or are missing)."""
    expected = release_files(assignment)
    problems = []
    for rel, content in expected.items():
        target = assignment.release_dir / rel
        if not target.is_file():
            problems.append(f"{rel}: missing")
        elif target.read_bytes() != content:
            problems.append(f"{rel}: differs")
    if assignment.release_dir.is_dir():
        for path in assignment.release_dir.rglob("*"):
            rel = str(path.relative_to(assignment.release_dir))
            if path.is_file() and "__pycache__" not in path.parts and ".pytest_cache" not in path.parts \
                    and rel not in expected:
                problems.append(f"{rel}: not part of the release")
    return problems
