"""Never grading the same thing twice: which stored results a batch can reuse.

A result is reused when ``OUT/students/<folder>/results.json`` was written by this grader for the same
module bytes (SHA-256) and the same *tests version*: a hash of the hidden tests, the grader's
pytest.ini, the ``ailit_core`` sources and the settings that change outcomes (profile, time and
memory limits). Results are written atomically when each submission finishes, so a batch killed
half-way leaves complete results or none, and the next run grades only what is missing, changed,
or was a grader error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ailit_core.grade.suite import HiddenSuite, hash_tree
from ailit_core.grade.results import STATUS_GRADER_ERROR, SubmissionResult, from_gradescope

ENGINE_VERSION = "3"  # 3: per-student folders under students/, decoding, notebooks and archives


def tests_version(assignment, *, profile: str | None, limits, extra_pytest_args=()) -> str:
    import ailit_core

    digest = hashlib.sha256(f"engine {ENGINE_VERSION}\0suite {HiddenSuite.of(assignment).digest()}\0".encode())
    hash_tree(digest, Path(ailit_core.__file__).parent, "ailit_core")
    settings = {"profile": profile or "fast", "timeout": limits.timeout_s, "test_timeout": limits.test_timeout_s,
                "memory": limits.memory_mb, "output": limits.output_mb, "args": list(extra_pytest_args)}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def stored(out: Path, folder: str) -> SubmissionResult | None:
    """The result in ``OUT/students/<folder>/results.json``, if one of ours is there."""
    path = Path(out) / "students" / folder / "results.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return from_gradescope(data)


def reusable(out: Path, folder: str, *, sha256: str, version: str, student: str | None = None) -> SubmissionResult | None:
    """The stored result for this exact module and tests version, if it is a final one (and the
    same student's, should a rename have given their folder to someone else)."""
    result = stored(out, folder)
    if result is None or result.status == STATUS_GRADER_ERROR or (student is not None and result.student != student):
        return None
    if result.sha256 != sha256 or result.tests_version != version:
        return None
    return result
