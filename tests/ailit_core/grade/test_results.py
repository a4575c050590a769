"""The result record and its Gradescope form."""

from ailit_core.grade.results import SubmissionResult, from_gradescope, to_gradescope
from tests.ailit_core.grade.helpers import entry, result


def test_score_counts_passed_points_only():
    r = result(outcomes=("passed", "failed", "skipped", "not run"))
    assert r.score == 10 and r.max_score == 40


def test_gradescope_schema_and_hidden_visibility():
    r = result(outcomes=("passed", "failed"))
    r.tests.append(entry("test_visible", 5, "passed", visibility="visible"))
    data = to_gradescope(r)
    assert data["score"] == 15 and data["max_score"] == 25
    assert data["stdout_visibility"] == "hidden"
    for t in data["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert t["status"] in ("passed", "failed")
    by_name = {t["name"]: t for t in data["tests"]}
    assert by_name["test_0"]["visibility"] == "after_published"
    assert by_name["test_visible"]["visibility"] == "visible"
    assert by_name["test_1"]["score"] == 0 and "why 1" in by_name["test_1"]["output"]
    assert data["extra_data"]["status"] == "graded"


def test_record_round_trips_through_results_json():
    r = result(message="what happened")
    r.tests_version, r.graded_at, r.ignored = "v1", "2024-01-01T00:00:00+00:00", ["conftest.py"]
    back = from_gradescope(to_gradescope(r))
    assert back is not None
    assert (back.student, back.status, back.score, back.message, back.tests_version, back.ignored) == (
        r.student, r.status, r.score, r.message, "v1", ["conftest.py"])
    assert back.output == ""  # captured output stays out of results.json


def test_foreign_results_json_is_not_trusted():
    assert from_gradescope({"score": 100, "tests": []}) is None
    assert from_gradescope({"extra_data": {"ailit": {"student": "x"}}}) is None
    assert from_gradescope([1, 2]) is None


def test_not_run_and_skipped_tests_explain_themselves():
    data = to_gradescope(SubmissionResult("a", "timeout", [entry("t1", 5, "not run"), entry("t2", 5, "skipped")]))
    outputs = [t["output"] for t in data["tests"]]
    assert "did not run" in outputs[0] and "skipped" in outputs[1]
