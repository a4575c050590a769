"""Grading a folder of submissions: discovery, reuse of unchanged results, the engine, the files.

Every entry of SUBMISSIONS gets exactly one row, whatever it holds: problems found before anything
runs (no module, two copies of it, an unreadable or unsupported file, the unchanged stub, two
submissions for one student) get their own status, and so does any failure writing one student's
files; nothing a student uploads stops the batch. Results are written as each submission
finishes (``results.json`` last) and ``grades.csv`` is kept current (``gradebook.CsvWriter``), so
a batch stopped at any point has a consistent gradebook of what it finished.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from ailit_core import assignments
from ailit_core.grade import gradebook, overrides as overrides_file, resume, summary
from ailit_core.grade.engine import Engine, EngineError, Task
from ailit_core.grade.options import GradeOptions
from ailit_core.grade.results import (
    STATUS_DUPLICATE, STATUS_GRADED, STATUS_GRADER_ERROR, STATUS_STUB, STATUS_TIMEOUT, STATUS_UNREADABLE,
    SubmissionResult,
)
from ailit_core.grade.submissions import (
    Submission, SubmissionProblem, discover, group, sha256_of, skipped_entries,
)

TESTS_CACHE = ".ailit-tests.json"
GRADER_LOG = "grader-log.txt"
IGNORED_PREFIX = "ignored (only the module is graded) / 以下文件被忽略: "
STUB_MESSAGE = ("this is the starter file exactly as released: nothing was implemented, so no test was run; "
                "submit the file with your code / 这是未修改的初始文件，没有运行测试，请提交完成后的代码")


class HiddenTestsBroken(RuntimeError):
    pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def title_of(assignment) -> str:
    return f"{assignment.id}: {assignment.title_en} / {assignment.title_zh}"


def unrunnable(student: str, status: str, message: str, tests: list[dict], *, sha256: str = "") -> SubmissionResult:
    listed = [{**t, "outcome": "not run", "message": "", "duration": 0.0} for t in tests]
    return SubmissionResult(student, status, listed, message, sha256=sha256)


def _normalized(source: bytes) -> str:
    text = source.decode("utf-8-sig", "replace").replace("\r\n", "\n")
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def _stub_of(assignment) -> str | None:
    try:
        return _normalized(assignment.stub_path.read_bytes())
    except OSError:
        return None


def base_message(result: SubmissionResult) -> str:
    """The message without the notes and ignored list a run added (so a reused result shows this
    run's, never a stale list)."""
    drop = set(result.notes)
    return "\n".join(line for line in result.message.split("\n")
                     if line not in drop and not line.startswith(IGNORED_PREFIX)).strip()


def describe(result: SubmissionResult, submission: Submission) -> None:
    """Where the submission came from, when it was made, and what was ignored or converted."""
    base = base_message(result)
    result.notes = list(submission.notes)
    result.source = submission.name
    result.ignored = submission.ignored_notes()
    result.submitted_at = submission.submitted_at
    lines = [base] + list(submission.notes)
    if result.ignored:
        lines.append(IGNORED_PREFIX + ", ".join(result.ignored[:10]) + (" …" if len(result.ignored) > 10 else ""))
    result.message = "\n".join(line for line in lines if line).strip()


class _Progress:
    """The progress bar: ``problems`` are the students' (no module, syntax error...), ``grader_errors``
    ours; only the latter mean grading again."""

    def __init__(self, total: int, quiet: bool, desc: str):
        self.counts = {"graded": 0, "timeouts": 0, "problems": 0, "grader_errors": 0, "reused": 0}
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
        elif result.status == STATUS_GRADER_ERROR:
            self.counts["grader_errors"] += 1
        else:
            self.counts["problems"] += 1
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


def grade_batch(options: GradeOptions) -> list[SubmissionResult]:
    """Grade every entry of ``options.submissions_dir`` into ``options.out``; results by student."""
    assignment_id, profile, force = options.assignment_id, options.profile, options.force
    submissions_dir, out, quiet = options.submissions_dir, options.out, options.quiet
    assignment = assignments.get(assignment_id)
    if not assignment.hidden_tests_dir.is_dir():
        raise FileNotFoundError(f"no hidden tests for {assignment.id} (expected {assignment.hidden_tests_dir})")
    found = discover(submissions_dir, assignment.filename, out=out)
    out.mkdir(parents=True, exist_ok=True)
    title = title_of(assignment)
    limits = options.limits(assignment)
    version = resume.tests_version(assignment, profile=profile, limits=limits)
    overrides, override_problems = overrides_file.load(out)
    overrides_file.write_template(out)
    by_student = group(found)
    folders = gradebook.folder_names(list(by_student))
    stub = _stub_of(assignment)
    results: dict[str, SubmissionResult] = {}
    rows = gradebook.CsvWriter(out / "grades.csv", assignment_id=assignment.id, overrides=overrides)
    progress = _Progress(len(by_student), quiet, f"grading {assignment.id}")
    info = {"reused": 0, "graded": 0, "skipped": skipped_entries(submissions_dir, out),
            "override_problems": override_problems}
    engine: Engine | None = None

    def finish(result: SubmissionResult, submission: Submission | None, *, reused: bool = False) -> None:
        result.folder = folders[result.student]
        if submission is not None:
            describe(result, submission)
        if not reused:
            result.tests_version = version
            result.graded_at = _now()
        try:
            gradebook.write_student(out, result, title, overrides.get(result.student), refresh=reused)
        except (OSError, ValueError) as exc:  # one student's files: that student's row says so
            result.status = STATUS_GRADER_ERROR
            result.message = (f"the grader could not write this student's files ({exc}); grade again "
                              f"/ 无法写入该学生的评分文件，请重新评分\n{result.message}").strip()
        info["reused" if reused else "graded"] += 1
        results[result.student] = result
        rows.add(result)
        progress.finished(result, reused=reused)

    pending: list[Task] = []
    deferred: list[tuple[Submission | None, str, str, str, str]] = []  # found before running anything
    try:
        for student, subs in by_student.items():
            if len(subs) > 1:
                names = ", ".join(s.name + ("/" if s.path.is_dir() else "") for s in subs)
                deferred.append((None, student, STATUS_DUPLICATE,
                                 f"{len(subs)} submissions for {student}: {names}; keep one and grade again "
                                 f"/ {student} 有 {len(subs)} 份提交（{names}），请只保留一份后重新评分", ""))
                continue
            sub = subs[0]
            try:
                data = sub.load()
            except SubmissionProblem as problem:
                deferred.append((sub, student, problem.status, problem.message, ""))
                continue
            except OSError as exc:
                deferred.append((sub, student, STATUS_UNREADABLE, f"cannot read {sub.name}: {exc} / 无法读取", ""))
                continue
            except Exception as exc:  # noqa: BLE001 - our bug, not the student's: their row says grade again
                deferred.append((sub, student, STATUS_GRADER_ERROR,
                                 f"the grader failed reading {sub.name} ({type(exc).__name__}: {exc}); "
                                 f"grade again or report it / 评分程序读取该提交时出错，请重新评分", ""))
                continue
            sha = sha256_of(data)
            if stub is not None and _normalized(data) == stub:
                deferred.append((sub, student, STATUS_STUB, STUB_MESSAGE, sha))
                continue
            stored = None if force else resume.reusable(out, folders[student], sha256=sha, version=version,
                                                        student=student)
            if stored is not None:
                finish(stored, sub, reused=True)
            else:
                pending.append(Task(student, data, sha, data={"submission": sub}))
        tests = _trusted_tests(out, version)
        if pending or (deferred and tests is None):
            try:
                engine = _executor(options, assignment, limits, warm=len(pending) > 1).start()
            except EngineError as exc:
                _keep_log(out, exc, info)
                raise
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
            previous = None if force else resume.stored(out, folders[student])
            if (previous is not None and previous.status == status and previous.student == student
                    and base_message(previous) == message and previous.tests_version == version):
                finish(previous, sub, reused=True)
            else:
                finish(result, sub)
        if pending:
            try:
                for task, result in engine.run(pending, on_start=lambda t: progress.started(t.student)):
                    finish(result, task.data["submission"])
            except EngineError as exc:
                _keep_log(out, exc, info)
                raise
    finally:
        progress.close()
        if engine is not None:
            engine.close()
        if results:
            rows.flush()
            summary.write_summary(list(results.values()), out, title, info=info, overrides=overrides)
    return [results[k] for k in sorted(results)]


def _executor(options: GradeOptions, assignment, limits, *, warm: bool):
    """This machine's engine, or with ``--dask`` the cluster's (Dask imported only then)."""
    hide = [options.submissions_dir, options.out]
    if options.dask:
        from ailit_core.grade.dask import DaskExecutor

        return DaskExecutor(options.dask, assignment, profile=options.profile, limits=limits, mode=options.mode,
                            hide=hide)
    return Engine(assignment, profile=options.profile, jobs=options.jobs, limits=limits, mode=options.mode,
                  hide=hide, warm=warm)


def _keep_log(out: Path, exc: BaseException, info: dict) -> None:
    log = getattr(exc, "log", "") or ""
    if log.strip():
        try:
            gradebook.write_atomic(out / GRADER_LOG, log)
            info["grader_log"] = GRADER_LOG
        except OSError:
            pass


def _trusted_tests(out: Path, version: str) -> list[dict] | None:
    try:
        cached = json.loads((out / TESTS_CACHE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return cached.get("tests") if cached.get("version") == version else None


def grade_one(assignment, submission: Submission, *, profile: str | None = None,
              engine: Engine | None = None) -> SubmissionResult:
    """One submission (no gradebook files): read and check it, then ``runner.run_hidden_tests``.

    The one way a single submission is graded: ``ailit grade`` per entry, the Gradescope run, and
    (through ``run_hidden_tests`` on a notebook's module) the notebook check."""
    from ailit_core.grade.runner import run_hidden_tests

    try:
        data = submission.load()
    except SubmissionProblem as problem:
        tests = engine.tests if engine is not None else _collect_only(assignment, profile)
        result = unrunnable(submission.student, problem.status, problem.message, tests)
        describe(result, submission)
        return result
    result = run_hidden_tests(assignment, data, student=submission.student, profile=profile, engine=engine)
    describe(result, submission)
    result.graded_at = _now()
    return result


def _collect_only(assignment, profile) -> list[dict]:
    try:
        with Engine(assignment, profile=profile) as started:
            return started.tests
    except EngineError:
        return []
