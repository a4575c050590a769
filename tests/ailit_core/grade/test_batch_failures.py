"""A batch never stops for one student: their own failures become their status; the grader's own
failure to start keeps its log. No hidden suite runs here (the engine is replaced)."""

import pytest

from ailit_core import assignments, grade
from ailit_core.grade import batch, gradebook
from ailit_core.grade.engine import EngineError
from ailit_core.grade.results import SubmissionResult

A1 = assignments.get("a1_xor_backprop")
TESTS = [{"nodeid": "t.py::test_a", "name": "test_a", "description": "a / 甲", "points": 100.0,
          "visibility": "after_published"}]


class FakeEngine:
    """Grades every task 100 without running anything."""

    mode = "fake"
    collect_errors: list = []
    tests = TESTS

    def __init__(self, *args, **kwargs):
        pass

    def start(self):
        return self

    def close(self):
        pass

    def run(self, tasks, on_start=None):
        for task in tasks:
            tests = [{**t, "outcome": "passed", "message": "", "duration": 0.0} for t in TESTS]
            yield task, SubmissionResult(task.student, "graded", tests, "", sha256=task.sha256)


def test_a_failure_writing_one_students_files_is_that_students_row(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    for name in ("alice", "bob"):
        (subs / name).mkdir(parents=True)
        (subs / name / A1.filename).write_text(f"x = '{name}'\n")
    monkeypatch.setattr(batch, "Engine", FakeEngine)
    real = gradebook.write_student

    def flaky(out, result, *args, **kwargs):
        if result.student == "bob":
            raise OSError(28, "No space left on device")
        return real(out, result, *args, **kwargs)

    monkeypatch.setattr(gradebook, "write_student", flaky)
    got = {r.student: r for r in grade.main(submissions_dir=subs, assignment_id=A1.id, out=tmp_path / "out",
                                             quiet=True)}
    assert got["alice"].status == "graded" and got["bob"].status == "grader_error"
    assert "No space left" in got["bob"].message
    rows = {r["student"]: r for r in gradebook.read_csv(tmp_path / "out" / "grades.csv")}
    assert rows["bob"]["status"] == "grader_error" and rows["alice"]["score"] == "100"


def test_an_engine_that_cannot_start_keeps_its_log(tmp_path, monkeypatch):
    class Broken(FakeEngine):
        def start(self):
            error = EngineError("the grading process did not start")
            error.log = "Traceback (most recent call last):\n  ...\nOSError: no user namespaces\n"
            raise error

    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    (subs / "alice" / A1.filename).write_text("x = 1\n")
    monkeypatch.setattr(batch, "Engine", Broken)
    with pytest.raises(EngineError):
        grade.main(submissions_dir=subs, assignment_id=A1.id, out=tmp_path / "out", quiet=True)
    assert "no user namespaces" in (tmp_path / "out" / "grader-log.txt").read_text(encoding="utf-8")


def test_progress_counts_students_problems_apart_from_grader_errors():
    progress = batch._Progress(4, True, "x")
    for status in ("graded", "syntax_error", "missing_module", "grader_error"):
        progress.finished(SubmissionResult("s", status))
    assert progress.counts == {"graded": 1, "timeouts": 0, "problems": 2, "grader_errors": 1, "reused": 0}
