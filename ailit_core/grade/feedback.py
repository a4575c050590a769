"""Per-student feedback in Markdown (en/zh): each lost point with what the test checks and why it
failed, never the hidden test's code."""

from __future__ import annotations

from ailit_core.grade.results import SubmissionResult


def _fmt(points: float) -> str:
    return f"{points:g}"


def render_markdown(result: SubmissionResult, assignment_title: str) -> str:
    lines = [
        f"# {assignment_title} — {result.student}",
        "",
        f"**Score / 得分: {_fmt(result.score)} / {_fmt(result.max_score)}**  ",
        f"Status / 状态: `{result.status}`",
        "",
    ]
    if result.message:
        lines += ["## What happened / 运行情况", "", "```", result.message.strip(), "```", ""]
    lost = [t for t in result.tests if t["outcome"] != "passed"]
    passed = [t for t in result.tests if t["outcome"] == "passed"]
    if lost:
        lines += ["## Points lost / 失分项", ""]
        for t in lost:
            lines.append(f"### ✗ {t['name']} (0 / {_fmt(t['points'])})")
            if t.get("description"):
                lines += ["", t["description"]]
            if t.get("message"):
                lines += ["", "```", t["message"].strip(), "```"]
            lines.append("")
    if passed:
        lines += ["## Passed / 通过", ""]
        lines += [f"- ✓ {t['name']} ({_fmt(t['points'])} / {_fmt(t['points'])})" for t in passed]
        lines.append("")
    if not result.tests and not result.message:
        lines += ["No tests ran. / 没有运行任何测试。", ""]
    return "\n".join(lines)
