"""What happened to a submission across its runs (``Tally``), and the verdict: status, message and
per-test outcomes of its ``SubmissionResult``.

The status is the most serious thing that happened (grader failure, tampering, syntax error, time,
memory, output, a crash, an import error); the message lists everything that happened, in en/zh.
"""

from __future__ import annotations

import signal
import time

from ailit_core.grade.results import (
    STATUS_CRASHED, STATUS_GRADED, STATUS_GRADER_ERROR, STATUS_IMPORT_ERROR, STATUS_MEMORY,
    STATUS_OUTPUT, STATUS_SYNTAX, STATUS_TAMPERED, STATUS_TIMEOUT, SubmissionResult,
)

OUTPUT_HEAD = 4 * 1024
OUTPUT_TAIL = 12 * 1024


class OutputTail:
    """Captured stdout/stderr: first and last bytes kept, the middle counted."""

    def __init__(self):
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = OUTPUT_HEAD - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > OUTPUT_TAIL:
                del self.tail[: len(self.tail) - OUTPUT_TAIL]

    def text(self) -> str:
        omitted = self.total - len(self.head) - len(self.tail)
        middle = f"\n… [{omitted} bytes omitted] …\n" if omitted > 0 else ""
        return (bytes(self.head).decode("utf-8", "replace") + middle + bytes(self.tail).decode("utf-8", "replace"))


class Tally:
    """Everything learnt about one submission across its runs."""

    def __init__(self, task, tests: list[dict]):
        self.task = task
        self.tests = {t["nodeid"]: {**t, "outcome": "not run", "message": "", "duration": 0.0} for t in tests}
        self.order = [t["nodeid"] for t in tests]
        self.done: set[str] = set()
        self.notes: list[str] = []
        self.flags: set[str] = set()
        self.tamper: list[str] = []
        self.output = OutputTail()
        self.started = time.monotonic()
        self.student_time = 0.0
        self.runs = 0
        self.import_message = ""
        self.crash: tuple = (None, "", None)  # exit code, phase, test of the last run that ended early
        self.where = ""  # the phase a run was stopped in, when not during a test

    def remaining(self) -> list[str]:
        return [n for n in self.order if n not in self.done]


def cut_short(reason: str, limits, code: int | None = None) -> str:
    return {
        "test_timeout": f"this test did not finish within {limits.test_timeout_s:g} s and was stopped "
                        f"/ 该测试超过 {limits.test_timeout_s:g} 秒未结束，已被终止",
        "timeout": f"the submission's time ({limits.timeout_s:g} s) ran out during this test "
                   f"/ 提交的总时间（{limits.timeout_s:g} 秒）在该测试中用完",
        "memory": f"this test used more than {limits.memory_mb} MB of memory and was stopped "
                  f"/ 该测试内存超过 {limits.memory_mb} MB，已被终止",
        "output": f"this test printed more than {limits.output_mb} MB and was stopped "
                  f"/ 该测试输出超过 {limits.output_mb} MB，已被终止",
        "crashed": f"the test process ended during this test ({describe_exit(code)}) "
                   f"/ 测试进程在该测试中意外结束（{describe_exit(code)}）",
    }[reason]


