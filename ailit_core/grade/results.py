"""A submission's grading result, and its Gradescope ``results.json`` form.

Schema: https://gradescope-autograders.readthedocs.io/en/latest/specs/ -- top-level ``score``,
``output``, ``visibility``, ``tests[]`` with ``name``, ``score``, ``max_score``, ``status``,
``output``, ``visibility``. ``status`` there is ``passed``/``failed``; the grading status of the
whole submission (graded, timeout, ...) is ours and goes in ``extra_data`` together with the full
record, so a later run can reuse the result without grading again (``resume``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

STATUS_GRADED = "graded"  # the tests ran; the score is what they say
STATUS_ERROR = "error"  # generic: kept for callers of the first engine
STATUS_IMPORT_ERROR = "import_error"  # the module raised while being imported; tests ran and failed
STATUS_SYNTAX = "syntax_error"
STATUS_TIMEOUT = "timeout"  # a test or the whole run ran out of time; finished tests keep their points
STATUS_MEMORY = "memory"
STATUS_OUTPUT = "output_limit"
STATUS_CRASHED = "crashed"  # the test process ended early (exit at import, killed itself...)
STATUS_TAMPERED = "tampered"  # changed the grading machinery or forged results: nothing credited
STATUS_GRADER_ERROR = "grader_error"  # our failure, never the student's: not cached, grade again
# Found before anything runs:
STATUS_MISSING = "missing_module"
STATUS_EMPTY = "empty"
STATUS_BAD_ZIP = "bad_zip"
STATUS_TOO_LARGE = "too_large"
STATUS_ENCODING = "bad_encoding"
STATUS_DUPLICATE = "duplicate"
STATUS_AMBIGUOUS = "ambiguous_module"  # two or more different copies of the module: never a silent pick
STATUS_UNSUPPORTED = "unsupported_format"  # a file type we do not read (or cannot here: .rar without a tool)
STATUS_UNREADABLE = "unreadable"  # the grader's account may not read it (file modes), or the disk failed
STATUS_STUB = "unchanged_stub"  # the released starter file, untouched: nothing to run

# Statuses whose tests really ran the student's code: the summary's per-test pass rates count these.
TESTED_STATUSES = {STATUS_GRADED, STATUS_TIMEOUT, STATUS_MEMORY, STATUS_OUTPUT, STATUS_CRASHED}
RAN_STATUSES = {STATUS_GRADED, STATUS_IMPORT_ERROR, STATUS_SYNTAX, STATUS_TIMEOUT, STATUS_MEMORY, STATUS_OUTPUT,
                STATUS_CRASHED, STATUS_TAMPERED, STATUS_ERROR}
TIMEOUT_STATUSES = {STATUS_TIMEOUT}

DESCRIPTIONS = {
    STATUS_GRADED: ("graded", "已评分"),
    STATUS_IMPORT_ERROR: ("the module raised an error when imported", "导入模块时出错"),
    STATUS_SYNTAX: ("syntax error", "语法错误"),
    STATUS_TIMEOUT: ("ran out of time", "超时"),
    STATUS_MEMORY: ("used too much memory", "内存超限"),
    STATUS_OUTPUT: ("printed too much output", "输出过多"),
    STATUS_CRASHED: ("the test process ended early", "测试进程提前结束"),
    STATUS_TAMPERED: ("tampered with grading", "篡改评分"),
    STATUS_GRADER_ERROR: ("grader problem; grade again", "评分端故障，请重新评分"),
    STATUS_MISSING: ("module file missing", "缺少模块文件"),
    STATUS_EMPTY: ("empty submission", "空提交"),
    STATUS_BAD_ZIP: ("the archive cannot be read", "压缩包无法读取"),
    STATUS_TOO_LARGE: ("file too large", "文件过大"),
    STATUS_ENCODING: ("not readable as text", "无法按文本解码"),
    STATUS_DUPLICATE: ("more than one submission for this student", "同一学生有多份提交"),
    STATUS_AMBIGUOUS: ("more than one copy of the module", "提交中有多份模块文件"),
    STATUS_UNSUPPORTED: ("file type not graded", "不支持的文件格式"),
    STATUS_UNREADABLE: ("could not be read", "无法读取"),
    STATUS_STUB: ("the starter file, unchanged", "未修改的初始文件"),
    STATUS_ERROR: ("error", "错误"),
}


@dataclass
class SubmissionResult:
    student: str
    status: str
    tests: list[dict] = field(default_factory=list)  # nodeid, name, description, points, visibility, outcome, message, duration
    message: str = ""  # what happened to the submission as a whole, for the TA and the student
    duration: float = 0.0
    sha256: str = ""
    output: str = ""  # captured stdout/stderr (head and tail): for the TA only
    runs: int = 0
    isolation: str = ""
    tests_version: str = ""
    graded_at: str = ""
    source: str = ""  # where the submission came from (folder, zip, file)
    ignored: list[str] = field(default_factory=list)
    submitted_at: str = ""  # when the student's file was last changed (file mtime / archive entry time), if known
    notes: list[str] = field(default_factory=list)  # how the module was found or decoded (also in message)
    folder: str = ""  # the student's folder under OUT/students/ (the name, made safe and unique)

    @property
    def score(self) -> float:
        return round(sum(t["points"] for t in self.tests if t["outcome"] == "passed"), 6)

    @property
    def max_score(self) -> float:
        return round(sum(t["points"] for t in self.tests), 6)

    def to_record(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_record(cls, record: dict) -> "SubmissionResult":
        known = {k: record[k] for k in cls.__dataclass_fields__ if k in record}
        return cls(**known)


def test_output(test: dict) -> str:
    parts = [test.get("description", "")]
    if test["outcome"] != "passed":
        if test.get("message"):
            parts.append(test["message"])
        if test["outcome"] == "not run":
            parts.append("This test did not run (the run stopped before it). / 该测试未运行（运行提前终止）。")
        elif test["outcome"] == "skipped":
            parts.append("This test was skipped, which scores 0. / 该测试被跳过，记 0 分。")
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
    record = result.to_record()
    record.pop("output", None)  # the TA reads it in output.txt; it can be large
    return {
        "score": result.score,
        "max_score": result.max_score,
        "execution_time": round(result.duration, 3),
        "output": result.message,
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": {"student": result.student, "status": result.status, "sha256": result.sha256,
                       "tests_version": result.tests_version, "graded_at": result.graded_at, "ailit": record},
    }


def from_gradescope(data: dict) -> SubmissionResult | None:
    """The result stored in a ``results.json`` we wrote; None if it is not one of ours."""
    record = (data.get("extra_data") or {}).get("ailit") if isinstance(data, dict) else None
    if not isinstance(record, dict) or "student" not in record or "status" not in record:
        return None
    try:
        return SubmissionResult.from_record(record)
    except TypeError:
        return None
