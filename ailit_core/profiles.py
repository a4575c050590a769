"""Run profiles.

``fast`` (the default for tests and grading) uses reduced data and few epochs so a hidden suite fits
its budget on a 2-core machine; ``full`` uses the course's real datasets, sizes and epochs, for an
instructor with a GPU. Chosen by ``AILIT_PROFILE`` or the CLI's ``--profile``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

ENV_VAR = "AILIT_PROFILE"
NAMES = ("fast", "full")


@dataclass(frozen=True)
class Profile:
    name: str

    @property
    def is_fast(self) -> bool:
        return self.name == "fast"

    def pick(self, *, fast: T, full: T) -> T:
        """The value for this profile: ``profile.pick(fast=2, full=30)`` epochs."""
        return fast if self.is_fast else full


def current() -> Profile:
    name = os.environ.get(ENV_VAR, "fast").strip().lower() or "fast"
    if name not in NAMES:
        raise ValueError(f"{ENV_VAR}={name!r} is not a profile; use one of: {', '.join(NAMES)}")
    return Profile(name)
