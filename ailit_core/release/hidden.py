"""What the notebook and Gradescope formats need to know about an assignment's hidden suite.

The list of test cases with their points and descriptions comes from pytest's own collection with
the grading plugin (``--collect-only --ailit-results``), so a format sees exactly the cases, names
and point shares that ``ailit grade`` reports, parametrized cases included. Nothing is executed.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ailit_core import paths
from ailit_core.assignments import Assignment
from ailit_core.grade.suite import HiddenSuite
from ailit_core.notebook import SUITE_IGNORED


@dataclass(frozen=True)
class HiddenTest:
    name: str  # as in results.json, e.g. "test_feedforward_matches_math[2-4-1]"
    points: float  # this case's share of its test function's points
    description: str  # the test function's docstring (en/zh)
    visibility: str

    @property
    def function(self) -> str:
        return self.name.split("[", 1)[0]


def collect(assignment: Assignment) -> list[HiddenTest]:
    # pytest collection imports the suite (torch, torchvision: seconds); every format asks for the
    # same list, so it is collected once per suite version.
    return list(_collect(assignment, digest(assignment)))


@functools.lru_cache(maxsize=None)
def _collect(assignment: Assignment, _digest: str) -> tuple[HiddenTest, ...]:
    autograder = paths.autograder_dir()
    with tempfile.TemporaryDirectory(prefix="ailit-collect-") as tmp:
        out = Path(tmp) / "collected.json"
        cmd = [sys.executable, "-m", "pytest", str(assignment.hidden_tests_dir), "-c", str(autograder / "pytest.ini"),
               "--rootdir", str(autograder), "-p", "ailit_core.grade.plugin", "--ailit-results", str(out),
               "--collect-only", "-q", "-p", "no:cacheprovider"]
        env = {k: v for k, v in os.environ.items() if k != "AILIT_IMPL"}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600)
        raw = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
    if raw is None or raw.get("collection_errors") or not raw.get("tests"):
        errors = "\n".join(e["message"] for e in (raw or {}).get("collection_errors", [])) or proc.stdout[-3000:]
        raise ValueError(f"cannot collect the hidden tests of {assignment.id}:\n{errors}")
    tests = [HiddenTest(t["name"], t["points"], t["description"], t["visibility"]) for t in raw["tests"]]
    names = [t.name for t in tests]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:  # results.json identifies tests by name only
        raise ValueError(f"{assignment.id}: hidden test names must be unique across files: {duplicated}")
    return tuple(tests)


def by_function(tests: list[HiddenTest]) -> list[tuple[str, list[HiddenTest]]]:
    """Test cases grouped by test function, in collection order."""
    groups: dict[str, list[HiddenTest]] = {}
    for t in tests:
        groups.setdefault(t.function, []).append(t)
    return list(groups.items())


def suite_files(assignment: Assignment) -> list[Path]:
    """The grader's pytest.ini and every file of ``autograder/<id>/``, relative to ``autograder/``."""
    return HiddenSuite.of(assignment).files()


def copy_suite(assignment: Assignment, dest_root: Path) -> list[Path]:
    """Copy the hidden suite to ``dest_root/autograder/`` (the layout ``AILIT_ROOT`` expects)."""
    written = []
    for rel in suite_files(assignment):
        target = Path(dest_root) / "autograder" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(paths.autograder_dir() / rel, target)
        written.append(target)
    return written


def digest(assignment: Assignment) -> str:
    return HiddenSuite.of(assignment).digest()


def public_test_files(assignment: Assignment) -> dict[str, bytes]:
    """Public test files (relative name -> content), as the plain-files release ships them."""
    public = assignment.solution_dir / "public_tests"
    if not public.is_dir():
        return {}
    return {p.relative_to(public).as_posix(): p.read_bytes() for p in sorted(public.rglob("*"))
            if p.is_file() and not set(p.relative_to(public).parts) & SUITE_IGNORED}


def public_test_names(assignment: Assignment) -> list[str]:
    """Names of the public test functions (collected by pytest against the reference solution)."""
    files = public_test_files(assignment)
    if not files:
        return []
    plain = _plain_test_functions(files)
    if plain is not None:
        return plain
    h = hashlib.sha256(assignment.solution_path.read_bytes())
    for name, data in files.items():
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return list(_public_test_names(assignment, h.hexdigest()))


GENERATED_TESTS = re.compile(rb"parametrize|\bparams\s*=|pytest_generate_tests|^class\s+Test", re.MULTILINE)


def _plain_test_functions(files: dict[str, bytes]) -> list[str] | None:
    """The test names read from the files, when each test function is exactly one test (no
    parametrization, no test classes), as pytest would collect them; None otherwise (then pytest
    collects them: that imports the reference and its packages, seconds for torch)."""
    names = []
    for name in sorted(files):
        if not re.match(r"(.*/)?test_[^/]*\.py$", name):
            continue
        if GENERATED_TESTS.search(files[name]):
            return None
        tree = ast.parse(files[name].decode("utf-8"))
        names += [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.name.startswith("test")]
    return names


@functools.lru_cache(maxsize=None)
def _public_test_names(assignment: Assignment, _fingerprint: str) -> tuple[str, ...]:
    files = public_test_files(assignment)
    with tempfile.TemporaryDirectory(prefix="ailit-public-") as tmp:
        work = Path(tmp)
        for name, data in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(data)
        (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        out = work / ".collected.json"
        env = dict(os.environ, AILIT_IMPL=str(assignment.solution_path), PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run([sys.executable, "-m", "pytest", ".", "-p", "ailit_core.grade.plugin", "--ailit-results",
                               str(out), "--collect-only", "-q", "-p", "no:cacheprovider"],
                              cwd=work, env=env, capture_output=True, text=True, timeout=600)
        raw = json.loads(out.read_text(encoding="utf-8")) if out.is_file() else None
    if raw is None or raw.get("collection_errors"):
        errors = "\n".join(e["message"] for e in (raw or {}).get("collection_errors", [])) or proc.stdout[-3000:]
        raise ValueError(f"cannot collect the public tests of {assignment.id}:\n{errors}")
    return tuple(t["name"] for t in raw["tests"])
