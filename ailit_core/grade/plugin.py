"""pytest plugin that records hidden-test outcomes with their points (the pattern of pytest's
junitxml: option -> configure -> pytest_runtest_logreport -> pytest_sessionfinish, its state in
``config.stash``).

It owns the grading rules that depend on pytest: the trusted test list with each test's share of
the points (``trusted_tests``: ``points(n)`` on a parametrized test is shared by its cases) and how a
test's phases merge into one outcome (``merge``: a failing set-up or teardown fails the test). The
warm parent and the engine use these two functions, so a run under ``ailit grade`` and a plain
``pytest --ailit-results`` agree.

Hidden tests carry metadata only: ``@pytest.mark.points(n)``, optionally
``@pytest.mark.visibility("visible")`` (default ``after_published``), and a docstring that says in
en/zh what the test checks; feedback shows that description and the failure's message, never the
test's source.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest

DEFAULT_VISIBILITY = "after_published"
MAX_MESSAGE_CHARS = 1500


def pytest_addoption(parser):
    group = parser.getgroup("ailit")
    group.addoption("--ailit-results", metavar="PATH", default=None,
                    help="write per-test outcomes and points as JSON to PATH")


recorder_key = pytest.StashKey["OutcomeRecorder"]()


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points this hidden test is worth")
    config.addinivalue_line("markers", "visibility(v): Gradescope visibility of this test's result")
    config.addinivalue_line("markers", "gpu: needs a CUDA device; skipped without one")
    path = config.getoption("--ailit-results", default=None)
    if path and recorder_key not in config.stash:
        config.stash[recorder_key] = recorder = OutcomeRecorder(Path(path))
        config.pluginmanager.register(recorder, "ailit-recorder")


def pytest_unconfigure(config):
    recorder = config.stash.get(recorder_key, None)
    if recorder is not None:
        del config.stash[recorder_key]
        config.pluginmanager.unregister(recorder)


def trusted_tests(items) -> list[dict]:
    """The test list with each test's share of its function's points (cases share them equally)."""
    def key(item):
        return str(item.path), item.cls.__name__ if item.cls else "", getattr(item, "originalname", item.name)

    cases = Counter(key(item) for item in items)
    return [{"nodeid": item.nodeid, "name": item.name, "description": describe(item),
             "points": points_of(item) / cases[key(item)], "visibility": visibility_of(item)} for item in items]


def merge(entry: dict, when: str, outcome: str, message: str, duration: float) -> bool:
    """Fold one phase's report into the test's entry; True once the test is over (its teardown).

    The call decides the outcome; a set-up that does not pass decides it instead (the call never
    ran); a failing teardown fails a test that had passed."""
    entry["duration"] = entry.get("duration", 0.0) + duration
    if when == "call" or (when == "setup" and outcome != "passed"):
        entry["outcome"], entry["message"] = outcome, message
    elif when == "teardown":
        if outcome == "failed":
            entry["outcome"] = "failed"
            entry["message"] = entry.get("message") or message
        return True
    return False


def describe(item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None) or ""
    return " ".join(doc.split())


def points_of(item) -> float:
    marker = item.get_closest_marker("points")
    return float(marker.args[0]) if marker and marker.args else 0.0


def visibility_of(item) -> str:
    marker = item.get_closest_marker("visibility")
    return str(marker.args[0]) if marker and marker.args else DEFAULT_VISIBILITY


def failure_message(report) -> str:
    """The exception's own message, without the traceback or pytest's rewritten assert source."""
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    kept = []
    for line in text.splitlines():
        if line.startswith(("assert ", "where ", " +  where", "  +")):
            break
        kept.append(line)
    message = "\n".join(kept).strip()
    if not message and text.strip():
        message = text.strip().splitlines()[-1]
    return message[:MAX_MESSAGE_CHARS]


def report_message(report) -> str:
    """What a phase's report says to the student: the failure's message, a skip's reason, or nothing."""
    if report.failed:
        return failure_message(report)
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[-1])
    return ""


class OutcomeRecorder:
    def __init__(self, path: Path):
        self.path = path
        self.tests: dict[str, dict] = {}
        self.collection_errors: list[dict] = []
        self.started = time.time()

    def pytest_collection_finish(self, session):
        for entry in trusted_tests(session.items):  # after -k / -m deselection
            self.tests[entry["nodeid"]] = {**entry, "outcome": "not run", "message": "", "duration": 0.0}

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append({"nodeid": report.nodeid, "message": failure_message(report)})

    def pytest_runtest_logreport(self, report):
        entry = self.tests.get(report.nodeid)
        if entry is None:
            return
        merge(entry, report.when, report.outcome, report_message(report), report.duration)

    def pytest_sessionfinish(self, session, exitstatus):
        payload = {
            "tests": list(self.tests.values()),
            "collection_errors": self.collection_errors,
            "exitstatus": int(exitstatus),
            "duration": time.time() - self.started,
            "complete": True,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
