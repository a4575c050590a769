"""Running one module file against an assignment's hidden tests in a child process.

The child is a fresh ``python -m pytest`` over ``autograder/<id>/`` with the project's own ini file
(so nothing a submission ships can configure pytest), the results plugin, and ``AILIT_IMPL``
pointing at a private copy of the module. A timeout kills the child's whole process group.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ailit_core import paths
from ailit_core.assignments import Assignment
from ailit_core.grade.results import STATUS_ERROR, STATUS_GRADED, STATUS_TIMEOUT, SubmissionResult

OUTPUT_TAIL_CHARS = 4000


def pytest_command(assignment: Assignment, results_path: Path, extra: list[str] | None = None) -> list[str]:
    return [
        sys.executable, "-m", "pytest", str(assignment.hidden_tests_dir),
        "-c", str(paths.autograder_dir() / "pytest.ini"),
        "--rootdir", str(paths.autograder_dir()),
        "-p", "ailit_core.grade.plugin",
        "--ailit-results", str(results_path),
        "-q", "--no-header", "-p", "no:cacheprovider",
        *(extra or []),
    ]


def child_env(module_path: Path, profile: str | None) -> dict[str, str]:
    env = dict(os.environ)
    env["AILIT_IMPL"] = str(module_path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("MPLBACKEND", "Agg")
    if profile:
        env["AILIT_PROFILE"] = profile
    return env


def run_hidden_tests(
    assignment: Assignment,
    source: bytes,
    *,
    student: str = "",
    timeout_s: float | None = None,
    profile: str | None = None,
    extra_pytest_args: list[str] | None = None,
) -> SubmissionResult:
    timeout_s = timeout_s or assignment.timeout_s
    with tempfile.TemporaryDirectory(prefix="ailit-") as tmp:
        workdir = Path(tmp) / "work"
        workdir.mkdir()
        module_path = workdir / assignment.filename
        module_path.write_bytes(source)
        results_path = Path(tmp) / "results.json"
        cmd = pytest_command(assignment, results_path, extra_pytest_args)
        started = time.monotonic()
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=child_env(module_path, profile), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            out, _ = proc.communicate(timeout=timeout_s)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            timed_out = True
        duration = time.monotonic() - started
        output = out.decode("utf-8", "replace")[-OUTPUT_TAIL_CHARS:]
        raw = _load(results_path)

    tests = raw.get("tests", []) if raw else []
    if timed_out:
        return SubmissionResult(student, STATUS_TIMEOUT, tests,
                                f"stopped after {timeout_s:.0f} s / 运行超时（{timeout_s:.0f} 秒）", duration)
    if raw is None or not raw.get("complete"):
        return SubmissionResult(student, STATUS_ERROR, tests,
                                f"the test run ended abnormally (exit code {proc.returncode}):\n{output}", duration)
    if not tests and raw.get("collection_errors"):
        errors = "\n".join(e["message"] for e in raw["collection_errors"])
        return SubmissionResult(student, STATUS_ERROR, tests, f"hidden tests could not be collected:\n{errors}", duration)
    return SubmissionResult(student, STATUS_GRADED, tests, "", duration)


def _load(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
