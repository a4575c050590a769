"""The grading engine: runs submissions, N at a time, and collects what each run reports into a
``verdict.Tally`` that becomes its ``SubmissionResult``.

The engine is trusted. For each run it asks the tests' warm parent for a trusted run (the hidden
tests, no module) and the student parent for one student server per declared variant (the module,
sandboxed), joined by call sockets and sharing an exchange folder (``parents``, ``zygote``). It
watches every run from outside: the results channel from the trusted run (outcomes streamed test
by test), the student's captured output (a bounded head and tail), per-test and per-submission
deadlines, and memory (private memory of every student process, read from ``/proc``). A run that
overruns is killed with its whole process tree; a run stopped by one slow test, or whose server
died, is restarted for the tests it had not reached, so one infinite loop costs one test.

Outcomes count only for tests in the trusted list the warm parent collected before any student
code existed; a test a run never reports scores 0.
"""

from __future__ import annotations

import os
import secrets
import selectors
import socket
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from ailit_core.grade import channel, isolation, plugin, sandbox, verdict
from ailit_core.grade.launch import Settings
from ailit_core.grade.parents import ParentFailed, ParentGone, WarmParent
from ailit_core.grade.results import SubmissionResult
from ailit_core.grade.verdict import Tally

GRACE_S = 3.0  # beyond a run's own per-test alarm before the engine kills it
MEMORY_POLL_S = 0.5
MAX_RESTARTS = 5


class EngineError(RuntimeError):
    """The grading machinery itself failed (warm parent did not start, hidden tests broken).

    ``str(error)`` is one line naming the cause; ``log`` is the warm parent's whole log (may be
    empty), for the caller to keep where a TA can read it."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


@dataclass
class Limits:
    timeout_s: float  # whole submission (all its tests, restarts included)
    test_timeout_s: float  # one test, and the module's import
    memory_mb: int = 4096
    output_mb: int = 16
    max_processes: int = 1024
    setup_timeout_s: float = 120.0

    @classmethod
    def for_assignment(cls, assignment, profile: str | None = None, *, timeout_s=None, test_timeout_s=None,
                       memory_mb=None) -> "Limits":
        full = (profile or os.environ.get("AILIT_PROFILE") or "fast") == "full"
        total = float(timeout_s or assignment.timeout_s * (10 if full else 1))
        per_test = float(test_timeout_s or max(10.0, total / 2))
        return cls(timeout_s=total, test_timeout_s=min(per_test, total),
                   memory_mb=int(memory_mb or (16384 if full else 4096)))


@dataclass
class Task:
    student: str
    source: bytes
    sha256: str = ""
    data: dict = field(default_factory=dict)  # caller's own bookkeeping, returned untouched


class _Run:
    """One process tree running (part of) one submission's tests."""

    def __init__(self, tally: Tally, only: list[str] | None):
        self.tally = tally
        self.only = only
        self.job_id = secrets.token_hex(6)
        self.tag = secrets.token_hex(8)
        self.uid = self.gid = None
        self.pid: int | None = None
        self.reader = channel.Reader()
        self.result_fd: int | None = None
        self.out_fd: int | None = None
        self.exit_code: int | None = None
        self.exited_at: float | None = None
        self.phase = "starting"
        self.current: str | None = None
        self.deadline = time.monotonic()
        self.total_deadline: float | None = None
        self.clock_started: float | None = None
        self.kill_reason: str | None = None
        self.killed_test: str | None = None
        self.finished = False
        self.next_memory_poll = 0.0
        self.budget_left = 0.0
        self.servers: dict[str, int | None] = {}  # student server job id -> keeper pid
        self.server_exits: dict[str, int] = {}
        self.exchange: str | None = None  # the folder shared by the trusted run and the student servers
        self.lost: str | None = None  # a student server died: "import" or "test"
        self.lost_servers: list[str] = []  # which ones (names), as the trusted run saw it


