"""Grading a folder of submissions: discovery, reuse of unchanged results, the engine, the files.

Every submission gets a row, whatever it holds: problems found before anything runs (no module,
empty folder, corrupt zip, not UTF-8, two submissions for one student) get their own status, and
the batch goes on. Results are written as each submission finishes and ``grades.csv`` is rewritten
each time, so a batch stopped at any point has a consistent gradebook of what it finished.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

from ailit_core import assignments
from ailit_core.grade import gradebook, resume
from ailit_core.grade.engine import Engine, EngineError, Limits, Task
from ailit_core.grade.results import (
    STATUS_DUPLICATE, STATUS_GRADED, STATUS_TIMEOUT, SubmissionResult,
)
from ailit_core.grade.submissions import (
    Submission, SubmissionProblem, check_encoding, discover, group, sha256_of, skipped_entries,
)

TESTS_CACHE = ".ailit-tests.json"


class HiddenTestsBroken(RuntimeError):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def title_of(assignment) -> str:
    return f"{assignment.id}: {assignment.title_en} / {assignment.title_zh}"


def unrunnable(student: str, status: str, message: str, tests: list[dict], *, sha256: str = "") -> SubmissionResult:
    listed = [{**t, "outcome": "not run", "message": "", "duration": 0.0} for t in tests]
    return SubmissionResult(student, status, listed, message, sha256=sha256)


class _Progress:
    def __init__(self, total: int, quiet: bool, desc: str):
        self.counts = {"graded": 0, "errors": 0, "timeouts": 0, "reused": 0}
        self.current: list[str] = []
        self.bar = None
        if not quiet:
            from tqdm import tqdm
            self.bar = tqdm(total=total, desc=desc, unit="sub", dynamic_ncols=True)

    def started(self, student: str) -> None:
        self.current.append(student)
        self._show()

    def finished(self, result: SubmissionResult, *, reused: bool = False) -> None:
        if result.student in self.current:
            self.current.remove(result.student)
        if reused:
            self.counts["reused"] += 1
        elif result.status == STATUS_GRADED:
            self.counts["graded"] += 1
        elif result.status == STATUS_TIMEOUT:
            self.counts["timeouts"] += 1
        else:
            self.counts["errors"] += 1
        if self.bar is not None:
            self.bar.update(1)
        self._show()

    def _show(self) -> None:
        if self.bar is None:
            return
        counts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        now = ",".join(self.current[:3]) + ("…" if len(self.current) > 3 else "")
        self.bar.set_postfix_str(f"{counts} now={now or '-'}", refresh=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_batch(*, submissions_dir: Path, assignment_id: str, out: Path, profile: str | None = None,
                quiet: bool = False, jobs: int = 1, force: bool = False, timeout_s: float | None = None,
                test_timeout_s: float | None = None, memory_mb: int | None = None,
                mode: str | None = None) -> list[SubmissionResult]:
    assignment = assignments.get(assignment_id)
    if not assignment.hidden_tests_dir.is_dir():
        raise FileNotFoundError(f"no hidden tests for {assignment.id} (expected {assignment.hidden_tests_dir})")
    submissions_dir, out = Path(submissions_dir), Path(out)
    found = discover(submissions_dir, assignment.filename)
    out.mkdir(parents=True, exist_ok=True)
    title = title_of(assignment)
    limits = Limits.for_assignment(assignment, profile, timeout_s=timeout_s, test_timeout_s=test_timeout_s,
                                   memory_mb=memory_mb)
    version = resume.tests_version(assignment, profile=profile, limits=limits)
    results: dict[str, SubmissionResult] = {}
    progress = _Progress(len(group(found)), quiet, f"grading {assignment.id}")
    info = {"reused": 0, "graded": 0, "skipped": skipped_entries(submissions_dir)}
    engine: Engine | None = None

    def finish(result: SubmissionResult, submission: Submission | None, *, reused: bool = False) -> None:
        if not reused:
            result.tests_version = version
            result.graded_at = _now()
            if submission is not None:
                result.source = submission.path.name
                result.ignored = submission.ignored_notes()
                if result.ignored:
                    result.message = (result.message + "\nignored (only the module is graded) / 以下文件被忽略: "
                                      + ", ".join(result.ignored[:10])).strip()
            gradebook.write_student(out, result, title)
            info["graded"] += 1
        else:
            info["reused"] += 1
        results[result.student] = result
        gradebook.write_csv(list(results.values()), out / "grades.csv")
        progress.finished(result, reused=reused)

    try:
        tasks: list[Task] = []
        deferred: list[tuple[Submission | None, str, str, str, str]] = []  # found before running anything
        for student, subs in group(found).items():
            if len(subs) > 1:
                names = ", ".join(s.path.name + ("/" if s.path.is_dir() else "") for s in subs)
                deferred.append((None, student, STATUS_DUPLICATE,
                                 f"{len(subs)} submissions for {student}: {names}; keep one and grade again "
                                 f"/ {student} 有 {len(subs)} 份提交（{names}），请只保留一份后重新评分", ""))
                continue
            sub = subs[0]
            try:
                data = sub.read_module()
                check_encoding(data, assignment.filename)
            except SubmissionProblem as problem:
                deferred.append((sub, student, problem.status, problem.message, ""))
                continue
            sha = sha256_of(data)
            stored = None if force else resume.reusable(out, student, sha256=sha, version=version)
            if stored is not None:
                finish(stored, sub, reused=True)
            else:
                tasks.append(Task(student, data, sha, data={"submission": sub}))
        tests = _trusted_tests(out, version)
        if tasks or (deferred and tests is None):
            engine = Engine(assignment, profile=profile, jobs=jobs, limits=limits, mode=mode,
                            hide=[submissions_dir, out], warm=len(tasks) > 1).start()
            if engine.collect_errors or not engine.tests:
                errors = "; ".join(e["message"].strip().splitlines()[-1] if e["message"].strip() else e["nodeid"]
                                   for e in engine.collect_errors)
                raise HiddenTestsBroken(f"the hidden tests of {assignment.id} cannot be collected: "
                                        f"{errors or 'no tests found'}")
            tests = engine.tests
            gradebook.write_atomic(out / TESTS_CACHE, json.dumps({"version": version, "tests": tests}))
            info["isolation"] = engine.mode
        for sub, student, status, message, sha in deferred:
            result = unrunnable(student, status, message, tests or [], sha256=sha)
            previous = None if force else resume.stored(out, student)
            if (previous is not None and previous.status == status and previous.message.startswith(message)
                    and previous.tests_version == version):
                finish(previous, sub, reused=True)
            else:
                finish(result, sub)
        if tasks:
            for task, result in engine.run(tasks, on_start=lambda t: progress.started(t.student)):
                finish(result, task.data["submission"])
    finally:
        progress.close()
        if engine is not None:
            engine.close()
        if results:
            gradebook.write_csv(list(results.values()), out / "grades.csv")
            gradebook.write_summary(list(results.values()), out, title, info=info)
    return [results[k] for k in sorted(results)]


def _trusted_tests(out: Path, version: str) -> list[dict] | None:
    try:
        cached = json.loads((out / TESTS_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cached.get("tests") if cached.get("version") == version else None


def grade_one(assignment, submission: Submission, *, profile: str | None = None,
              engine: Engine | None = None) -> SubmissionResult:
    """One submission (no gradebook files): read, check, run. Used by ``grade_submission``."""
    try:
        data = submission.read_module()
        check_encoding(data, assignment.filename)
    except SubmissionProblem as problem:
        tests = engine.tests if engine is not None else _collect_only(assignment, profile)
        return unrunnable(submission.student, problem.status, problem.message, tests)
    task = Task(submission.student, data, sha256_of(data))
    if engine is not None:
        result = next(iter(engine.run([task])))[1]
    else:
        with Engine(assignment, profile=profile) as started:
            result = next(iter(started.run([task])))[1]
    result.ignored = submission.ignored_notes()
    result.source = submission.path.name
    result.graded_at = _now()
    return result


def _collect_only(assignment, profile) -> list[dict]:
    try:
        with Engine(assignment, profile=profile) as started:
            return started.tests
    except EngineError:
        return []
