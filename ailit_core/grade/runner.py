"""Grading one module file: ``run_hidden_tests`` starts an engine for one run and stops it.

For a batch use ``ailit_core.grade.engine.Engine`` directly (or ``ailit grade``): it keeps the warm
parent between submissions. Both take the same isolation, limits and trusted test list.
"""

from __future__ import annotations

from ailit_core.assignments import Assignment
from ailit_core.grade.engine import Engine, EngineError, Limits, Task
from ailit_core.grade.results import STATUS_GRADER_ERROR, SubmissionResult
from ailit_core.grade.submissions import sha256_of


def run_hidden_tests(
    assignment: Assignment,
    source: bytes,
    *,
    student: str = "",
    timeout_s: float | None = None,
    profile: str | None = None,
    extra_pytest_args: list[str] | None = None,
    engine: Engine | None = None,
) -> SubmissionResult:
    """The hidden tests' verdict on ``source`` (the module's bytes). ``engine``: reuse a started one."""
    task = Task(student=student, source=source, sha256=sha256_of(source))
    if engine is not None:
        return next(iter(engine.run([task])))[1]
    limits = Limits.for_assignment(assignment, profile, timeout_s=timeout_s)
    try:
        with Engine(assignment, profile=profile, limits=limits, extra_pytest_args=extra_pytest_args,
                    warm=False) as started:
            if started.collect_errors and not started.tests:
                errors = "\n".join(e["message"] for e in started.collect_errors)
                return SubmissionResult(student, STATUS_GRADER_ERROR, [],
                                        f"hidden tests could not be collected:\n{errors}", sha256=task.sha256)
            return next(iter(started.run([task])))[1]
    except EngineError as exc:
        return SubmissionResult(student, STATUS_GRADER_ERROR, [], str(exc), sha256=task.sha256)
