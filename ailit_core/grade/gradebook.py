"""The batch's files: ``grades.csv``, each student's folder, and the summary (``summary.md``,
``summary.html``, ``histogram.png``). Every file is written atomically (temporary file, then
rename), so an interrupted batch never leaves a half-written one."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import statistics
import tempfile
from collections import Counter
from pathlib import Path

from ailit_core.grade import feedback
from ailit_core.grade.results import DESCRIPTIONS, STATUS_GRADED, SubmissionResult, to_gradescope

COLUMNS = ["student", "score", "max_score", "status", "message", "tests_passed", "tests_total", "duration_s",
           "sha256", "graded_at", "source"]


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0][:300] if text else ""


def write_student(out: Path, result: SubmissionResult, title: str) -> None:
    """The student's folder; ``results.json`` goes last: it is what a later run trusts."""
    folder = Path(out) / result.student
    write_atomic(folder / "feedback.md", feedback.render_markdown(result, title))
    write_atomic(folder / "feedback.html", feedback.render_html(result, title))
    if result.output:
        write_atomic(folder / "output.txt", result.output)
    write_atomic(folder / "results.json", json.dumps(to_gradescope(result), ensure_ascii=False, indent=2))


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    for r in sorted(results, key=lambda r: r.student):
        writer.writerow({
            "student": r.student, "score": f"{r.score:g}", "max_score": f"{r.max_score:g}", "status": r.status,
            "message": _first_line(r.message), "tests_passed": sum(t["outcome"] == "passed" for t in r.tests),
            "tests_total": len(r.tests), "duration_s": f"{r.duration:.2f}", "sha256": r.sha256,
            "graded_at": r.graded_at, "source": r.source,
        })
    write_atomic(path, buffer.getvalue())


def most_failed(results: list[SubmissionResult], limit: int = 10) -> list[tuple[str, str, int, int]]:
    """(test, description, failed by, out of) for the tests most submissions lost points on; the
    cases of a parametrized test count as one test (failed = any case failed)."""
    ran = [r for r in results if r.tests]
    function = lambda name: name.split("[", 1)[0]  # noqa: E731
    failures = Counter(name for r in ran for name in {function(t["name"]) for t in r.tests if t["outcome"] != "passed"})
    described = {function(t["name"]): t.get("description", "") for r in ran for t in r.tests}
    return [(name, described.get(name, ""), count, len(ran)) for name, count in failures.most_common(limit)]


def _stats(results: list[SubmissionResult]) -> dict:
    scores = [r.score for r in results]
    if not scores:
        return {}
    return {"mean": statistics.fmean(scores), "median": statistics.median(scores), "min": min(scores),
            "max": max(scores)}


def write_histogram(results: list[SubmissionResult], path: Path, title: str) -> bool:
    """Score distribution; ``title`` in ASCII (CJK fonts are rarely installed on grading machines)."""
    if not results:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = max((r.max_score for r in results), default=100.0) or 100.0
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    bins = [top * i / 10 for i in range(11)]
    ax.hist([r.score for r in results], bins=bins, color="#3b6ea8", edgecolor="white")
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


def render_summary(results: list[SubmissionResult], title: str, *, info: dict | None = None) -> str:
    info = info or {}
    statuses = Counter(r.status for r in results)
    lines = [f"# {title} — batch summary / 批量评分汇总", ""]
    lines.append(f"Submissions / 提交数: {len(results)}  ")
    lines.append("Statuses / 状态: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())) + "  ")
    if info.get("reused") is not None:
        lines.append(f"Graded in this run / 本次评分: {info.get('graded', 0)}; reused unchanged results / "
                     f"沿用未变更的结果: {info['reused']}  ")
    if info.get("isolation"):
        lines.append(f"Isolation / 隔离方式: {info['isolation']}  ")
    stats = _stats(results)
    if stats:
        lines += ["", f"Mean / 平均分: {stats['mean']:.1f}; median / 中位数: {stats['median']:g}; "
                      f"min {stats['min']:g}; max {stats['max']:g}"]
    if info.get("histogram"):
        lines += ["", "![score distribution / 分数分布](histogram.png)"]
    failed = most_failed(results)
    if failed:
        lines += ["", "## Tests most often failed / 失败最多的测试", "", "| test | failed by | checks |", "|---|---|---|"]
        lines += [f"| {name} | {count} / {total} | {desc[:160]} |" for name, desc, count, total in failed]
    troubled = [r for r in results if r.status != STATUS_GRADED]
    if troubled:
        lines += ["", "## Not graded normally / 未正常评分", "", "| student | status | what happened |", "|---|---|---|"]
        lines += [f"| {r.student} | `{r.status}` | {_first_line(r.message).replace('|', '/')} |" for r in troubled]
    if info.get("skipped"):
        lines += ["", "## Not submissions (skipped) / 非提交文件（已跳过）", ""]
        lines += [f"- {name}" for name in info["skipped"]]
    return "\n".join(lines) + "\n"


def render_summary_html(results: list[SubmissionResult], title: str, *, info: dict | None = None) -> str:
    info = info or {}
    e = html.escape
    statuses = Counter(r.status for r in results)
    stats = _stats(results)
    parts = ["<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">",
             f"<title>{e(title)} — summary</title><style>{feedback._CSS} table{{border-collapse:collapse}}"
             "td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}</style></head><body>",
             f"<h1>{e(title)} — batch summary / 批量评分汇总</h1>",
             f"<p>Submissions / 提交数: {len(results)}<br>Statuses / 状态: "
             + ", ".join(f"{e(k)}: {v}" for k, v in sorted(statuses.items())) + "</p>"]
    if stats:
        parts.append(f"<p>Mean / 平均分 {stats['mean']:.1f} · median / 中位数 {stats['median']:g} · "
                     f"min {stats['min']:g} · max {stats['max']:g}</p>")
    if info.get("histogram"):
        parts.append("<img src=\"histogram.png\" alt=\"score distribution\" style=\"max-width:100%\">")
    failed = most_failed(results)
    if failed:
        parts.append("<h2>Tests most often failed / 失败最多的测试</h2><table><tr><th>test</th><th>failed by</th>"
                     "<th>checks</th></tr>")
        parts += [f"<tr><td>{e(n)}</td><td>{c} / {t}</td><td>{e(d)}</td></tr>" for n, d, c, t in failed]
        parts.append("</table>")
    troubled = [r for r in results if r.status != STATUS_GRADED]
    if troubled:
        parts.append("<h2>Not graded normally / 未正常评分</h2><table><tr><th>student</th><th>status</th>"
                     "<th>what happened</th></tr>")
        for r in troubled:
            en, zh = DESCRIPTIONS.get(r.status, (r.status, r.status))
            parts.append(f"<tr><td><a href=\"{e(r.student)}/feedback.html\">{e(r.student)}</a></td>"
                         f"<td>{e(r.status)} ({e(en)} / {e(zh)})</td><td>{e(_first_line(r.message))}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_summary(results: list[SubmissionResult], out: Path, title: str, *, info: dict | None = None) -> None:
    info = dict(info or {})
    try:
        info["histogram"] = write_histogram(results, Path(out) / "histogram.png", title.split(" / ")[0])
    except Exception as exc:  # noqa: BLE001 - a missing plot must not lose the gradebook
        info["histogram"] = False
        info.setdefault("skipped", []).append(f"(histogram not drawn: {exc})")
    write_atomic(Path(out) / "summary.md", render_summary(results, title, info=info))
    write_atomic(Path(out) / "summary.html", render_summary_html(results, title, info=info))
