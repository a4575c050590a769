"""Turning an assignment's single source into notebook cells, for the nbgrader and otter formats.

- The module becomes one code cell per top-level function or class (with the comments and
  decorators just above it); consecutive other statements (docstring, imports, constants) share a
  cell. ``if __name__ == "__main__":`` demos are left out: in a notebook ``__name__`` is
  ``"__main__"``, so they would run (and train) while grading.
- Each ``# BEGIN SOLUTION`` region is re-emitted with the tool's own markers, its hint comments
  moved above the region so the tool's stub keeps them, as ``ailit release``'s stub does.
- The README becomes one Markdown cell per ``##`` section; its shell blocks (``pytest``,
  ``python <module>.py``) become what to do in the notebook instead.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Callable

from ailit_core.release.stub import BEGIN, END, HINT, MarkerError, TODO_MESSAGE, solution_regions

TODO_RAISE = f'raise NotImplementedError("{TODO_MESSAGE}")'


@dataclass(frozen=True)
class Chunk:
    name: str  # the function or class defined, or "setup" for other statements
    lines: tuple[str, ...]  # reference source lines, markers as in solutions/

    @property
    def has_solution(self) -> bool:
        return any(BEGIN.match(line) for line in self.lines)


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    names = {getattr(n, "id", None) for n in [node.test.left, *node.test.comparators]}
    consts = {getattr(n, "value", None) for n in [node.test.left, *node.test.comparators]}
    return "__name__" in names and "__main__" in consts


def _extend_over_indented_comments(lines: list[str], end: int) -> int:
    """The AST ends a block at its last statement; indented comments after it (``# END SOLUTION``
    after a ``return``) still belong to the block."""
    j = end
    while j < len(lines) and (not lines[j].strip() or (lines[j][:1] in (" ", "\t") and lines[j].lstrip().startswith("#"))):
        j += 1
    while j > end and not lines[j - 1].strip():
        j -= 1
    return j


def split_module(source: str) -> list[Chunk]:
    lines = source.splitlines()
    solution_regions(lines)  # raises on unbalanced markers
    body = ast.parse(source).body
    chunks: list[Chunk] = []
    pending_start = 0  # first line (0-based) not yet in a chunk
    setup_start = None
    for node in body:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        last = _extend_over_indented_comments(lines, node.end_lineno)  # exclusive
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or _is_main_guard(node):
            if setup_start is not None:
                chunks.append(Chunk("setup", tuple(lines[setup_start:pending_start])))
                setup_start = None
            start = first
            while start > pending_start and lines[start - 1].lstrip().startswith("#"):
                start -= 1  # comments right above belong to the definition
            if start > pending_start and chunks:  # blank lines or stray comments: keep with the previous cell
                chunks[-1] = Chunk(chunks[-1].name, chunks[-1].lines + tuple(lines[pending_start:start]))
            if not _is_main_guard(node):
                chunks.append(Chunk(node.name, tuple(lines[start:last])))
            pending_start = last
        else:
            if setup_start is None:
                setup_start = pending_start
            pending_start = last
    if setup_start is not None:
        chunks.append(Chunk("setup", tuple(lines[setup_start:pending_start])))
    elif pending_start < len(lines) and chunks:
        chunks[-1] = Chunk(chunks[-1].name, chunks[-1].lines + tuple(lines[pending_start:]))
    cleaned = []
    for chunk in chunks:
        text = list(chunk.lines)
        while text and not text[0].strip():
            text.pop(0)
        while text and not text[-1].strip():
            text.pop()
        if text:
            cleaned.append(Chunk(chunk.name, tuple(text)))
    solution_lines = sum(1 for line in lines if BEGIN.match(line))
    if sum(1 for c in cleaned for line in c.lines if BEGIN.match(line)) != solution_lines:
        raise MarkerError("a BEGIN SOLUTION region sits in an `if __name__ == \"__main__\":` block")
    return cleaned


RegionRenderer = Callable[[str, list[str], list[str]], list[str]]  # (indent, hints, code) -> lines


def rewrite_regions(lines: list[str] | tuple[str, ...], render: RegionRenderer) -> list[str]:
    lines = list(lines)
    out, cursor = [], 0
    for begin, end, indent in solution_regions(lines):
        out.extend(lines[cursor:begin])
        region = lines[begin + 1:end]
        hints = [indent + line.strip() for line in region if HINT.match(line)]
        code = [line for line in region if not HINT.match(line)]
        out.extend(render(indent, hints, code))
        cursor = end + 1
    out.extend(lines[cursor:])
    return out


def check_no_foreign_markers(source: str, patterns: dict[str, re.Pattern], tool: str) -> None:
    """Raise if a line outside our markers would be taken for one of ``tool``'s markers."""
    for number, line in enumerate(source.splitlines(), 1):
        if BEGIN.match(line) or END.match(line):
            continue
        for meaning, pattern in patterns.items():
            if pattern.search(line):
                raise MarkerError(f"line {number}: {line.strip()!r} would be read by {tool} as {meaning}")


def readme_cells(markdown: str) -> list[str]:
    """One Markdown cell per level-1/level-2 section (fenced code blocks are never split)."""
    cells, current, fenced = [], [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced and re.match(r"^#{1,2}\s", line) and any(l.strip() for l in current):
            cells.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    if any(l.strip() for l in current):
        cells.append("\n".join(current).strip("\n"))
    return cells


SHELL_FENCE = re.compile(r"^\s*```\s*(bash|sh|shell|console)\s*$")


def notebook_readme(markdown: str, filename: str) -> str:
    """The README as the notebook editions show it: a shell block (``pytest``, ``python <module>.py``)
    is replaced by what to do in the notebook, where those commands do not apply."""
    out, block = [], None
    for line in markdown.splitlines():
        if block is None and SHELL_FENCE.match(line):
            block = []
        elif block is not None and line.strip().startswith("```"):
            text = "\n".join(block)
            notes = []
            if "pip install" in text:
                notes.append("> **In this notebook / 在 notebook 中:** install the packages named above into the "
                             "environment of your Jupyter kernel (for example `%pip install numpy`). / 把上面列出的包"
                             "安装到 Jupyter 内核所在的环境中（例如 `%pip install numpy`）。")
            if re.search(r"(^|\s)pytest\b", text):
                notes.append("> **In this notebook / 在 notebook 中:** run the *Public checks / 公开自测* cell "
                             "below (the public tests, on your notebook). / 运行下方的「公开自测」单元。")
            if f"python {filename}" in text:
                notes.append(f"> **In this notebook / 在 notebook 中:** the `{filename}` command-line demo "
                             "(training runs, plots) comes with the `.py` release only; call your functions in a "
                             f"cell of your own instead. / `{filename}` 的命令行演示只在 `.py` 版本中提供，"
                             "请在自己新建的单元中调用你的函数。")
            out.append("\n>\n".join(notes) or "> (shell commands of the `.py` release / `.py` 版本的命令行操作)")
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    return "\n".join(out + ([] if block is None else ["```bash", *block])) + "\n"
