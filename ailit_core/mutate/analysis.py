"""What the verdicts say about a hidden suite: which tests kill which mutant, which mutants survive,
the mutation score per function and per test, and the tests that kill nothing the others do not.

A test case *kills* a mutant when the reference passes it and the mutant does not (failed, not
run because the run stopped, ...). A mutant no test kills *survives*, unless it is *equivalent*:
its compiled code is the reference's, or the catalogue's ``EQUIVALENT`` says why it behaves like
the reference (or is no mistake a student makes). A survivor the catalogue's ``ACCEPTED`` lists is
*accepted*: a realistic mistake no test catches for a stated reason (a device move a CPU-only
grader cannot observe). Equivalent and accepted mutants and the catalogue's correct variants are
left out of the score; a correct variant that loses points is a *false failure*.
"""

from __future__ import annotations

import difflib
import types
from dataclasses import dataclass, field

from ailit_core.mutate.grading import Graded
from ailit_core.mutate.operators import function_at

KILLED, SURVIVED, EQUIVALENT, ACCEPTED = "killed", "survived", "equivalent", "accepted"
CORRECT, FALSE_FAILURE = "correct variant", "false failure"
NOT_GRADED, GRADER_ERROR = "not graded", "grader error"
SCORED = (KILLED, SURVIVED)


@dataclass
class MutantRecord:
    id: str
    origin: str  # "catalogue" or "generated"
    operator: str
    function: str
    line: int
    end_line: int
    description: str
    module: str  # the mutant's whole source (not written to the report; its diff is)
    diff: str = ""
    expected_kills: tuple[str, ...] = ()
    is_correct_variant: bool = False
    equivalent_reason: str = ""
    accepted_reason: str = ""
    status: str = NOT_GRADED
    killed_by: list[str] = field(default_factory=list)  # test case names
    graded: Graded | None = None

    @property
    def killed_by_functions(self) -> list[str]:
        return sorted({test_function(t) for t in self.killed_by})

    @property
    def missed_expected(self) -> list[str]:
        """Catalogue tests this mutant should fail and does not (empty until graded)."""
        if self.graded is None or self.is_correct_variant:
            return []
        return sorted(set(self.expected_kills) - set(self.killed_by_functions))


def test_function(case: str) -> str:
    return case.split("[", 1)[0]


def diff_of(reference: str, mutant: str, name: str) -> str:
    lines = difflib.unified_diff(reference.splitlines(), mutant.splitlines(), "reference", name, n=2, lineterm="")
    return "\n".join(lines)


def changed_lines(reference: str, mutant: str) -> tuple[int, int]:
    """1-based first and last reference line that the mutant changes."""
    matcher = difflib.SequenceMatcher(None, reference.splitlines(), mutant.splitlines(), autojunk=False)
    changed = [(i1, i2) for tag, i1, i2, _j1, _j2 in matcher.get_opcodes() if tag != "equal"]
    if not changed:
        return 0, 0
    return changed[0][0] + 1, max(changed[-1][1], changed[0][0] + 1)


def _code_key(code: types.CodeType):
    consts = tuple(_code_key(c) if isinstance(c, types.CodeType) else (type(c).__name__, repr(c))
                   for c in code.co_consts)
    return (code.co_code, consts, code.co_names, code.co_varnames, code.co_freevars, code.co_cellvars)


def same_code(reference: str, mutant: str) -> bool:
    """True when both compile to the same bytecode (line numbers aside): trivially equivalent."""
    try:
        return _code_key(compile(reference, "m", "exec", dont_inherit=True)) == \
            _code_key(compile(mutant, "m", "exec", dont_inherit=True))
    except (SyntaxError, ValueError):
        return False


def from_catalogue(mutant, reference: str, spans) -> MutantRecord:
    module = mutant.apply(reference)
    first, last = changed_lines(reference, module)
    kind = "correct variant" if mutant.is_correct_variant else "catalogue"
    return MutantRecord(f"catalogue/{mutant.name}", "catalogue", kind, function_at(spans, first), first, last,
                        mutant.why, module, diff_of(reference, module, mutant.name), tuple(mutant.kills),
                        mutant.is_correct_variant)


def from_generated(generated, reference: str, equivalent: dict[str, str],
                   accepted: dict[str, str] | None = None) -> MutantRecord:
    return MutantRecord(generated.id, "generated", generated.operator, generated.function, generated.line,
                        generated.end_line, generated.description, generated.source,
                        diff_of(reference, generated.source, generated.id),
                        equivalent_reason=equivalent.get(generated.id, ""),
                        accepted_reason=(accepted or {}).get(generated.id, ""))


def classify(record: MutantRecord, graded: Graded, baseline: dict[str, str]) -> None:
    record.graded = graded
    if graded.status == "grader_error":
        record.status, record.killed_by = GRADER_ERROR, []
        return
    record.killed_by = sorted(t for t, outcome in baseline.items()
                              if outcome == "passed" and graded.outcomes.get(t, "not run") != "passed")
    if record.is_correct_variant:
        record.status = FALSE_FAILURE if record.killed_by else CORRECT
    elif record.killed_by:
        record.status = KILLED
    elif record.equivalent_reason:
        record.status = EQUIVALENT
    elif record.accepted_reason:
        record.status = ACCEPTED
    else:
        record.status = SURVIVED


def score_of(records) -> dict:
    counts = {s: 0 for s in (KILLED, SURVIVED, EQUIVALENT, ACCEPTED, NOT_GRADED, GRADER_ERROR)}
    for r in records:
        if r.status in counts:
            counts[r.status] += 1
    scored = counts[KILLED] + counts[SURVIVED]
    counts["mutants"] = sum(1 for r in records if not r.is_correct_variant)
    counts["score"] = round(100.0 * counts[KILLED] / scored, 1) if scored else None
    return counts


def per_function(records) -> dict[str, dict]:
    functions: dict[str, list] = {}
    for r in records:
        if not r.is_correct_variant:
            functions.setdefault(r.function, []).append(r)
    return {name: score_of(rs) for name, rs in functions.items()}


def per_test(records, baseline: dict[str, str], points: dict[str, float]) -> dict[str, dict]:
    """Per hidden test function: points, mutants killed, and those no other test kills."""
    scored = [r for r in records if r.status == KILLED]
    tests = sorted({test_function(t) for t in baseline})
    out = {}
    for test in tests:
        kills = [r for r in scored if test in r.killed_by_functions]
        unique = [r for r in kills if r.killed_by_functions == [test]]
        out[test] = {"points": round(points.get(test, 0.0), 6), "kills": len(kills), "unique_kills": len(unique),
                     "unique": [r.id for r in unique],
                     "reference_passes": all(o == "passed" for t, o in baseline.items() if test_function(t) == test)}
    return out


def redundant_tests(tests: dict[str, dict]) -> list[str]:
    """Tests every one of whose kills some other test also makes (including tests that kill nothing)."""
    return [name for name, info in tests.items() if info["unique_kills"] == 0]
