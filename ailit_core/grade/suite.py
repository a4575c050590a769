"""The hidden suite of an assignment, defined once: its files, its digest, how pytest runs it.

Everything that needs to know "the hidden suite" asks here: the warm parent (pytest arguments, the
datasets the suite mentions), resuming (the tests version), the notebook check and the releases
(which suite a notebook was released with, which files a release ships), ``ailit mutate`` (its
cache key). Kept free of pytest and of the engine so any of them can import it cheaply.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

IGNORED = {"__pycache__", ".pytest_cache"}  # never part of a suite (caches)


class HiddenSuite:
    def __init__(self, assignment_id: str, autograder_dir: Path | None = None):
        from ailit_core import paths

        self.assignment_id = assignment_id
        self.autograder_dir = Path(autograder_dir) if autograder_dir is not None else paths.autograder_dir()

    @classmethod
    def of(cls, assignment) -> "HiddenSuite":
        return cls(assignment.id)

    @property
    def folder(self) -> Path:
        return self.autograder_dir / self.assignment_id

    @property
    def ini(self) -> Path:
        """The grader's own pytest configuration (nothing a submission ships configures the run)."""
        return self.autograder_dir / "pytest.ini"

    def files(self) -> list[Path]:
        """``pytest.ini`` and every file of the suite's folder, relative to ``autograder/``."""
        found = [Path("pytest.ini")]
        found += sorted(p.relative_to(self.autograder_dir) for p in self.folder.rglob("*")
                        if p.is_file() and not set(p.relative_to(self.autograder_dir).parts) & IGNORED)
        return found

    def digest(self) -> str:
        """A fingerprint of the suite: its files' names and contents (16 hex digits)."""
        h = hashlib.sha256()
        for rel in self.files():
            h.update(rel.as_posix().encode() + b"\0")
            h.update(hashlib.sha256((self.autograder_dir / rel).read_bytes()).digest())
        return h.hexdigest()[:16]

    def source_text(self) -> str:
        """The suite's Python source, concatenated (to see which datasets it mentions)."""
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.folder.rglob("*.py"))
                         if not set(p.parts) & IGNORED)

    def pytest_args(self, extra: list[str] = ()) -> list[str]:
        """How the grader's pytest runs it: the grader's ini and root, only the plugins it names."""
        return [
            str(self.folder),
            "-c", str(self.ini),
            "--rootdir", str(self.autograder_dir),
            "-p", "ailit_core.grade.plugin",
            "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:pastebin",
            "-q", "--no-header", "-s", "-W", "ignore::pytest.PytestAssertRewriteWarning",
            *extra,
        ]


def hash_tree(digest, root: Path, label: str, skip: Path | None = None) -> None:
    """Feed every file under ``root`` (names and bytes, caches left out) into ``digest``."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if skip is not None and skip in path.parents:
            continue
        if path.is_file() and not set(path.parts) & IGNORED and path.suffix != ".pyc":
            digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
            digest.update(path.read_bytes())
            digest.update(b"\0")