class Engine:
    def __init__(self, assignment, *, profile: str | None = None, jobs: int = 1, limits: Limits | None = None,
                 extra_pytest_args: list[str] | None = None, hide=(), mode: str | None = None,
                 start: str | None = None, warm: bool = True):
        self.assignment = assignment
        self.profile = profile
        self.jobs = max(1, int(jobs))
        self.limits = limits or Limits.for_assignment(assignment, profile)
        start = start or os.environ.get("AILIT_GRADE_START") or ("fork" if hasattr(os, "fork") and sys.platform.startswith("linux") else "spawn")
        self.settings = Settings(assignment_id=assignment.id, profile=profile,
                                 extra_pytest_args=list(extra_pytest_args or []), mode=mode,
                                 hide=[str(Path(h).resolve()) for h in hide if h], start=start, warm=warm)
        self.selector = selectors.DefaultSelector()
        self._tmp = tempfile.TemporaryDirectory(prefix="ailit-engine-")
        self._active: dict[str, _Run] = {}
        self.parent = WarmParent(self.settings, "tests", Path(self._tmp.name), profile)
        self.students: WarmParent | None = None  # the student parent
        self._restarts = 0
        self._death_note = ""

    # -- warm parents ----------------------------------------------------------------------------
    def start(self) -> "Engine":
        try:
            self.parent.start()
        except ParentFailed as exc:
            self.close()
            raise EngineError(f"the grading process for {self.assignment.id} did not start: {exc}", log=exc.log) from None
        self.selector.register(self.parent.sock, selectors.EVENT_READ, ("parent", self.parent))
        # The second warm parent forks the student servers; it never sees the hidden suite.
        student_settings = Settings(**{**self.settings.__dict__, "role": "student",
                                       "preload": list(self.info.get("preload") or [])})
        self.students = WarmParent(student_settings, "student", Path(self._tmp.name), self.profile)
        try:
            self.students.start()
        except ParentFailed as exc:
            self.close()
            raise EngineError(f"the student-side process for {self.assignment.id} did not start: {exc}",
                              log=exc.log) from None
        self.selector.register(self.students.sock, selectors.EVENT_READ, ("parent", self.students))
        return self

    @property
    def info(self) -> dict:
        return self.parent.info

    @property
    def proc(self):
        """The tests' warm parent process."""
        return self.parent.proc

    def _log_tail(self, full: bool = False) -> str:
        return self.parent.log_tail(full=full)

    @property
    def tests(self) -> list[dict]:
        return list(self.info.get("tests", []))

    @property
    def collect_errors(self) -> list[dict]:
        return list(self.info.get("collect_errors", []))

    @property
    def mode(self) -> str:
        """The isolation of the processes that run student code."""
        return self.students.info.get("mode", "?") if self.students is not None else "?"

    @property
    def isolation(self) -> "isolation.Isolation":
        return isolation.strategy(self.mode)

    def close(self) -> None:
        for run in list(self._active.values()):
            self._kill(run, "grader stopped")
        for parent in (self.parent, self.students):
            if parent is not None:
                self._forget(parent)
                parent.close()
        self.selector.close()
        self._tmp.cleanup()

    def _forget(self, parent: WarmParent) -> None:
        try:
            self.selector.unregister(parent.sock)
        except (KeyError, ValueError, TypeError):
            pass

    def __enter__(self) -> "Engine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- running ---------------------------------------------------------------------------------
    def run(self, tasks, on_start=None):
        """Grade ``tasks``; yields ``(task, SubmissionResult)`` as each submission finishes."""
        pending: deque = deque((Tally(task, self.tests), None) for task in tasks)
        while pending or self._active:
            while pending and len(self._active) < self.jobs:
                tally, only = pending.popleft()
                if only is None and on_start is not None:
                    on_start(tally.task)
                self._launch(tally, only)
            for key, _mask in self.selector.select(timeout=0.1):
                kind, run = key.data
                if kind == "parent":
                    self._on_parent(run)
                elif kind == "result":
                    self._on_result(run)
                elif kind == "output":
                    self._on_output(run)
            now = time.monotonic()
            for run in list(self._active.values()):
                self._watch(run, now)
                if self._is_over(run, now):
                    del self._active[run.job_id]
                    follow_up = self._conclude(run)
                    if follow_up is not None:
                        pending.appendleft((run.tally, follow_up))
                    else:
                        yield run.tally.task, self._result(run.tally)

    def _restart_parents(self) -> None:
        """A warm parent died: start both afresh (at most twice a batch), with the same tests."""
        self._restarts += 1
        if self._restarts > 2:
            raise EngineError(f"the grading process keeps stopping: {self._death_note[-500:]}")
        tests = self.tests
        for parent in (self.parent, self.students):
            if parent is not None:
                self._forget(parent)
                parent.close(kill=True)
        self.parent = WarmParent(self.settings, "tests", Path(self._tmp.name), self.profile)
        self.students = None
        self.start()
        if self.tests != tests:
            raise EngineError("the hidden tests changed while grading")

    def _launch(self, tally: Tally, only: list[str] | None) -> None:
        if self.parent.dead or (self.students is not None and self.students.dead):
            self._restart_parents()
        run = _Run(tally, only)
        tally.runs += 1
        if self.isolation.fresh_uid(root=os.geteuid() == 0):
            run.uid = run.gid = sandbox.pick_unused_uid()
        spent = tally.student_time
        job = {
            "tag": run.tag, "uid": run.uid, "gid": run.gid, "only": only, "profile": self.profile,
            "test_timeout": self.limits.test_timeout_s, "import_timeout": self.limits.test_timeout_s,
            "memory_bytes": self.limits.memory_mb << 20, "max_processes": self.limits.max_processes,
            "nbytes": len(tally.task.source),
        }
        result_r, result_w = os.pipe()
        out_r, out_w = os.pipe()
        for attempt in range(2):
            try:
                self._dispatch(run, job, tally.task.source, result_w, out_w)
                break
            except ParentGone as exc:
                self._parent_died()
                if attempt:
                    for fd in (result_r, result_w, out_r, out_w):
                        os.close(fd)
                    raise EngineError(f"the grading process stopped: {exc}") from None
                self._restart_parents()
        for fd in (result_w, out_w):
            os.close(fd)
        for fd in (result_r, out_r):
            os.set_blocking(fd, False)
        run.result_fd, run.out_fd = result_r, out_r
        self.selector.register(result_r, selectors.EVENT_READ, ("result", run))
        self.selector.register(out_r, selectors.EVENT_READ, ("output", run))
        run.deadline = time.monotonic() + self.limits.setup_timeout_s
        run.budget_left = max(0.0, self.limits.timeout_s - spent)
        self._active[run.job_id] = run

    def _dispatch(self, run: _Run, job: dict, source: bytes, result_w: int, out_w: int) -> None:
        # The hidden tests run in a trusted process that gets no module, only one call socket
        # per student server; the servers get the module and the output pipe. The exchange
        # folder is the one place both see (the trusted side builds files there and inspects
        # what the student's code did to them).
        job = {**job, "exchange": self._exchange_folder(run)}
        servers = ["default", *sorted(self.info.get("variants") or {})]
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in servers]
        for name, (_, student_end) in zip(servers, pairs):
            options = (self.info.get("variants") or {}).get(name, {})
            # Each server its own tag (its basic-mode work folder and process marker).
            server_job = {**job, "tag": _server_tag(run.tag, name),
                          "block_imports": list(options.get("block_imports", []))}
            key = f"{run.job_id}/{name}"
            run.servers[key] = None
            self.students.send_job(key, [student_end.fileno(), out_w], server_job, source)
            student_end.close()
        log_fd = os.open(Path(self._tmp.name) / f"trusted-{run.job_id}.log", os.O_WRONLY | os.O_CREAT, 0o600)
        trusted_job = {**job, "servers": servers, "nbytes": 0}
        self.parent.send_job(run.job_id, [result_w, log_fd, *(ours.fileno() for ours, _ in pairs)],
                             trusted_job, b"")
        os.close(log_fd)
        for ours, _ in pairs:
            ours.close()

    def _exchange_folder(self, run: _Run) -> str:
        root = Path(self._tmp.name) / "exchange"
        root.mkdir(mode=0o711, exist_ok=True)
        os.chmod(root, 0o711)  # the run's uid may pass (basic mode), not list
        folder = root / run.job_id
        folder.mkdir(mode=0o700, exist_ok=True)  # a retry after a warm parent restarted
        if run.uid is not None:
            os.chown(folder, run.uid, run.gid)
        run.exchange = str(folder)
        return str(folder)

    def _on_parent(self, parent: WarmParent) -> None:
        """``started``/``exited`` for the processes a warm parent forked (runs, student servers)."""
        for message in parent.messages():
            key = str(message.get("job"))
            run_id = key.partition("/")[0]
            run = self._active.get(run_id)
            if run is None:
                continue
            if parent is self.parent and key == run.job_id:
                if message.get("op") == "started":
                    run.pid = message.get("pid")
                elif message.get("op") == "exited":
                    run.exit_code = message.get("code")
                    run.exited_at = time.monotonic()
            elif parent is self.students and key in run.servers:
                if message.get("op") == "started":
                    run.servers[key] = message.get("pid")
                elif message.get("op") == "exited":
                    run.server_exits[key] = message.get("code")
        if parent.dead:
            self._parent_died()

    def _parent_died(self) -> None:
        for parent in (self.parent, self.students):
            if parent is not None:
                self._forget(parent)
        for run in self._active.values():
            self._kill(run, "grader_failed")
            run.exit_code = run.exit_code if run.exit_code is not None else -9
            run.exited_at = time.monotonic()
        self.parent.dead = True
        notes = [p.log_tail() for p in (self.parent, self.students) if p is not None]
        self._death_note = "\n".join(n for n in notes if n)

    def _on_output(self, run: _Run) -> None:
        try:
            data = os.read(run.out_fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close_fd(run, "out_fd")
            return
        run.tally.output.add(data)
        if run.tally.output.total > (self.limits.output_mb << 20) and run.kill_reason is None:
            self._kill(run, "output")

    def _on_result(self, run: _Run) -> None:
        try:
            data = os.read(run.result_fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            try:
                run.reader.finish()
            except channel.ProtocolViolation as violation:
                self._tampered(run, [str(violation)])
            self._close_fd(run, "result_fd")
            return
        try:
            messages = run.reader.feed(data)
        except channel.ProtocolViolation as violation:
            self._tampered(run, [str(violation)])
            self._close_fd(run, "result_fd")
            return
        for message in messages:
            try:
                self._on_message(run, message)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                # A message with a field of the wrong type (e.g. a non-numeric duration): that
                # submission's results cannot be trusted; the batch goes on.
                self._tampered(run, [f"a malformed message on the results channel ({type(exc).__name__})"])
                self._close_fd(run, "result_fd")
                return

    def _close_fd(self, run: _Run, attr: str) -> None:
        fd = getattr(run, attr)
        if fd is None:
            return
        try:
            self.selector.unregister(fd)
        except (KeyError, ValueError):
            pass
        os.close(fd)
        setattr(run, attr, None)

    def _on_message(self, run: _Run, message: dict) -> None:
        tally = run.tally
        kind = message["t"]
        now = time.monotonic()
        test_limit = self.limits.test_timeout_s + GRACE_S
        if kind == "ready":
            run.phase = "importing"
            run.clock_started = now
            run.total_deadline = now + run.budget_left + GRACE_S
            run.deadline = now + test_limit
        elif kind == "import":
            run.phase = "between tests"
            run.deadline = now + test_limit
            if not message.get("ok"):
                tally.import_message = str(message.get("message", ""))
                if message.get("syntax"):
                    tally.flags.add("syntax")
                elif message.get("timeout"):
                    tally.flags.add("import_timeout")
                else:
                    tally.flags.add("import_error")
        elif kind == "start":
            nodeid = message.get("nodeid")
            if nodeid not in tally.tests:
                self._tampered(run, [f"a run reported an unknown test {str(nodeid)[:200]!r}"])
                return
            run.phase, run.current = "test", nodeid
            run.deadline = now + test_limit
        elif kind == "report":
            self._on_report(run, message)
        elif kind == "lost":
            run.lost = "test" if message.get("nodeid") else "import"
            run.lost_servers = [str(name) for name in message.get("servers") or []]
        elif kind == "tamper":
            self._tampered(run, [str(c) for c in message.get("changes", [])][:20] or ["(unspecified)"])
        elif kind == "finish":
            run.finished = True
            run.phase = "finishing"
            run.deadline = now + 30.0
            # Nothing after this point can change the grade: end the run now instead of waiting
            # for pytest to wind down.
            self._kill(run, None)
        elif kind == "sandbox_error":
            tally.flags.add("sandbox_error")
            tally.notes.append(f"isolation set-up failed: {message.get('message', '')}")

    def _on_report(self, run: _Run, message: dict) -> None:
        tally = run.tally
        nodeid = message.get("nodeid")
        entry = tally.tests.get(nodeid)
        if entry is None or nodeid in tally.done:
            self._tampered(run, [f"a report for an unknown or finished test {str(nodeid)[:200]!r}"])
            return
        when, outcome = message.get("when"), message.get("outcome")
        if outcome not in ("passed", "failed", "skipped") or when not in ("setup", "call", "teardown"):
            self._tampered(run, ["a malformed test report"])
            return
        duration = message.get("duration") or 0.0
        if type(duration) not in (int, float) or not 0 <= duration < 1e7:
            self._tampered(run, ["a malformed test report (duration)"])
            return
        if message.get("timeout"):
            entry["timeout"] = True
            tally.flags.add("test_timeout")
        if plugin.merge(entry, when, outcome, str(message.get("message") or ""), float(duration)):
            tally.done.add(nodeid)
            run.phase, run.current = "between tests", None
            run.deadline = time.monotonic() + self.limits.test_timeout_s + GRACE_S

    def _tampered(self, run: _Run, changes: list[str]) -> None:
        run.tally.flags.add("tampered")
        run.tally.tamper += changes
        if run.kill_reason is None:
            self._kill(run, "tampered")

    # -- watching and stopping -------------------------------------------------------------------
    def _watch(self, run: _Run, now: float) -> None:
        if run.kill_reason is not None or run.exit_code is not None or run.finished:
            return
        if run.total_deadline is not None and now > run.total_deadline:
            self._kill(run, "timeout")
        elif now > run.deadline:
            if run.phase == "starting":
                self._kill(run, "setup_timeout")
            elif run.phase == "test":
                run.killed_test = run.current
                self._kill(run, "test_timeout")
            elif run.phase == "importing":
                self._kill(run, "import_timeout")
            else:
                self._kill(run, "stalled")
        elif now >= run.next_memory_poll and run.pid is not None:
            run.next_memory_poll = now + MEMORY_POLL_S
            used = sandbox.private_memory_bytes(self._processes(run))
            if used > (self.limits.memory_mb << 20):
                self._kill(run, "memory")

    def _processes(self, run: _Run) -> list[int]:
        # The student's processes; the trusted run's memory is the grader's.
        pids = {p for pid in run.servers.values() if pid for p in sandbox.descendants(pid)}
        if run.uid is not None:
            pids.update(sandbox.processes_of_uid(run.uid))
        return sorted(pids)

    def _kill(self, run: _Run, reason: str | None) -> None:
        if run.kill_reason is None:
            run.kill_reason = reason
        # The warm parent signals the run's process group (it alone knows the pid is still its
        # child); the rest of the run dies with it: PID namespace, parent-death signals, sweeps.
        if run.exit_code is None:
            self.parent.kill(run.job_id)
        # At a normal finish a server the trusted run saw die is left to report its own exit (its
        # signal names the cause); _conclude ends it if it has not within the grace.
        dying = set() if reason is not None else {f"{run.job_id}/{n}" for n in run.lost_servers}
        self._kill_servers(run, skip=dying)
        self._sweep(run)

    def _kill_servers(self, run: _Run, skip=()) -> None:
        for key in run.servers:
            if key not in run.server_exits and key not in skip and self.students is not None:
                self.students.kill(key)

    def _sweep(self, run: _Run) -> None:
        if run.uid is not None:
            for _ in range(5):
                if not sandbox.kill_uid(run.uid):
                    break
        if self.isolation.swept_by_tag:
            for tag in _tags(run):
                sandbox.kill_tagged(tag)

    def _is_over(self, run: _Run, now: float) -> bool:
        if run.exit_code is None:
            return False
        waiting = [n for n in run.lost_servers if f"{run.job_id}/{n}" not in run.server_exits]
        if waiting and now - run.exited_at < 2.0:
            return False  # the lost server's own exit (its signal) names the cause
        if run.result_fd is None and run.out_fd is None:
            return True
        # Something still holds the pipes after the run's main process ended: a process that
        # escaped; end it and stop listening.
        if now - run.exited_at > 2.0:
            self._sweep(run)
            self._drain(run)
            return True
        return False

    def _drain(self, run: _Run) -> None:
        for attr, handler in (("result_fd", self._on_result), ("out_fd", self._on_output)):
            if getattr(run, attr) is not None:
                handler(run)
                self._close_fd(run, attr)

    def _conclude(self, run: _Run) -> list[str] | None:
        """Book the run's end; returns the tests still to run in a fresh process, if any.

        A run that ends abnormally *during a test* (out of time, out of memory, too much output,
        the process died) costs that test only: the tests after it run in a new process, as long
        as the submission's time and the restart budget last. During the import it costs all.
        """
        self._kill_servers(run)
        self._sweep(run)
        self._drain(run)
        if self.isolation.swept_by_tag:
            for tag in _tags(run):
                _remove_tree(tag)
        if run.exchange:
            import shutil

            shutil.rmtree(run.exchange, ignore_errors=True)
        tally = run.tally
        if run.clock_started is not None:
            tally.student_time += time.monotonic() - run.clock_started
        reason = run.kill_reason
        if run.lost and reason is None:
            return self._after_lost_server(run)
        if reason is None and not run.finished and not tally.flags & {"sandbox_error", "tampered"}:
            reason = "crashed"
        if reason in (None, "tampered"):
            return None
        if reason == "grader_failed":
            tally.flags.add(reason)
            return None
        if reason in ("timeout", "import_timeout", "setup_timeout", "stalled"):
            tally.flags.add(reason)
            if reason == "timeout" and run.current in tally.tests:
                tally.tests[run.current].update(outcome="failed", timeout=True, message=self._cut_short("timeout"))
            return None
        # test_timeout, memory, output, crashed
        tally.flags.add(reason)
        if reason == "crashed":
            tally.crash = (run.exit_code, run.phase, run.current)
        current = run.killed_test or run.current
        if run.phase != "test" or current not in tally.tests:
            tally.where = run.phase
            return None
        entry = tally.tests[current]
        entry.update(outcome="failed", message=self._cut_short(reason, run.exit_code))
        if reason == "test_timeout":
            entry["timeout"] = True
        tally.done.add(current)
        remaining = tally.remaining()
        if not remaining:
            return None
        if tally.runs <= MAX_RESTARTS and tally.student_time < self.limits.timeout_s:
            tally.notes.append(f"after test {entry['name']} the remaining tests ran in a fresh process "
                               f"/ 测试 {entry['name']} 之后的测试在新进程中继续运行")
            return remaining
        tally.flags.add("timeout" if tally.student_time >= self.limits.timeout_s else "restarts")
        return None

    def _after_lost_server(self, run: _Run) -> list[str] | None:
        """A student server died during a test: that test failed (the trusted run
        reported it); the tests after it get fresh processes, as after a crash in-process."""
        tally = run.tally
        tally.flags.add("crashed")
        # The exit of a server that died on its own, not of one the engine killed after it.
        lost = [run.server_exits[k] for k in (f"{run.job_id}/{n}" for n in run.lost_servers) if k in run.server_exits]
        code = lost[0] if lost else next(iter(run.server_exits.values()), None)
        if run.lost == "import":
            tally.crash = (code, "importing", None)
            tally.where = "importing"
            return None
        last = next((n for n in reversed(tally.order) if n in tally.done), None)
        tally.crash = (code, "test", last)
        remaining = tally.remaining()
        if remaining and tally.runs <= MAX_RESTARTS and tally.student_time < self.limits.timeout_s:
            name = tally.tests[last]["name"] if last in tally.tests else "?"
            tally.notes.append(f"after test {name} the remaining tests ran in a fresh process "
                               f"/ 测试 {name} 之后的测试在新进程中继续运行")
            return remaining
        return None

    def _cut_short(self, reason: str, code: int | None = None) -> str:
        return verdict.cut_short(reason, self.limits, code)

    def _result(self, tally: Tally) -> SubmissionResult:
        return verdict.result(tally, self.limits, self.assignment.filename, self.mode,
                              death_note=self._death_note)


def _server_tag(tag: str, server: str) -> str:
    return tag if server == "default" else f"{tag}-{server}"


def _tags(run: _Run) -> list[str]:
    return [run.tag] + [_server_tag(run.tag, key.partition("/")[2]) for key in run.servers
                        if not key.endswith("/default")]


def _remove_tree(tag: str) -> None:
    import shutil

    from ailit_core.grade.child import basic_workdir

    shutil.rmtree(basic_workdir(tag), ignore_errors=True)
