"""Turning a module's bytes into the UTF-8 source the isolated run imports.

Python reads source as UTF-8 unless the file declares another coding (PEP 263). Students in this
course write Chinese comments in Windows editors that save GBK (code page 936) without a coding
line, and some editors save UTF-16 with a BOM; both would fail at import for a reason that has
nothing to do with their code. So the order is: UTF-8 (with or without BOM) → the declared coding
→ UTF-16 when it starts with a UTF-16 BOM → GB18030 (a superset of GBK and GB2312); anything
re-decoded is handed on as UTF-8 with a note in the feedback. Every error names the line.
"""

from __future__ import annotations

import codecs
import io
import re
import tokenize

from ailit_core.grade.problems import SubmissionProblem as SourceProblem
from ailit_core.grade.results import STATUS_EMPTY, STATUS_ENCODING, STATUS_SYNTAX

# A PEP 263 coding line re-encoded to UTF-8 must not still claim the old coding.
_CODING_LINE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


def _line_of(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1


def _without_coding_line(text: str) -> str:
    lines = text.split("\n", 2)
    for i in range(min(2, len(lines))):
        if _CODING_LINE.match(lines[i].encode("utf-8", "replace")):
            lines[i] = "# (coding line removed: the grader re-saved this file as UTF-8)"
    return "\n".join(lines)


def decode(data: bytes, filename: str) -> tuple[bytes, str]:
    """(UTF-8 source bytes to grade, a bilingual note or ""). Raises SourceProblem."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise SourceProblem(STATUS_ENCODING, f"{filename} starts like UTF-16 text but is not; save it as UTF-8 "
                                                 f"/ {filename} 不是有效的 UTF-16 文本，请以 UTF-8 编码保存") from None
        data, note = _without_coding_line(text).encode("utf-8"), (
            f"{filename} was saved as UTF-16; it was graded as UTF-8 text. Save it as UTF-8 next time. "
            f"/ {filename} 以 UTF-16 保存，已按 UTF-8 转换后评分；下次请以 UTF-8 保存。")
        return _checked(data, filename), note
    if not data.strip().lstrip(codecs.BOM_UTF8).strip():
        raise SourceProblem(STATUS_EMPTY, f"{filename} is empty: nothing to grade; upload the file with your code "
                                          f"/ {filename} 是空文件，请上传包含代码的文件")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        codecs.lookup(encoding)
    except (SyntaxError, LookupError):
        if not _declares_coding(data):  # detect_encoding also fails when the first lines are not UTF-8
            encoding = "utf-8"
        else:
            raise SourceProblem(STATUS_ENCODING, f"{filename} line 1-2: the coding line names an unknown text "
                                                 f"encoding; delete it and save as UTF-8 / {filename} 第 1-2 行声明了"
                                                 f"未知编码，请删除该行并以 UTF-8 保存") from None
    try:
        data.decode(encoding)
        return _checked(data, filename), ""
    except UnicodeDecodeError as exc:
        first_error = exc
    if encoding.replace("_", "-").lower() not in ("utf-8", "utf-8-sig"):  # a declared coding the bytes break
        line = _line_of(data, first_error.start)
        raise SourceProblem(STATUS_ENCODING, f"{filename} line {line}: not valid {encoding} text as its coding line "
                                             f"says; save it as UTF-8 / {filename} 第 {line} 行不是声明的 {encoding} "
                                             f"编码，请以 UTF-8 保存")
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("gb18030")
    except UnicodeDecodeError:
        line = _line_of(data, first_error.start)
        raise SourceProblem(STATUS_ENCODING, f"{filename} line {line}: not UTF-8 text (nor GBK); save it as UTF-8 "
                                             f"/ {filename} 第 {line} 行不是 UTF-8（也不是 GBK）文本，"
                                             f"请以 UTF-8 编码保存") from None
    line = _line_of(data, first_error.start)
    note = (f"{filename} is not UTF-8 (first at line {line}); it was read as GBK/GB18030, the Chinese Windows "
            f"encoding, and graded. Save it as UTF-8 next time. / {filename} 不是 UTF-8 编码（第 {line} 行起），"
            f"已按 GBK/GB18030 读取并评分；下次请以 UTF-8 保存。")
    return _checked(text.encode("utf-8"), filename), note


def _declares_coding(data: bytes) -> bool:
    return any(_CODING_LINE.match(line) for line in data.split(b"\n", 2)[:2])


def _checked(data: bytes, filename: str) -> bytes:
    """Null bytes stop Python before it reads a line: say where, and what usually causes them."""
    at = data.find(b"\x00")
    if at >= 0:
        line = _line_of(data, at)
        raise SourceProblem(STATUS_SYNTAX, f"{filename} line {line}: the file contains null bytes (a binary file, "
                                           f"or text saved as UTF-16/UTF-32); save it as UTF-8 text / {filename} "
                                           f"第 {line} 行含有空字节（二进制文件或 UTF-16 编码），请以 UTF-8 文本保存")
    return data
