"""The batch summary for the TA: ``summary.md``, ``summary.html`` (a table of every student,
sortable by clicking a column, each linked to their feedback) and ``histogram.png``.

Per-test pass rates count only submissions whose tests really ran the student's code
(``results.TESTED_STATUSES`` and a test that was not "not run"): a syntax error, an unchanged
stub or a missing module says nothing about how hard a test is.
"""

from __future__ import annotations

import html
import io
import statistics
from collections import Counter
from pathlib import Path

from ailit_core.grade import feedback
from ailit_core.grade.gradebook import STUDENTS, _first_line, final_score, safe_name, write_atomic
from ailit_core.grade.overrides import Override
from ailit_core.grade.results import DESCRIPTIONS, STATUS_GRADED, TESTED_STATUSES, SubmissionResult


def _tested(results: list[SubmissionResult]) -> list[SubmissionResult]:
    return [r for r in results if r.status in TESTED_STATUSES and r.tests]


def _function(name: str) -> str:
    return name.split("[", 1)[0]


def most_failed(results: list[SubmissionResult], limit: int | None = 10) -> list[tuple[str, str, int, int]]:
    """(test, description, failed by, out of) over submissions whose tests ran, most failed first;
    the cases of a parametrized test count as one test (failed = any case failed)."""
    ran = _tested(results)
    failures = Counter(name for r in ran for name in {_function(t["name"]) for t in r.tests
                                                      if t["outcome"] not in ("passed", "not run")})
    described = {_function(t["name"]): t.get("description", "") for r in ran for t in r.tests}
    ordered = failures.most_common(limit)
    return [(name, described.get(name, ""), count, len(ran)) for name, count in ordered]


def pass_rates(results: list[SubmissionResult]) -> list[dict]:
    """Every test (cases grouped): points, submissions where it ran, how many passed every case."""
    ran = _tested(results)
    order: dict[str, dict] = {}
    for r in ran:
        cases: dict[str, list[dict]] = {}
        for t in r.tests:
            cases.setdefault(_function(t["name"]), []).append(t)
        for name, tests in cases.items():
            row = order.setdefault(name, {"test": name, "description": tests[0].get("description", ""),
                                          "points": sum(t["points"] for t in tests), "ran": 0, "passed": 0})
            if all(t["outcome"] == "not run" for t in tests):
                continue
            row["ran"] += 1
            row["passed"] += all(t["outcome"] == "passed" for t in tests)
    rows = list(order.values())
    for row in rows:
        row["rate"] = row["passed"] / row["ran"] if row["ran"] else None
    return rows


def _stats(scores: list[float]) -> dict:
    if not scores:
        return {}
    return {"mean": statistics.fmean(scores), "median": statistics.median(scores), "min": min(scores),
            "max": max(scores)}


