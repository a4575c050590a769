"""Every hidden test can fail: it fails on the released stub and on at least one realistic mistake
(the catalogues in ``ailit_core/mutate/catalogues/<id>.py``), while the reference and the catalogue's
correct variants pass them all.

The cases are one list grouped by assignment, so each assignment's warm engines start once and
stop before the next assignment's start.
"""

import pytest

from ailit_core import assignments
from ailit_core.mutate import catalogue
from tests.autograder.mutation import MutationRunner

CATALOGUES = {a.id: catalogue.load(a.id) for a in assignments.landed()}
REFERENCE, STUB = "reference passes every test", "stub fails every test, every test killed by a mutant"
CASES = [
    case
    for aid, entries in CATALOGUES.items()
    for case in (
        pytest.param(aid, REFERENCE, id=f"{aid}-reference"),
        *(pytest.param(aid, mutant, id=f"{aid}-{mutant.name}") for mutant in entries.mutants),
        pytest.param(aid, STUB, id=f"{aid}-stub"),
    )
]


@pytest.fixture(scope="module")
def runner_for(request):
    # The cases this session runs, per assignment: graded up front, two at a time.
    selected: dict[str, list] = {}
    for item in request.session.items:
        if getattr(item, "originalname", None) == "test_hidden_tests_can_fail":
            selected.setdefault(item.callspec.params["assignment_id"], []).append(item.callspec.params["case"])
    current: dict[str, MutationRunner] = {}

    def get(assignment_id: str) -> MutationRunner:
        if assignment_id not in current:
            for previous in current.values():
                previous.__exit__(None, None, None)
            current.clear()
            runner = current[assignment_id] = MutationRunner(assignment_id, **CATALOGUES[assignment_id].runner_options)
            cases = selected.get(assignment_id, [])
            if len(cases) > 1:
                # the stub check reads only the stub's outcomes (the kills it compares with are data)
                runner.prefetch([c for c in cases if c not in (REFERENCE, STUB)],
                                reference=REFERENCE in cases, stub=STUB in cases)
        return current[assignment_id]

    yield get
    for runner in current.values():
        runner.__exit__(None, None, None)


@pytest.mark.parametrize("assignment_id, case", CASES)
def test_hidden_tests_can_fail(runner_for, assignment_id, case):
    runner = runner_for(assignment_id)
    if case == REFERENCE:
        runner.check_reference_passes()
    elif case == STUB:
        runner.check_every_test_is_killed(CATALOGUES[assignment_id].mutants)
    else:
        runner.check_mutant(case)
