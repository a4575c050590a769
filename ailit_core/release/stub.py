"""Generating a student stub from a reference solution.

Solution regions sit between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` lines. In the stub each
region becomes its hint comments (lines in the region that start with ``# HINT`` or ``# 提示``)
followed by ``raise NotImplementedError(...)`` at the marker's indentation. Everything outside the
regions is copied as is, so the stub keeps the solution's signatures, docstrings and imports.
"""

from __future__ import annotations

import re

BEGIN = re.compile(r"^(?P<indent>\s*)#+\s*BEGIN SOLUTION\s*$")
END = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
HINT = re.compile(r"^\s*#\s*(HINT|提示)\b")
TODO_MESSAGE = "TODO: implement this / 请在此处完成代码"


class MarkerError(ValueError):
    pass


def solution_regions(lines: list[str]) -> list[tuple[int, int, str]]:
    """(begin line index, end line index, indent) of every region; raises on unbalanced markers."""
    regions, open_at, indent = [], None, ""
    for i, line in enumerate(lines):
        begin = BEGIN.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"line {i + 1}: BEGIN SOLUTION inside the region opened on line {open_at + 1}")
            open_at, indent = i, begin.group("indent")
        elif END.match(line):
            if open_at is None:
                raise MarkerError(f"line {i + 1}: END SOLUTION without BEGIN SOLUTION")
            regions.append((open_at, i, indent))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"line {open_at + 1}: BEGIN SOLUTION is never closed")
    return regions


def make_stub(solution_source: str) -> str:
    lines = solution_source.splitlines()
    regions = solution_regions(lines)
    if not regions:
        raise MarkerError("no BEGIN SOLUTION / END SOLUTION region: nothing for students to write")
    out, cursor = [], 0
    for begin, end, indent in regions:
        out.extend(lines[cursor:begin])
        out.extend(indent + line.strip() for line in lines[begin + 1:end] if HINT.match(line))
        out.append(f'{indent}raise NotImplementedError("{TODO_MESSAGE}")')
        cursor = end + 1
    out.extend(lines[cursor:])
    return "\n".join(out) + "\n"