def write_histogram(scores: list[float], top: float, path: Path, title: str) -> bool:
    """Score distribution; ``title`` in ASCII (CJK fonts are rarely installed on grading machines)."""
    if not scores:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = top or 100.0
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    ax.hist([min(max(s, 0), top) for s in scores], bins=[top * i / 10 for i in range(11)], color="#3b6ea8",
            edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("submissions")
    ax.set_title(title, fontsize=9)
    ax.set_xlim(0, top)
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return True


def _describe(status: str) -> str:
    en, zh = DESCRIPTIONS.get(status, (status, status))
    return f"{en} / {zh}"


def _link(r: SubmissionResult) -> str:
    return f"{STUDENTS}/{r.folder or safe_name(r.student)}/feedback.html"


def _md(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ").replace("[", "\\[").replace("]", "\\]")


def render_summary(results: list[SubmissionResult], title: str, *, info: dict | None = None,
                   overrides: dict[str, Override] | None = None) -> str:
    info, overrides = info or {}, overrides or {}
    results = sorted(results, key=lambda r: r.student)
    statuses = Counter(r.status for r in results)
    lines = [f"# {title} — batch summary / 批量评分汇总", ""]
    lines.append(f"Entries (one row each) / 提交数（每项一行）: {len(results)}  ")
    if info.get("reused") is not None:
        lines.append(f"Graded in this run / 本次评分: {info.get('graded', 0)}; reused unchanged results / "
                     f"沿用未变更的结果: {info['reused']}  ")
    if info.get("isolation"):
        lines.append(f"Isolation / 隔离方式: {info['isolation']}  ")
    if info.get("grader_log"):
        lines.append(f"Grader log / 评分日志: {info['grader_log']}  ")
    lines += ["", "## Statuses / 状态", "", "| status | count | meaning |", "|---|---|---|"]
    lines += [f"| `{s}` | {n} | {_describe(s)} |" for s, n in sorted(statuses.items())]
    stats = _stats([final_score(r, overrides.get(r.student)) for r in results])
    if stats:
        lines += ["", f"Mean / 平均分: {stats['mean']:.1f}; median / 中位数: {stats['median']:g}; "
                      f"min {stats['min']:g}; max {stats['max']:g}"]
    if info.get("histogram"):
        lines += ["", "![score distribution / 分数分布](histogram.png)"]
    lines += _overrides_md(results, overrides, info)
    rates = pass_rates(results)
    if rates:
        lines += ["", f"## Pass rate per test / 各测试通过率 (over {len(_tested(results))} submissions whose tests "
                      f"ran / 基于实际运行测试的提交)", "", "| test | points | passed | ran | rate | checks |",
                  "|---|---|---|---|---|---|"]
        for row in sorted(rates, key=lambda x: (x["rate"] if x["rate"] is not None else 2, x["test"])):
            rate = f"{row['rate']:.0%}" if row["rate"] is not None else "—"
            lines.append(f"| {row['test']} | {row['points']:g} | {row['passed']} | {row['ran']} | {rate} | "
                         f"{_md(row['description'])[:160]} |")
    troubled = [r for r in results if r.status != STATUS_GRADED]
    if troubled:
        lines += ["", "## Needs attention / 需要处理", "", "| student | status | what happened |", "|---|---|---|"]
        lines += [f"| [{_md(r.student)}]({_link(r).replace(' ', '%20')}) | `{r.status}` | "
                  f"{_md(_first_line(r.message))} |" for r in troubled]
    lines += ["", "## Students / 学生", "", "| student | score | max | status | tests passed | submitted | "
              "what happened |", "|---|---|---|---|---|---|---|"]
    for r in results:
        override = overrides.get(r.student)
        score = f"{final_score(r, override):g}" + (" (override)" if override else "")
        passed = sum(t["outcome"] == "passed" for t in r.tests)
        lines.append(f"| [{_md(r.student)}]({_link(r).replace(' ', '%20')}) | {score} | {r.max_score:g} | "
                     f"`{r.status}` | {passed}/{len(r.tests)} | {r.submitted_at} | {_md(_first_line(r.message))} |")
    if info.get("skipped"):
        lines += ["", "## Not submissions (skipped) / 非提交文件（已跳过）", ""]
        lines += [f"- {name}" for name in info["skipped"]]
    return "\n".join(lines) + "\n"


def _overrides_md(results, overrides, info) -> list[str]:
    lines = []
    known = {r.student for r in results}
    applied = [(s, o) for s, o in sorted(overrides.items()) if s in known]
    unknown = sorted(s for s in overrides if s not in known)
    problems = list(info.get("override_problems", [])) + [
        f"overrides.csv names {s}, who is not in this batch / overrides.csv 中的 {s} 不在本批次中" for s in unknown]
    if applied or problems:
        lines += ["", "## TA overrides / 助教调整 (overrides.csv)", ""]
        by_student = {r.student: r for r in results}
        lines += [f"- {s}: {o.score:g} (autograder {by_student[s].score:g}) — {o.reason}" for s, o in applied]
        lines += [f"- ⚠ {p}" for p in problems]
    return lines


_SORT_JS = """
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var col = th.cellIndex, table = th.closest('table'), body = table.tBodies[0];
    var up = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) {
      var cell = row.cells[col], v = cell.getAttribute('data-sort');
      if (v === null) { v = cell.textContent.trim(); }
      var n = parseFloat(v);
      return th.classList.contains('num') && !isNaN(n) ? n : v.toLowerCase();
    }
    rows.sort(function (a, b) {
      var x = key(a), y = key(b);
      return (x < y ? -1 : x > y ? 1 : 0) * (up ? 1 : -1);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""

_TABLE_CSS = ("table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .5rem;"
              "text-align:left;vertical-align:top}table.sortable th{cursor:pointer;background:#f3f5f8;"
              "user-select:none}table.sortable th[aria-sort=ascending]::after{content:' ▲'}"
              "table.sortable th[aria-sort=descending]::after{content:' ▼'}.st-graded{color:#1e7b34}"
              ".st-other{color:#a5331f}body{max-width:80rem}td.when{white-space:nowrap;font-size:.85em}")


def render_summary_html(results: list[SubmissionResult], title: str, *, info: dict | None = None,
                        overrides: dict[str, Override] | None = None) -> str:
    info, overrides = info or {}, overrides or {}
    e = html.escape
    results = sorted(results, key=lambda r: r.student)
    statuses = Counter(r.status for r in results)
    stats = _stats([final_score(r, overrides.get(r.student)) for r in results])
    parts = ["<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
             f"<title>{e(title)} — summary</title><style>{feedback._CSS}{_TABLE_CSS}</style></head><body>",
             f"<h1>{e(title)} — batch summary / 批量评分汇总</h1>",
             f"<p>Entries (one row each) / 提交数（每项一行）: {len(results)}"]
    if info.get("reused") is not None:
        parts.append(f"<br>Graded in this run / 本次评分: {info.get('graded', 0)}; reused unchanged results / "
                     f"沿用未变更的结果: {info['reused']}")
    if info.get("isolation"):
        parts.append(f"<br>Isolation / 隔离方式: {e(info['isolation'])}")
    if info.get("grader_log"):
        parts.append(f"<br>Grader log / 评分日志: <a href=\"{e(info['grader_log'])}\">{e(info['grader_log'])}</a>")
    parts.append("</p><h2>Statuses / 状态</h2><table><tr><th>status</th><th>count</th><th>meaning</th></tr>")
    parts += [f"<tr><td><code>{e(s)}</code></td><td>{n}</td><td>{e(_describe(s))}</td></tr>"
              for s, n in sorted(statuses.items())]
    parts.append("</table>")
    if stats:
        parts.append(f"<p>Mean / 平均分 {stats['mean']:.1f} · median / 中位数 {stats['median']:g} · "
                     f"min {stats['min']:g} · max {stats['max']:g}</p>")
    if info.get("histogram"):
        parts.append("<img src=\"histogram.png\" alt=\"score distribution\" style=\"max-width:100%\">")
    over = _overrides_md(results, overrides, info)
    if over:
        parts.append("<h2>TA overrides / 助教调整 (overrides.csv)</h2><ul>")
        parts += [f"<li>{e(line[2:])}</li>" for line in over if line.startswith("- ")]
        parts.append("</ul>")
    rates = pass_rates(results)
    if rates:
        parts.append(f"<h2>Pass rate per test / 各测试通过率</h2><p>Over the {len(_tested(results))} submissions whose "
                     f"tests ran / 基于实际运行测试的提交。</p><table class=\"sortable\" id=\"tests\"><thead><tr>"
                     "<th>test</th><th class=\"num\">points</th><th class=\"num\">passed</th><th class=\"num\">ran</th>"
                     "<th class=\"num\">rate</th><th>checks</th></tr></thead><tbody>")
        for row in rates:
            rate = row["rate"]
            parts.append(f"<tr><td>{e(row['test'])}</td><td>{row['points']:g}</td><td>{row['passed']}</td>"
                         f"<td>{row['ran']}</td><td data-sort=\"{rate if rate is not None else -1}\">"
                         f"{f'{rate:.0%}' if rate is not None else '—'}</td><td>{e(row['description'])}</td></tr>")
        parts.append("</tbody></table>")
    troubled = [r for r in results if r.status != STATUS_GRADED]
    if troubled:
        parts.append("<h2>Needs attention / 需要处理</h2><table><tr><th>student</th><th>status</th>"
                     "<th>what happened</th></tr>")
        parts += [f"<tr><td><a href=\"{e(_link(r))}\">{e(r.student)}</a></td><td title=\"{e(_describe(r.status))}\">"
                  f"{e(r.status)}</td><td>{e(_first_line(r.message))}</td></tr>" for r in troubled]
        parts.append("</table>")
    parts.append("<h2>Students / 学生</h2><p>Click a column to sort. / 点击列标题排序。</p>"
                 "<table class=\"sortable\" id=\"students\"><thead><tr><th>student</th><th class=\"num\">score</th>"
                 "<th class=\"num\">max</th><th>status</th><th class=\"num\">tests passed</th><th>submitted</th>"
                 "<th>what happened</th></tr></thead><tbody>")
    for r in results:
        override = overrides.get(r.student)
        score = final_score(r, override)
        passed = sum(t["outcome"] == "passed" for t in r.tests)
        css = "st-graded" if r.status == STATUS_GRADED else "st-other"
        mark = " <abbr title=\"TA override / 助教调整\">✎</abbr>" if override else ""
        parts.append(f"<tr><td><a href=\"{e(_link(r))}\">{e(r.student)}</a></td>"
                     f"<td data-sort=\"{score:g}\">{score:g}{mark}</td><td>{r.max_score:g}</td>"
                     f"<td class=\"{css}\" title=\"{e(_describe(r.status))}\">{e(r.status)}</td>"
                     f"<td data-sort=\"{passed}\">{passed}/{len(r.tests)}</td><td class=\"when\">{e(r.submitted_at)}</td>"
                     f"<td>{e(_first_line(r.message))}</td></tr>")
    parts.append("</tbody></table>")
    if info.get("skipped"):
        parts.append("<h2>Not submissions (skipped) / 非提交文件（已跳过）</h2><ul>")
        parts += [f"<li>{e(name)}</li>" for name in info["skipped"]]
        parts.append("</ul>")
    parts.append(f"<script>{_SORT_JS}</script></body></html>")
    return "\n".join(parts)


def write_summary(results: list[SubmissionResult], out: Path, title: str, *, info: dict | None = None,
                  overrides: dict[str, Override] | None = None) -> None:
    info, overrides = dict(info or {}), overrides or {}
    scores = [final_score(r, overrides.get(r.student)) for r in results]
    top = max((r.max_score for r in results), default=100.0)
    try:
        info["histogram"] = write_histogram(scores, top, Path(out) / "histogram.png", title.split(" / ")[0])
    except Exception as exc:  # noqa: BLE001 - a missing plot must not lose the gradebook
        info["histogram"] = False
        info.setdefault("skipped", []).append(f"(histogram not drawn: {exc})")
    write_atomic(Path(out) / "summary.md", render_summary(results, title, info=info, overrides=overrides))
    write_atomic(Path(out) / "summary.html", render_summary_html(results, title, info=info, overrides=overrides))
