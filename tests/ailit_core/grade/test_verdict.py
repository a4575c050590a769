"""Scoring rules (``verdict``) on fabricated tallies: no process is started."""

import pytest

from ailit_core.grade import verdict
from ailit_core.grade.engine import Limits, Task

TESTS = [{"nodeid": f"t.py::test_{i}", "name": f"test_{i}", "description": "", "points": 25.0,
          "visibility": "after_published"} for i in range(4)]
LIMITS = Limits(timeout_s=60, test_timeout_s=30)


def tally(outcomes=("passed", "passed", "failed", "not run"), flags=()):
    t = verdict.Tally(Task("alice", b"x", "sha"), TESTS)
    for nodeid, outcome in zip(t.order, outcomes):
        t.tests[nodeid]["outcome"] = outcome
    t.flags.update(flags)
    return t


def test_a_clean_run_scores_its_passed_tests():
    result = verdict.result(tally(), LIMITS, "xor_net.py", "full")
    assert (result.status, result.score, result.max_score) == ("graded", 50, 100)


# The most serious thing that happened decides the status (each pair: more serious first).
PRIORITY = [("grader_failed", "tampered"), ("tampered", "syntax"), ("syntax", "timeout"), ("timeout", "memory"),
            ("memory", "output"), ("output", "crashed"), ("crashed", "import_error")]


@pytest.mark.parametrize("first,second", PRIORITY)
def test_status_priority(first, second):
    expected = {"grader_failed": "grader_error", "syntax": "syntax_error", "output": "output_limit"}
    status = verdict.result(tally(flags=(first, second)), LIMITS, "m.py", "full").status
    assert status == expected.get(first, first)


def test_tampering_credits_nothing():
    t = tally(flags=("tampered",))
    t.tamper.append("a malformed reply")
    result = verdict.result(t, LIMITS, "m.py", "full")
    assert result.score == 0 and all(x["outcome"] == "failed" for x in result.tests[:2])
    assert "a malformed reply" in result.message


def test_a_syntax_error_fails_every_test_with_its_reason():
    t = tally(outcomes=("not run",) * 4, flags=("syntax",))
    t.import_message = "SyntaxError: invalid syntax (line 3)"
    result = verdict.result(t, LIMITS, "m.py", "full")
    assert result.status == "syntax_error" and result.score == 0
    assert all(x["message"] == t.import_message for x in result.tests)


def test_tests_that_finished_keep_their_points_after_a_timeout():
    t = tally(flags=("test_timeout",))
    result = verdict.result(t, LIMITS, "m.py", "full")
    assert result.status == "timeout" and result.score == 50


def test_a_crash_names_where_it_happened():
    t = tally(flags=("crashed",))
    t.crash = (-11, "test", t.order[2])
    result = verdict.result(t, LIMITS, "m.py", "full")
    assert result.status == "crashed" and "SIGSEGV" in result.message and "test_2" in result.message
