"""pytest plugin that records hidden-test outcomes with their points (the pattern of pytest's
junitxml: option -> configure -> pytest_runtest_logreport -> pytest_sessionfinish).

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


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): points this hidden test is worth")
    config.addinivalue_line("markers", "visibility(v): Gradescope visibility of this test's result")
    config.addinivalue_line("markers", "gpu: needs a CUDA device; skipped without one")
    path = config.getoption("--ailit-results", default=None)
    if path and not hasattr(config, "_ailit_recorder"):
        config._ailit_recorder = OutcomeRecorder(Path(path))
        config.pluginmanager.register(config._ailit_recorder, "ailit-recorder")


def pytest_unconfigure(config):
    recorder = getattr(config, "_ailit_recorder", None)
    if recorder is not None:
        del config._ailit_recorder
        config.pluginmanager.unregister(recorder)


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


class OutcomeRecorder:
    def __init__(self, path: Path):
        self.path = path
        self.tests: dict[str, dict] = {}
        self.collection_errors: list[dict] = []
        self.started = time.time()

    def pytest_collection_finish(self, session):
        items = session.items  # after -k / -m deselection
        # points(n) on a parametrized test is the test function's worth, shared by its cases.
        cases = Counter((item.path, item.cls, getattr(item, "originalname", item.name)) for item in items)
        for item in items:
            share = cases[(item.path, item.cls, getattr(item, "originalname", item.name))]
            self.tests[item.nodeid] = {
                "nodeid": item.nodeid,
                "name": item.name,
                "description": describe(item),
                "points": points_of(item) / share,
                "visibility": visibility_of(item),
                "outcome": "not run",
                "message": "",
                "duration": 0.0,
            }

    def pytest_collectreport(self, report):
        if report.failed:
            self.collection_errors.append({"nodeid": report.nodeid, "message": failure_message(report)})

    def pytest_runtest_logreport(self, report):
        entry = self.tests.get(report.nodeid)
        if entry is None:
            return
        entry["duration"] += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            entry["outcome"] = report.outcome  # passed / failed / skipped
            if report.failed:
                entry["message"] = failure_message(report)
            elif report.skipped:
                entry["message"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        elif report.when == "teardown" and report.failed:
            entry["outcome"] = "failed"
            entry["message"] = entry["message"] or failure_message(report)

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
