"""Shared by the gradescope/nbgrader/otter round-trip tests: subprocesses that see this checkout's
ailit_core and the project's venv, and a realistic buggy variant of a reference solution."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ailit_core import paths

BIN = Path(sys.executable).parent
# Real round trips through Gradescope's layout, nbgrader and otter cost 10-30 s per assignment; a1
# runs them always, the others when asked (GRADING.md section 7): AILIT_FULL_INTEROP=1.
FULL_INTEROP = os.environ.get("AILIT_FULL_INTEROP") == "1"
every_assignment = pytest.mark.skipif(
    not FULL_INTEROP, reason="real round trip for a2-a5: set AILIT_FULL_INTEROP=1 to run it")


def child_env(**extra: str) -> dict[str, str]:
    """The venv first on PATH (Jupyter kernels start `python` from PATH) and this checkout's
    ailit_core importable whatever is installed."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(paths.project_root()) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("AILIT_IMPL", None)
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, timeout: int = 600, **extra_env: str) -> str:
    proc = subprocess.run(cmd, cwd=cwd, env=child_env(**extra_env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{output[-6000:]}"
    return output


def tool(name: str) -> str:
    """A console script of the venv (nbgrader, otter)."""
    path = BIN / name
    return str(path) if path.exists() else name


def buggy_source(assignment) -> str | None:
    """The reference with the first mutant of the assignment's catalogue (ailit_core/mutate/catalogues)
    applied: a realistic mistake that loses some points but not all; None without a catalogue."""
    from ailit_core.mutate import catalogue

    mutants = [m for m in catalogue.load(assignment.id).mutants if m.kills]
    if not mutants:
        return None
    return mutants[0].apply(assignment.solution_path.read_text(encoding="utf-8"))
