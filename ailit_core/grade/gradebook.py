"""The batch's files: ``grades.csv``, each student's folder under ``students/``, the summary.

Layout of OUT (GRADING.md, "Grading a batch")::

    grades.csv            one row per entry of SUBMISSIONS (UTF-8 with BOM, so Excel reads Chinese names)
    overrides.csv         the TA's manual scores (``overrides``), applied by every run
    summary.md/.html      the batch (``summary``); histogram.png
    students/<name>/      results.json, feedback.md/.html, output.txt — <name> made safe and unique,
                          so nothing a student names their upload collides with the gradebook's files

Every file is written atomically (temporary file, then rename) with the modes the TA's umask
gives (0644 files, 0755 folders by default), so other TA accounts or a web server can read them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import time
import unicodedata
from pathlib import Path

from ailit_core.grade import feedback
from ailit_core.grade.overrides import Override
from ailit_core.grade.results import SubmissionResult, to_gradescope

COLUMNS = ["student", "score", "max_score", "status", "message", "tests_passed", "tests_total", "duration_s",
           "sha256", "graded_at", "source", "assignment", "submitted_at", "autograded_score", "override_reason",
           "feedback"]
STUDENTS = "students"
CSV_BUDGET = 0.05  # at most this share of the batch's time goes to rewriting grades.csv
_WINDOWS_RESERVED = re.compile(r"(?i)^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$")


_MASK: list[int] = []


def _umask() -> int:
    """The process umask, read once (reading it means setting it, so not on every write)."""
    if not _MASK:
        mask = os.umask(0o022)
        os.umask(mask)
        _MASK.append(mask)
    return _MASK[0]


def write_atomic(path: Path, data: bytes | str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:80]}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())  # mkstemp makes 0600: readable by the TA alone
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
    return text.splitlines()[0][:600] if text else ""  # room for both languages


def safe_name(student: str) -> str:
    """A folder name for any student name: no separators, control characters, leading dots or
    names Windows reserves (the folder may be zipped and opened there); CJK kept as it is."""
    name = unicodedata.normalize("NFC", student)
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", name).strip(" .")
    if not name or _WINDOWS_RESERVED.match(name):
        name = "_" + name
    return name[:120]


def folder_names(students: list[str]) -> dict[str, str]:
    """Student -> folder under ``students/``: safe, and unique even on case-insensitive disks."""
    taken: set[str] = set()
    names = {}
    for student in sorted(students):
        base = safe_name(student)
        candidate, n = base, 1
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{base}~{n}"
        taken.add(candidate.casefold())
        names[student] = candidate
    return names


def student_dir(out: Path, result: SubmissionResult) -> Path:
    return Path(out) / STUDENTS / (result.folder or safe_name(result.student))


def write_student(out: Path, result: SubmissionResult, title: str, override: Override | None = None, *,
                  refresh: bool = False) -> None:
    """The student's folder; ``results.json`` goes last: it is what a later run trusts.
    ``refresh``: a reused result, so only files whose content changed (an override, a new ignored
    list) are written again."""
    folder = student_dir(out, result)
    files = [("feedback.md", feedback.render_markdown(result, title, override=override)),
             ("feedback.html", feedback.render_html(result, title, override=override))]
    if result.output:
        files.append(("output.txt", result.output))
    files.append(("results.json", json.dumps(to_gradescope(result), ensure_ascii=False, indent=2)))
    for name, text in files:
        if refresh and _holds(folder / name, text):
            continue
        write_atomic(folder / name, text)


def _holds(path: Path, text: str) -> bool:
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError):
        return False


def final_score(result: SubmissionResult, override: Override | None) -> float:
    return override.score if override is not None else result.score


def csv_row(result: SubmissionResult, assignment_id: str = "", override: Override | None = None) -> dict:
    r = result
    return {
        "student": r.student, "score": f"{final_score(r, override):g}", "max_score": f"{r.max_score:g}",
        "status": r.status, "message": _first_line(r.message),
        "tests_passed": sum(t["outcome"] == "passed" for t in r.tests), "tests_total": len(r.tests),
        "duration_s": f"{r.duration:.2f}", "sha256": r.sha256, "graded_at": r.graded_at, "source": r.source,
        "assignment": assignment_id, "submitted_at": r.submitted_at, "autograded_score": f"{r.score:g}",
        "override_reason": (override.reason or "override") if override is not None else "",
        "feedback": f"{STUDENTS}/{r.folder or safe_name(r.student)}/feedback.html",
    }


def _render_row(row: dict) -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n").writerow(row)
    return buffer.getvalue()


def _header() -> str:
    buffer = io.StringIO()
    csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n").writeheader()
    return buffer.getvalue()


def write_csv(results: list[SubmissionResult], path: Path, *, assignment_id: str = "",
              overrides: dict[str, Override] | None = None) -> None:
    overrides = overrides or {}
    rows = [_render_row(csv_row(r, assignment_id, overrides.get(r.student)))
            for r in sorted(results, key=lambda r: r.student)]
    write_atomic(path, "\ufeff" + _header() + "".join(rows))


class CsvWriter:
    """``grades.csv`` kept current during a batch without quadratic cost: each row is formatted
    once, and the file is rewritten only while rewriting has cost under ``CSV_BUDGET`` of the
    batch's time so far (every submission in a normal batch; a few times a second for thousands
    of instant rows); ``flush`` writes it for certain."""

    def __init__(self, path: Path, *, assignment_id: str = "", overrides: dict[str, Override] | None = None):
        self.path, self.assignment_id = Path(path), assignment_id
        self.overrides = overrides or {}
        self.rows: dict[str, str] = {}
        self.started = time.monotonic()
        self.spent = 0.0
        self.dirty = False
        self.writes = 0

    def add(self, result: SubmissionResult) -> None:
        self.rows[result.student] = _render_row(csv_row(result, self.assignment_id,
                                                        self.overrides.get(result.student)))
        self.dirty = True
        if self.spent <= CSV_BUDGET * (time.monotonic() - self.started):
            self.flush()

    def flush(self) -> None:
        if not self.dirty:
            return
        began = time.monotonic()
        write_atomic(self.path, "\ufeff" + _header() + "".join(self.rows[k] for k in sorted(self.rows)))
        self.spent += time.monotonic() - began
        self.dirty = False
        self.writes += 1


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


# The summary moved to ``summary``; kept here for callers of the first gradebook.
def write_summary(results, out, title, *, info=None, overrides=None):
    from ailit_core.grade import summary

    summary.write_summary(results, out, title, info=info, overrides=overrides)


def most_failed(results, limit: int = 10):
    from ailit_core.grade import summary

    return summary.most_failed(results, limit)
