"""`ailit verify`: the reference earns 100, the stub 0, for every landed assignment."""

import pytest

from ailit_core import assignments
from ailit_core.verify import verify


@pytest.mark.slow
@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_reference_full_marks_and_stub_zero(assignment):
    verdict = verify(assignment)
    assert verdict.ok, "\n".join(verdict.problems)
    assert verdict.reference_score == 100 and verdict.stub_score == 0
