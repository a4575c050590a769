"""What one ``ailit grade`` batch was asked to do: one object, built once (by ``cli.py`` or a
caller of ``grade.main``) and passed down, instead of keyword lists or environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GradeOptions:
    submissions_dir: Path
    assignment_id: str
    out: Path
    profile: str | None = None  # fast / full (None: AILIT_PROFILE, else fast)
    jobs: int = 1
    force: bool = False  # regrade even unchanged submissions
    quiet: bool = False  # no progress bar
    timeout_s: float | None = None  # one submission's whole suite (None: the assignment's)
    test_timeout_s: float | None = None  # one test (None: half the submission's time)
    memory_mb: int | None = None
    mode: str | None = None  # force an isolation mode (None: the strongest this machine allows)
    dask: str | None = None  # grade on Dask: "local[:N]" or a scheduler address (None: this machine's engine)

    def __post_init__(self):
        object.__setattr__(self, "submissions_dir", Path(self.submissions_dir))
        object.__setattr__(self, "out", Path(self.out))
        if int(self.jobs) < 1:
            raise ValueError(f"jobs must be at least 1, not {self.jobs}")

    def limits(self, assignment):
        from ailit_core.grade.engine import Limits

        return Limits.for_assignment(assignment, self.profile, timeout_s=self.timeout_s,
                                     test_timeout_s=self.test_timeout_s, memory_mb=self.memory_mb)
