"""Every failure message a student reads, in the public and the hidden tests, is bilingual (zh and en in the same
string), and every assertion has one."""

import ast
import re
from pathlib import Path

import pytest

from ailit_core import assignments

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{2,}")


def message_text(node: ast.AST) -> str:
    """The literal text of a message expression (f-string parts, concatenations, .format())."""
    return " ".join(n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str))


def problems(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{path.name}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Assert):
            if node.msg is None:
                found.append(f"{where}: assert without a message")
                continue
            message = node.msg
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fail" \
                and getattr(node.func.value, "id", None) == "pytest":
            message = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "reason"), None)
            if message is None:
                found.append(f"{where}: pytest.fail without a message")
                continue
        else:
            continue
        text = message_text(message)
        if not (CJK.search(text) and LATIN.search(text)):
            found.append(f"{where}: message not bilingual (zh + en): {text[:80]!r}")
    return found


def test_the_checker_catches_missing_and_one_language_messages(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("import pytest\n\ndef test_a():\n    assert 1\n    assert 1, 'English only'\n"
                      "    assert 1, f'x {1} 中文 and English'\n    pytest.fail('只有中文')\n", encoding="utf-8")
    assert [p.split(": ", 1)[1][:19] for p in problems(sample)] == [
        "assert without a me", "message not bilingu", "message not bilingu"]


@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_public_test_messages_are_bilingual(assignment):
    files = sorted((assignment.solution_dir / "public_tests").rglob("test_*.py"))
    assert files
    found = [p for f in files for p in problems(f)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_hidden_test_messages_are_bilingual(assignment):
    """The hidden suites' messages reach students too (feedback), so the same rule holds there."""
    files = sorted(assignment.hidden_tests_dir.rglob("*.py"))
    found = [p for f in files for p in problems(f)]
    assert not found, "\n".join(found)
