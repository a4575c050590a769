"""The trusted run: one submission's hidden tests, in a process that never imports the submission.

Forked by the warm parent that collected the hidden tests (``zygote``), for suites whose conftest
declares ``remote.module_fixture``. The engine passed it the results pipe and one call socket per
student server (``server``); this module attaches the sockets to ``remote``, waits for the
default server's greeting (the submission's import), and streams each test's outcome to the
engine over ``channel``. There is no fingerprinting here: no student code runs in this process, so
there is nothing to watch.

Two things a test can learn only here end the run early: a server that died (``remote.STATE.lost``:
the test fails, the engine gives the remaining tests fresh processes) and a reply that broke the
protocol (``STATE.violations``: reported as tampering, nothing is credited).
"""

from __future__ import annotations

import os
import secrets
import socket

import pytest

from ailit_core.grade import channel, child, remote, sandbox
from ailit_core.grade.plugin import report_message


def start(prep, session, start):
    """In the trusted runner, inside pytest's run loop; the hook's return value (see ``child``)."""
    try:
        sandbox.set_parent_death_signal()
    except OSError:
        pass
    if os.getppid() != start.keeper_pid:
        os._exit(70)
    writer = channel.Writer(start.result_fd, secrets.token_hex(16))
    writer.send("hello", pid=os.getpid(), mode=prep.mode)
    child.redirect_stdio(start.out_fd)
    child.restore_threads(prep)
    names = start.job.get("servers") or [remote.DEFAULT]
    remote.attach({name: socket.socket(fileno=fd) for name, fd in zip(names, start.extra_fds)},
                  exchange=start.job.get("exchange"))
    reporter = TrustedReporter(start.job, writer)
    session.config.pluginmanager.register(reporter, "ailit-trusted-reporter")
    return reporter.begin(session)


class TrustedReporter:
    """pytest plugin of the trusted run: the submission's import status, then streamed outcomes."""

    def __init__(self, job: dict, writer: channel.Writer):
        self.job = job
        self.writer = writer
        self.stopped = False

    def begin(self, session):
        only = self.job.get("only")
        if only is not None:
            wanted = set(only)
            session.items[:] = [item for item in session.items if item.nodeid in wanted]
        session.config.option.continue_on_collection_errors = True
        self.writer.send("ready")
        try:
            hello = remote.connection(remote.DEFAULT).hello
        except (remote.RemoteCrashed, remote.RemoteProtocolError):
            if remote.STATE.violations:
                self._tamper("at import")
                return True
            # The server died while importing the module (os._exit, a signal...): no test can run.
            self.writer.send("lost", nodeid=None, servers=[remote.DEFAULT])
            return True
        self.writer.send("import", ok=hello.ok, message=channel.clip(hello.message), timeout=hello.timeout,
                         syntax=hello.syntax, duration=hello.duration)
        if hello.syntax or hello.timeout:
            return True
        return None

    def _tamper(self, when: str) -> None:
        self.stopped = True
        self.writer.send("tamper", when=when, changes=remote.STATE.violations[:20])

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.writer.send("start", nodeid=item.nodeid)
        yield

    def pytest_runtest_logreport(self, report):
        if self.stopped:
            return
        if remote.STATE.violations:
            self._tamper(report.nodeid)
            return
        message = report_message(report)
        self.writer.send("report", nodeid=report.nodeid, when=report.when, outcome=report.outcome,
                         message=channel.clip(message), duration=float(report.duration), timeout=False)
        if report.when == "teardown" and remote.STATE.lost:
            # The server is gone: the engine re-runs the tests after this one with fresh processes.
            self.stopped = True
            self.writer.send("lost", nodeid=report.nodeid, servers=list(remote.STATE.lost))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logfinish(self, nodeid, location):
        if self.stopped:
            session = getattr(self, "_session", None)
            if session is not None:
                session.shouldstop = "the submission's process ended"

    def pytest_runtest_setup(self, item):
        self._session = item.session

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        self.writer.send("finish", exitstatus=int(exitstatus))
