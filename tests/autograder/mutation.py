"""Proving hidden tests can fail: buggy variants ("mutants") of a reference solution.

A mutant is the reference source with a few exact text replacements that make a realistic student
mistake (wrong gradient sign, missing ``zero_grad``, ...), plus the names of the hidden test
functions that must catch it. Each ``test_<id>_mutants.py`` lists its assignment's mutants and
calls ``check_mutant`` (only the tests expected to fail are run, to keep the suite fast) and
``check_every_test_is_killed`` (every hidden test fails on the stub and on at least one mutant).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ailit_core import assignments
from ailit_core.grade.runner import run_hidden_tests
from ailit_core.release.files import release_files


@dataclass(frozen=True)
class Mutant:
    name: str
    replacements: tuple[tuple[str, str], ...]
    kills: tuple[str, ...]  # hidden test function names (without parameters) that must fail
    why: str = ""

    def apply(self, source: str) -> str:
        for old, new in self.replacements:
            assert source.count(old) >= 1, f"mutant {self.name}: {old!r} not found in the reference"
            source = source.replace(old, new)
        return source


def _function_name(test_name: str) -> str:
    return test_name.split("[", 1)[0]


def check_mutant(assignment_id: str, mutant: Mutant) -> None:
    assignment = assignments.get(assignment_id)
    source = mutant.apply(assignment.solution_path.read_text(encoding="utf-8"))
    result = run_hidden_tests(assignment, source.encode("utf-8"), student=mutant.name,
                              extra_pytest_args=["-k", " or ".join(mutant.kills)])
    ran = {_function_name(t["name"]) for t in result.tests}
    failed = {_function_name(t["name"]) for t in result.tests if t["outcome"] in ("failed", "not run")}
    missing = set(mutant.kills) - ran
    assert not missing, f"{mutant.name}: no hidden tests named {sorted(missing)}"
    survived = set(mutant.kills) - failed
    assert not survived, f"{mutant.name} ({mutant.why}) passed {sorted(survived)}; those tests cannot see this bug"


def check_every_test_is_killed(assignment_id: str, mutants: list[Mutant]) -> None:
    """Every hidden test fails on the released stub and is listed as a kill of some mutant."""
    assignment = assignments.get(assignment_id)
    stub = run_hidden_tests(assignment, release_files(assignment)[assignment.filename], student="stub")
    names = {_function_name(t["name"]) for t in stub.tests}
    assert names, f"no hidden tests collected for {assignment_id}: {stub.message}"
    passing_on_stub = {_function_name(t["name"]) for t in stub.tests if t["outcome"] == "passed"}
    assert not passing_on_stub, f"hidden tests that pass on the stub: {sorted(passing_on_stub)}"
    killed = {k for m in mutants for k in m.kills}
    assert names <= killed, f"hidden tests no mutant proves able to fail: {sorted(names - killed)}"
