"""Small builders shared by the grade tests."""

from ailit_core.grade.results import SubmissionResult


def entry(name, points, outcome, message="", description="checks something / 检查某事", visibility="after_published"):
    return {"nodeid": f"t.py::{name}", "name": name, "description": description, "points": points,
            "visibility": visibility, "outcome": outcome, "message": message, "duration": 0.01}


def result(student="alice", status="graded", outcomes=("passed", "failed", "not run"), message=""):
    tests = [entry(f"test_{i}", 10.0, o, message=f"why {i} <b>" if o != "passed" else "")
             for i, o in enumerate(outcomes)]
    return SubmissionResult(student, status, tests, message, duration=1.5, sha256="ab" * 32)
