"""``ailit export OUT --format canvas|wide|nbgrader``: the gradebook in a form an LMS imports.

Read from what a batch wrote: ``grades.csv`` (final scores with the TA's overrides, statuses,
submission times) and ``students/*/results.json`` (the points of every test).

- ``canvas``: Canvas's gradebook CSV — the identifying columns ``Student, ID, SIS User ID, SIS
  Login ID, Section``, then one column per assignment, and a ``Points Possible`` row. The student
  goes in ``SIS Login ID`` (Canvas matches rows by ID, SIS User ID or SIS Login ID); the Canvas
  user ID is filled in when the entry keeps the name Canvas's "Download submissions" gives it
  (``name_12345_67890_file``).
- ``wide``: one row per student, one column per test (points earned; the header says out of how
  many), plus assignment, score, status, submission time — otter's ``final_grades.csv`` layout.
- ``nbgrader``: the columns of ``nbgrader export`` (assignment, timestamp, student_id, raw_score,
  score, max_score...).

``--roster FILE`` (a CSV with an ``entry`` column holding the entry names, plus any of Canvas's
identity columns ``Student, ID, SIS User ID, SIS Login ID, Section`` or ``first_name, last_name,
email``) fills those columns from the LMS's own roster instead of guessing them from the names.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ailit_core.grade.gradebook import STUDENTS, read_csv, write_atomic
from ailit_core.grade.results import from_gradescope

FORMATS = ("canvas", "wide", "nbgrader")
CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NBGRADER_COLUMNS = ["assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                    "raw_score", "late_submission_penalty", "score", "max_score"]
# Canvas "Download submissions": name[_LATE]_userid_submissionid_original-file-name
_CANVAS_DOWNLOAD = re.compile(r"^(?P<name>[^_]+)(_LATE)?_(?P<user>\d+)_(?P<submission>\d+)(_.*)?$")


class ExportError(ValueError):
    pass


def _rows(out: Path) -> list[dict]:
    path = Path(out) / "grades.csv"
    if not path.is_file():
        raise ExportError(f"{path} not found: grade the batch first (ailit grade ... -o {out}) "
                          f"/ 未找到 {path}，请先运行 ailit grade")
    return read_csv(path)


def _tests_of(out: Path, row: dict) -> list[dict]:
    folder = Path(out) / Path(row.get("feedback") or f"{STUDENTS}/{row['student']}/feedback.html").parent
    try:
        result = from_gradescope(json.loads((folder / "results.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return []
    return result.tests if result is not None else []


def _csv(header: list[str], rows: list[list], *, bom: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" if bom else "") + buffer.getvalue()


def load_roster(path: Path | None) -> dict[str, dict[str, str]]:
    """Entry name (column ``entry``, or ``student`` in lower case: Canvas's own ``Student`` is the
    display name) -> the roster's row."""
    if path is None:
        return {}
    try:
        rows = read_csv(Path(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"cannot read the roster {path}: {exc} / 无法读取名单 {path}") from None
    roster = {}
    for row in rows:
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        entry = row.get("entry") or row.get("student")
        if entry:
            roster[entry] = row
    if rows and not roster:
        raise ExportError(f"the roster {path} needs an 'entry' (or lower-case 'student') column with the names of "
                          f"the entries in SUBMISSIONS / 名单 {path} 需要 entry 列（与提交名一致）")
    return roster


def canvas(out: Path, *, column: str | None = None, roster: dict | None = None) -> str:
    rows, roster = _rows(out), roster or {}
    assignment = column or (rows[0].get("assignment") if rows else "") or "ailit"
    top = max((float(r["max_score"] or 0) for r in rows), default=0)
    body = [["Points Possible", "", "", "", "", f"{top:g}"]]
    for r in rows:
        known = roster.get(r["student"])
        if known is not None:
            identity = [known.get(c, "") for c in CANVAS_IDENTITY]
            identity[0] = identity[0] or r["student"]
        elif match := _CANVAS_DOWNLOAD.match(r["student"]):
            identity = [match["name"], match["user"], "", "", ""]
        else:
            identity = [r["student"], "", "", r["student"], ""]
        body.append(identity + [r["score"]])
    return _csv(CANVAS_IDENTITY + [assignment], body, bom=False)


def wide(out: Path) -> str:
    rows = _rows(out)
    columns: dict[str, float] = {}
    tests_by_student = {}
    for r in rows:
        tests = _tests_of(out, r)
        tests_by_student[r["student"]] = {t["name"]: t for t in tests}
        for t in tests:
            columns.setdefault(t["name"], t["points"])
    header = ["student", "assignment", "score", "max_score", "autograded_score", "override_reason", "status",
              "submitted_at", "graded_at"] + [f"{name} ({points:g})" for name, points in columns.items()]
    body = []
    for r in rows:
        tests = tests_by_student[r["student"]]
        earned = [(f"{tests[n]['points']:g}" if tests[n]["outcome"] == "passed" else "0") if n in tests else ""
                  for n in columns]
        body.append([r["student"], r.get("assignment", ""), r["score"], r["max_score"], r.get("autograded_score", ""),
                     r.get("override_reason", ""), r["status"], r.get("submitted_at", ""), r["graded_at"]] + earned)
    return _csv(header, body, bom=True)


def nbgrader(out: Path, *, roster: dict | None = None) -> str:
    roster, body = roster or {}, []
    for r in _rows(out):
        known = roster.get(r["student"], {})
        body.append([r.get("assignment", ""), "", r.get("submitted_at", ""), r["student"], known.get("last_name", ""),
                     known.get("first_name", ""), known.get("email", ""), r.get("autograded_score") or r["score"], "0",
                     r["score"], r["max_score"]])
    return _csv(NBGRADER_COLUMNS, body, bom=False)


def main(*, out: Path, fmt: str, dest: Path | None = None, column: str | None = None,
         roster: Path | None = None) -> Path:
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    known = load_roster(roster)
    text = (canvas(out, column=column, roster=known) if fmt == "canvas" else wide(out) if fmt == "wide"
            else nbgrader(out, roster=known))
    dest = Path(dest) if dest else Path(out) / "exports" / f"{fmt}.csv"
    write_atomic(dest, text)
    return dest
