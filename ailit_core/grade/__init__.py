"""``ailit grade``: grade a folder of submissions with an assignment's hidden tests.

Writes ``OUT/grades.csv``, ``OUT/<student>/results.json`` (Gradescope schema),
``OUT/<student>/feedback.md`` and ``OUT/summary.md``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ailit_core import assignments
from ailit_core.grade import feedback, gradebook
from ailit_core.grade.results import SubmissionResult, to_gradescope
from ailit_core.grade.runner import run_hidden_tests
from ailit_core.grade.submissions import SubmissionProblem, Submission, check_source, discover, sha256_of

# Problems that leave nothing to run; a syntax error still runs, so every test is listed with 0.
_UNRUNNABLE = {"missing_module", "bad_zip", "too_large", "bad_encoding"}


def grade_submission(assignment, submission: Submission, *, profile: str | None = None) -> SubmissionResult:
    try:
        data = submission.read_module()
    except SubmissionProblem as problem:
        return SubmissionResult(submission.student, problem.status, [], problem.message)
    status, message = "graded", ""
    try:
        check_source(data, assignment.filename)
    except SubmissionProblem as problem:
        if problem.status in _UNRUNNABLE:
            return SubmissionResult(submission.student, problem.status, [], problem.message, sha256=sha256_of(data))
        status, message = problem.status, problem.message
    result = run_hidden_tests(assignment, data, student=submission.student, profile=profile)
    result.sha256 = sha256_of(data)
    if status != "graded" and result.status == "graded":
        result.status, result.message = status, message
    if submission.ignored:
        note = "ignored files (only the module is graded) / 以下文件被忽略: " + ", ".join(submission.ignored[:20])
        result.message = f"{result.message}\n{note}".strip()
    return result


def write_student(out: Path, result: SubmissionResult, title: str) -> None:
    folder = out / result.student
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(
        json.dumps(to_gradescope(result), ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / "feedback.md").write_text(feedback.render_markdown(result, title), encoding="utf-8")


def main(*, submissions_dir: Path, assignment_id: str, out: Path, profile: str | None = None,
         quiet: bool = False) -> list[SubmissionResult]:
    from tqdm import tqdm

    assignment = assignments.get(assignment_id)
    title = f"{assignment.id}: {assignment.title_en} / {assignment.title_zh}"
    found = discover(Path(submissions_dir), assignment.filename)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    bar = tqdm(found, desc=f"grading {assignment.id}", unit="sub", disable=quiet)
    for submission in bar:
        bar.set_postfix_str(submission.student)
        result = grade_submission(assignment, submission, profile=profile)
        write_student(out, result, title)
        results.append(result)
    gradebook.write_csv(results, out / "grades.csv")
    (out / "summary.md").write_text(gradebook.render_summary(results, title), encoding="utf-8")
    return results