def result(tally: "Tally", limits, module: str, mode: str, *, death_note: str = "") -> SubmissionResult:
    """The submission's status (the most serious thing that happened) and its row's message."""
    flags = tally.flags
    tests = [dict(tally.tests[n]) for n in tally.order]
    notes: list[str] = []
    if flags & {"sandbox_error", "grader_failed", "setup_timeout"}:
        status = STATUS_GRADER_ERROR
        if "grader_failed" in flags:
            notes.append("the grading process stopped unexpectedly; grade this submission again "
                         f"/ 评分进程意外终止，请重新评分 {death_note[-300:]}".strip())
        if "setup_timeout" in flags:
            notes.append("the test run did not start in time (a grader problem) / 测试进程未能按时启动（评分端问题）")
    elif "tampered" in flags:
        status = STATUS_TAMPERED
        for t in tests:
            if t["outcome"] == "passed":
                t["outcome"], t["message"] = "failed", "not credited: the run tampered with grading / 篡改评分，不计分"
        shown = "; ".join(dict.fromkeys(tally.tamper))[:600]
        notes.append("the submission changed the grading machinery or its results channel while it ran, so no "
                     f"test is credited ({shown}) / 提交的代码在运行时篡改了评分程序或结果通道，所有测试均不计分")
    elif "syntax" in flags:
        status = STATUS_SYNTAX
        notes.append(f"{module}: {tally.import_message} / {module} 有语法错误，无法导入")
    elif flags & {"timeout", "import_timeout", "test_timeout", "restarts"}:
        status = STATUS_TIMEOUT
    elif "memory" in flags:
        status = STATUS_MEMORY
    elif "output" in flags:
        status = STATUS_OUTPUT
    elif flags & {"crashed", "stalled"}:
        status = STATUS_CRASHED
    elif "import_error" in flags:
        status = STATUS_IMPORT_ERROR
    else:
        status = STATUS_GRADED
    if status not in (STATUS_GRADER_ERROR, STATUS_TAMPERED, STATUS_SYNTAX):
        notes += what_happened(tally, tests, limits, module)
    if flags & {"syntax", "import_timeout"}:
        reason = tally.import_message or "the module could not be imported"
        for t in tests:
            if t["outcome"] == "not run":
                t["outcome"], t["message"] = "failed", reason
    notes += tally.notes
    result = SubmissionResult(tally.task.student, status, tests, "\n".join(notes), tally.student_time,
                              tally.task.sha256)
    result.output = tally.output.text()
    result.runs = tally.runs
    result.isolation = mode
    return result


def what_happened(tally: "Tally", tests: list[dict], limits, module: str) -> list[str]:
    flags = tally.flags
    where = tally.where
    during = {"importing": f" while importing {module}", "starting": " before the tests started"}.get(where, "")
    notes = []
    if "import_timeout" in flags:
        notes.append(f"importing {module} took longer than {limits.test_timeout_s:g} s, so no test could run "
                     f"/ 导入 {module} 超过 {limits.test_timeout_s:g} 秒，测试无法运行")
    if "import_error" in flags:
        notes.append(f"importing {module} failed: {tally.import_message} / 导入 {module} 失败")
    slow = [t["name"] for t in tests if t.get("timeout")]
    if slow:
        notes.append(f"tests that ran out of time ({limits.test_timeout_s:g} s each): {', '.join(slow)} "
                     f"/ 超时的测试：{', '.join(slow)}")
    if flags & {"timeout", "restarts"}:
        notes.append(f"the tests took longer than {limits.timeout_s:g} s in total; tests not finished by then "
                     f"score 0 / 测试总时间超过 {limits.timeout_s:g} 秒，未完成的测试记 0 分")
    if "memory" in flags:
        notes.append(f"the run used more than {limits.memory_mb} MB of memory and was stopped{during} "
                     f"/ 内存超过 {limits.memory_mb} MB，运行被终止")
    if "output" in flags:
        notes.append(f"the run printed more than {limits.output_mb} MB and was stopped{during} "
                     f"/ 输出超过 {limits.output_mb} MB，运行被终止")
    if "stalled" in flags:
        notes.append("the run stopped responding between tests and was stopped / 运行在测试之间停止响应，已被终止")
    if "crashed" in flags:
        code, phase, current = tally.crash
        how = describe_exit(code)
        if phase == "importing":
            place = f"while importing {module} (for example exit() or os._exit() at import time)"
        elif phase == "test" and current in tally.tests:
            place = f"during test {tally.tests[current]['name']}"
        else:
            place = "between tests" if phase == "between tests" else f"({phase})"
        notes.append(f"the test process ended unexpectedly ({how}) {place}; tests that had not finished score 0 "
                     f"/ 测试进程意外结束（{how}），未完成的测试记 0 分")
    return notes


def describe_exit(code: int | None) -> str:
    if code is None:
        return "unknown exit"
    signum = -code if code < 0 else code - 128 if code > 128 else 0
    if signum:
        try:
            return f"killed by {signal.Signals(signum).name}"
        except ValueError:
            pass
    return f"exit code {code}"


