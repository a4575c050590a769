"""Where the project's folders are: the repository root holds ``assignments/``, ``solutions/``,
``autograder/`` and ``examples/``. ``AILIT_ROOT`` points elsewhere (e.g. an unpacked Gradescope
autograder)."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    override = os.environ.get("AILIT_ROOT")
    if override:
        return Path(override).resolve()
    return Path(__file__).resolve().parent.parent


def solutions_dir() -> Path:
    return project_root() / "solutions"


def assignments_dir() -> Path:
    return project_root() / "assignments"


def autograder_dir() -> Path:
    return project_root() / "autograder"


def examples_dir() -> Path:
    return project_root() / "examples"
