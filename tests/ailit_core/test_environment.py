"""All AILIT_* variables are declared in ailit_core/environment.py and documented in the README."""

import re
from pathlib import Path

from ailit_core import environment, paths

ROOT = paths.project_root()
NAME = re.compile(r"\bAILIT_[A-Z][A-Z_]*[A-Z]\b")


def used_names() -> set[str]:
    names = set()
    for folder in ("ailit_core", "autograder", "solutions", "scripts", "benchmarks"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix in (".py", ".sh") and path.name != "environment.py":
                names |= set(NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


def test_every_variable_the_code_reads_is_declared():
    assert used_names() - set(environment.ALL) == set()


def test_every_user_variable_is_in_the_readme():
    readme = Path(ROOT / "README.md").read_text(encoding="utf-8")
    assert [n for n in environment.USER if f"`{n}`" not in readme] == []
