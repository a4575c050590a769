"""What travels between the coordinator and a Dask worker, both ways, as bytes: the worker's result
(the Gradescope ``results.json`` and the captured output, JSON) and its strict check here. Free of
Dask: the coordinator's checks and their tests import it without the extra."""

from __future__ import annotations

import json
import math

from ailit_core.grade.engine import Task
from ailit_core.grade.results import DESCRIPTIONS, STATUS_GRADER_ERROR, SubmissionResult, from_gradescope, to_gradescope
from ailit_core.grade.sandbox import MODES

LOCAL = "local"
INSTALL_HINT = ("Dask is not installed: pip install 'ailit[dask]' (or put scripts/dask-overlay.sh's folder on "
                "PYTHONPATH) / 未安装 Dask：请运行 pip install 'ailit[dask]'")
OUTCOMES = ("passed", "failed", "skipped", "not run")
TRUSTED_FIELDS = ("nodeid", "name", "description", "points", "visibility")  # from the coordinator's list
PLUGIN_PREFIX = "ailit-grader-"


def parse_address(address: str) -> tuple[str, int | None]:
    """``local`` / ``local:N`` (a LocalCluster of N workers; default: this machine's cores) or a
    scheduler address (``tcp://host:8786``, ``tls://...``, a scheduler file path)."""
    address = (address or "").strip()
    if not address:
        raise ValueError("--dask needs an address: local, local:N or tcp://HOST:PORT")
    if address == LOCAL or address.startswith(LOCAL + ":"):
        count = address[len(LOCAL) + 1:]
        if not count:
            return LOCAL, None
        if not count.isdigit() or int(count) < 1:
            raise ValueError(f"--dask {address}: local:N needs a whole number of workers N >= 1")
        return LOCAL, int(count)
    return address, None


def weaker(mode: str, than: str) -> bool:
    """Whether isolation ``mode`` protects less than ``than`` (full > userns > basic)."""
    rank = {m: i for i, m in enumerate(MODES)}
    return rank.get(mode, len(MODES)) > rank.get(than, len(MODES))


def refused(student: str, sha256: str, why: str, where: str) -> SubmissionResult:
    return SubmissionResult(student, STATUS_GRADER_ERROR, [], f"Dask worker {where}: {why}; grade again "
                            f"/ Dask 工作节点无法评分，请重新评分", sha256=sha256)


def encode_result(result: SubmissionResult) -> bytes:
    return json.dumps({"results": to_gradescope(result), "output": result.output}).encode("utf-8")


class UntrustedResult(ValueError):
    """A worker's reply is not a well-formed result for the task it was given."""


def decode_result(data: bytes, task: Task, trusted: list[dict]) -> SubmissionResult:
    """A worker's reply, parsed strictly: JSON only, our schema, this task's student and hash, the
    coordinator's tests (names and points from ``trusted``; only outcomes and messages from the worker)."""
    if not isinstance(data, bytes):
        raise UntrustedResult(f"a reply of type {type(data).__name__}, not bytes")
    try:
        reply = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise UntrustedResult(f"a reply that is not JSON ({exc})") from None
    if not isinstance(reply, dict) or not isinstance(reply.get("output", ""), str):
        raise UntrustedResult("a reply without the expected fields")
    result = from_gradescope(reply.get("results"))
    if result is None:
        raise UntrustedResult("a reply that is not an ailit results.json")
    if result.student != task.student or result.sha256 != task.sha256:
        raise UntrustedResult(f"a result for another submission ({str(result.student)[:80]!r})")
    if result.status not in DESCRIPTIONS:
        raise UntrustedResult(f"an unknown status {str(result.status)[:40]!r}")
    for name in ("message", "isolation", "source", "submitted_at", "graded_at", "tests_version", "folder"):
        if not isinstance(getattr(result, name), str):
            raise UntrustedResult(f"a malformed field {name}")
    if not _number(result.duration) or type(result.runs) is not int or not all(
            isinstance(x, list) and all(isinstance(line, str) for line in x) for x in (result.notes, result.ignored)):
        raise UntrustedResult("a malformed duration, run count or note")
    result.output = reply.get("output", "")
    if result.status == STATUS_GRADER_ERROR and not result.tests:  # a refusing worker lists no tests
        result.tests = [{**t, "outcome": "not run", "message": "", "duration": 0.0} for t in trusted]
        return result
    if not isinstance(result.tests, list) or len(result.tests) != len(trusted):
        raise UntrustedResult("a result whose tests are not the coordinator's")
    tests = []
    for mine, theirs in zip(trusted, result.tests):
        if not isinstance(theirs, dict) or theirs.get("nodeid") != mine["nodeid"]:
            raise UntrustedResult("a result whose tests are not the coordinator's")
        if theirs.get("outcome") not in OUTCOMES or not isinstance(theirs.get("message", ""), str) \
                or not _number(theirs.get("duration", 0.0)):
            raise UntrustedResult(f"a malformed outcome for {mine['nodeid']}")
        entry = {**theirs, **{k: mine[k] for k in TRUSTED_FIELDS if k in mine}}
        tests.append(entry)
    result.tests = tests
    return result


def _number(value) -> bool:
    return type(value) in (int, float) and math.isfinite(value) and value >= 0
