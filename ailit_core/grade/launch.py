"""How the grader starts its warm parent: the settings it passes, and the interpreter arguments.

Kept apart from ``zygote`` so that the grader can start one without importing pytest itself.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field


@dataclass
class Settings:
    """What the grader tells the warm parent (JSON on the command line)."""

    assignment_id: str
    profile: str | None = None
    extra_pytest_args: list[str] = field(default_factory=list)
    mode: str | None = None  # forced isolation mode; None = best available
    hide: list[str] = field(default_factory=list)  # more folders runs must not see (submissions, gradebook)
    start: str = "fork"
    warm: bool = True  # also preload what students commonly import (pays off over a batch, not for one run)
    role: str = "tests"  # "tests": holds the hidden suite; "student": only forks student servers
    preload: list[str] = field(default_factory=list)  # more imports for the student parent (the suite's ask)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls(**json.loads(text))


def launch_args() -> list[str]:
    """Interpreter arguments that run ``main`` (``-P``: the working folder is not put on sys.path)."""
    flags = ["-P"] if sys.version_info >= (3, 11) else []
    return [*flags, "-c", "import sys; from ailit_core.grade.zygote import main; sys.exit(main(sys.argv[1:]))"]
