"""Per-student feedback in Markdown and HTML (en/zh): each lost point with what the test checks
(its docstring) and why it failed (the failure's own message), never the hidden test's code."""

from __future__ import annotations

import html

from ailit_core.grade.results import DESCRIPTIONS, RAN_STATUSES, STATUS_GRADER_ERROR, SubmissionResult

NOTHING_RAN = ("No test ran: the submission could not be graded as it is (see above). Fix that and submit again. "
               "/ 未运行任何测试：提交无法按原样评分（见上文），请修正后重新提交。")


def _fmt(points: float) -> str:
    return f"{points:g}"


def _status_line(result: SubmissionResult) -> str:
    en, zh = DESCRIPTIONS.get(result.status, (result.status, result.status))
    return f"`{result.status}` — {en} / {zh}"


def _never_ran(result: SubmissionResult) -> bool:
    """Found before anything ran (no module, stub, archive...): one line, not a lost-test list."""
    return (result.status not in RAN_STATUSES and result.status != STATUS_GRADER_ERROR
            and all(t["outcome"] == "not run" for t in result.tests))


def _lost(result: SubmissionResult) -> list[dict]:
    # A skipped 0-point test (an optional check this machine cannot run) costs nothing: not a loss.
    return [t for t in result.tests
            if t["outcome"] != "passed" and not (t["outcome"] == "skipped" and not t.get("points"))]


def _passed(result: SubmissionResult) -> list[dict]:
    return [t for t in result.tests if t["outcome"] == "passed"]


def _why(test: dict) -> str:
    message = test.get("message", "")
    if test["outcome"] == "not run":
        return f"{message}\n" * bool(message) + "did not run: the run stopped before this test / 未运行：运行在此之前已终止"
    if test["outcome"] == "skipped":
        return f"{message}\n" * bool(message) + "skipped (scores 0) / 被跳过（记 0 分）"
    return message


def _override_line(result: SubmissionResult, override) -> str:
    return (f"Score set by your TA / 助教调整后的得分: {_fmt(override.score)} (autograder / 自动评分: "
            f"{_fmt(result.score)}) — {override.reason or 'no reason given / 未注明原因'}")


def render_markdown(result: SubmissionResult, assignment_title: str, override=None) -> str:
    score = override.score if override is not None else result.score
    lines = [
        f"# {assignment_title} — {result.student}",
        "",
        f"**Score / 得分: {_fmt(score)} / {_fmt(result.max_score)}**  ",
        f"Status / 状态: {_status_line(result)}",
        "",
    ]
    if override is not None:
        lines[-1:-1] = [f"{_override_line(result, override)}  "]
    if result.submitted_at:
        lines[-1:-1] = [f"Submitted / 提交时间: {result.submitted_at}  "]
    if result.message:
        lines += ["## What happened / 运行情况", "", "```", result.message.strip(), "```", ""]
    lost, passed = _lost(result), _passed(result)
    if lost and _never_ran(result):
        lines += ["## Tests / 测试", "", NOTHING_RAN, ""]
        lines += [f"- {t['name']} (0 / {_fmt(t['points'])})" for t in lost]
        lines.append("")
    elif lost:
        lines += ["## Points lost / 失分项", ""]
        for t in lost:
            lines.append(f"### ✗ {t['name']} (0 / {_fmt(t['points'])})")
            if t.get("description"):
                lines += ["", t["description"]]
            why = _why(t)
            if why:
                lines += ["", "```", why.strip(), "```"]
            lines.append("")
    if passed:
        lines += ["## Passed / 通过", ""]
        lines += [f"- ✓ {t['name']} ({_fmt(t['points'])} / {_fmt(t['points'])})" for t in passed]
        lines.append("")
    if result.ignored:
        lines += ["## Files not graded / 未评分的文件", "",
                  "Only the module file is graded; these were ignored. / 只评分模块文件，以下文件被忽略。", ""]
        lines += [f"- {name}" for name in result.ignored[:50]]
        lines.append("")
    if not result.tests and not result.message:
        lines += ["No tests ran. / 没有运行任何测试。", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;max-width:52rem;
margin:2rem auto;padding:0 1rem;color:#1d2330;line-height:1.5}
h1{font-size:1.4rem}.score{font-size:1.3rem;font-weight:600}.status{color:#555}
.test{border:1px solid #ddd;border-radius:6px;padding:.6rem .9rem;margin:.6rem 0}
.lost{border-left:5px solid #c0392b}.ok{border-left:5px solid #27ae60}
pre{background:#f6f7f9;padding:.6rem;border-radius:4px;white-space:pre-wrap;word-break:break-word}
.pts{float:right;color:#555}
"""


def render_html(result: SubmissionResult, assignment_title: str, override=None) -> str:
    e = html.escape
    score = override.score if override is not None else result.score
    parts = [
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
        f"<title>{e(assignment_title)} — {e(result.student)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{e(assignment_title)} — {e(result.student)}</h1>",
        f"<p class=\"score\">Score / 得分: {_fmt(score)} / {_fmt(result.max_score)}</p>",
        f"<p class=\"status\">Status / 状态: {e(_status_line(result).replace('`', ''))}</p>",
    ]
    if override is not None:
        parts.append(f"<p class=\"status\">{e(_override_line(result, override))}</p>")
    if result.submitted_at:
        parts.append(f"<p class=\"status\">Submitted / 提交时间: {e(result.submitted_at)}</p>")
    if result.message:
        parts += ["<h2>What happened / 运行情况</h2>", f"<pre>{e(result.message.strip())}</pre>"]
    lost, passed = _lost(result), _passed(result)
    if lost and _never_ran(result):
        parts.append(f"<h2>Tests / 测试</h2><p>{e(NOTHING_RAN)}</p><ul>")
        parts += [f"<li>{e(t['name'])} (0 / {_fmt(t['points'])})</li>" for t in lost]
        parts.append("</ul>")
    elif lost:
        parts.append("<h2>Points lost / 失分项</h2>")
        for t in lost:
            parts.append(f"<div class=\"test lost\"><span class=\"pts\">0 / {_fmt(t['points'])}</span>"
                         f"<strong>✗ {e(t['name'])}</strong>")
            if t.get("description"):
                parts.append(f"<p>{e(t['description'])}</p>")
            why = _why(t)
            if why:
                parts.append(f"<pre>{e(why.strip())}</pre>")
            parts.append("</div>")
    if passed:
        parts.append("<h2>Passed / 通过</h2>")
        parts += [f"<div class=\"test ok\"><span class=\"pts\">{_fmt(t['points'])} / {_fmt(t['points'])}</span>"
                  f"✓ {e(t['name'])}</div>" for t in passed]
    if result.ignored:
        parts.append("<h2>Files not graded / 未评分的文件</h2><p>Only the module file is graded; these were "
                     "ignored. / 只评分模块文件，以下文件被忽略。</p><ul>")
        parts += [f"<li>{e(name)}</li>" for name in result.ignored[:50]]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
