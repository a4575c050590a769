"""The batch's gradebook (``grades.csv``) and summary (``summary.md``)."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from ailit_core.grade.results import SubmissionResult

COLUMNS = ["student", "score", "max_score", "status", "message"]


def write_csv(results: list[SubmissionResult], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for r in sorted(results, key=lambda r: r.student):
            writer.writerow({
                "student": r.student, "score": f"{r.score:g}", "max_score": f"{r.max_score:g}",
                "status": r.status, "message": r.message.strip().splitlines()[0][:200] if r.message.strip() else "",
            })


def render_summary(results: list[SubmissionResult], title: str) -> str:
    statuses = Counter(r.status for r in results)
    scores = sorted(r.score for r in results)
    lines = [f"# {title} — batch summary / 批量评分汇总", ""]
    lines.append(f"Submissions / 提交数: {len(results)}  ")
    lines.append("Statuses / 状态: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    if scores:
        mean = sum(scores) / len(scores)
        median = scores[len(scores) // 2] if len(scores) % 2 else (scores[len(scores) // 2 - 1] + scores[len(scores) // 2]) / 2
        lines += ["", f"Mean / 平均分: {mean:.1f}; median / 中位数: {median:g}; "
                      f"min {scores[0]:g}; max {scores[-1]:g}"]
    failures = Counter(t["name"] for r in results for t in r.tests if t["outcome"] != "passed")
    if failures:
        lines += ["", "## Tests most often failed / 失败最多的测试", "", "| test | failed by |", "|---|---|"]
        lines += [f"| {name} | {count} / {len(results)} |" for name, count in failures.most_common(10)]
    troubled = [r for r in results if r.status != "graded"]
    if troubled:
        lines += ["", "## Not graded normally / 未正常评分", ""]
        lines += [f"- {r.student}: `{r.status}` — {r.message.strip().splitlines()[0] if r.message.strip() else ''}"
                  for r in troubled]
    return "\n".join(lines) + "\n"
