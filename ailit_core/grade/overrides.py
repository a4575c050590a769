"""The TA's manual overrides: ``OUT/overrides.csv`` (student, score, reason).

The autograder's result stays as it was (``results.json``); an override only changes the score
the gradebook, the feedback and the exports show, with the reason next to it. It lives in the
output folder so every rerun (``--force`` included) applies it again; rows for students not in
the batch and malformed rows are reported in the summary rather than failing the batch.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

FILENAME = "overrides.csv"
HEADER = ["student", "score", "reason"]


@dataclass(frozen=True)
class Override:
    score: float
    reason: str


def load(out: Path) -> tuple[dict[str, Override], list[str]]:
    """(overrides by student, problems to show); a missing file is no overrides."""
    path = Path(out) / FILENAME
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel saves with a BOM
    except FileNotFoundError:
        return {}, []
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [f"{FILENAME} cannot be read ({exc}); no override applied / 无法读取 {FILENAME}，未应用任何调整"]
    found, problems = {}, []
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or not {"student", "score"} <= {f.strip().lower() for f in reader.fieldnames}:
        return {}, [f"{FILENAME} needs the columns student,score,reason / {FILENAME} 需要 student,score,reason 列"]
    for row in reader:
        number = reader.line_num
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        student, score = row.get("student", ""), row.get("score", "")
        if not student and not score:
            continue
        try:
            value = float(score)
        except ValueError:
            problems.append(f"{FILENAME} line {number}: score {score!r} is not a number / 第 {number} 行分数不是数字")
            continue
        found[student] = Override(value, row.get("reason", ""))
    return found, problems


def write_template(out: Path) -> None:
    """An empty overrides file with its header, so the TA sees where overrides go."""
    from ailit_core.grade.gradebook import write_atomic

    path = Path(out) / FILENAME
    if not path.exists():
        write_atomic(path, "\ufeff" + ",".join(HEADER) + "\n")
