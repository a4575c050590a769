"""``ailit verify``: the reference solution earns full marks and the released stub earns none.

Also checks that the hidden tests' points total 100 and that ``assignments/<id>/`` matches what
``ailit release`` would write.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ailit_core import assignments
from ailit_core.grade.runner import run_hidden_tests
from ailit_core.release.files import drift, release_files

FULL_MARKS = 100.0


@dataclass
class Verdict:
    assignment_id: str
    problems: list[str] = field(default_factory=list)
    reference_score: float = 0.0
    stub_score: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(assignment, *, profile: str | None = None) -> Verdict:
    verdict = Verdict(assignment.id)
    reference = run_hidden_tests(assignment, assignment.solution_path.read_bytes(), student="reference",
                                 profile=profile)
    verdict.reference_score = reference.score
    if reference.status != "graded":
        verdict.problems.append(f"reference: status {reference.status}: {reference.message[:2000]}")
    if reference.max_score != FULL_MARKS:
        verdict.problems.append(f"hidden tests total {reference.max_score:g} points, not {FULL_MARKS:g}")
    for t in reference.tests:
        if t["outcome"] == "skipped" and not t["points"]:
            continue  # an optional 0-point check this machine cannot run (e.g. a5's real-model example)
        if t["outcome"] != "passed":
            verdict.problems.append(f"reference fails {t['name']}: {t['message'][:500]}")
    stub_source = release_files(assignment)[assignment.filename]
    stub = run_hidden_tests(assignment, stub_source, student="stub", profile=profile)
    verdict.stub_score = stub.score
    for t in stub.tests:
        if t["outcome"] == "passed":
            verdict.problems.append(f"stub passes {t['name']} (a test that cannot fail)")
    verdict.problems += [f"assignments/{assignment.id}/{p}; run `ailit release {assignment.id}`"
                         for p in drift(assignment)]
    return verdict


def main(*, assignment_ids: list[str], profile: str | None = None) -> list[Verdict]:
    chosen = [assignments.get(i) for i in assignment_ids] if assignment_ids else assignments.landed()
    return [verify(a, profile=profile) for a in chosen]
