"""Turning recorded test outcomes into the Gradescope results schema (``results.json``).

Schema: https://gradescope-autograders.readthedocs.io/en/latest/specs/ -- top-level ``score``,
``output``, ``visibility``, ``tests[]`` with ``name``, ``score``, ``max_score``, ``status``,
``output``, ``visibility``. ``status`` there is ``passed``/``failed``; the grading status of the
whole submission (graded, error, timeout, ...) is ours and goes in ``extra_data``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_GRADED = "graded"
STATUS_ERROR = "error"
STATUS_TIMEOUT = "timeout"


@dataclass
class SubmissionResult:
    student: str
    status: str
    tests: list[dict] = field(default_factory=list)  # entries as recorded by the pytest plugin
    message: str = ""  # what happened to the submission as a whole, for the TA and the student
    duration: float = 0.0
    sha256: str = ""

    @property
    def score(self) -> float:
        return sum(t["points"] for t in self.tests if t["outcome"] == "passed")

    @property
    def max_score(self) -> float:
        return sum(t["points"] for t in self.tests)


def test_output(test: dict) -> str:
    parts = [test.get("description", "")]
    if test["outcome"] != "passed":
        if test.get("message"):
            parts.append(test["message"])
        if test["outcome"] == "not run":
            parts.append("This test did not run (the run stopped before it). / 该测试未运行（运行提前终止）。")
    return "\n\n".join(p for p in parts if p)


def to_gradescope(result: SubmissionResult) -> dict:
    tests = [
        {
            "name": t["name"],
            "score": t["points"] if t["outcome"] == "passed" else 0.0,
            "max_score": t["points"],
            "status": "passed" if t["outcome"] == "passed" else "failed",
            "output": test_output(t),
            "visibility": t.get("visibility", "after_published"),
        }
        for t in result.tests
    ]
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.duration, 3),
        "output": result.message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student": result.student, "status": result.status, "sha256": result.sha256},
    }
