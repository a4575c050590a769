"""One submission's test run, in the processes the warm parent forks for it.

The warm parent (``zygote``) has already started pytest and collected the hidden tests; it forks
from inside pytest's run loop, so a run starts with the session ready and only runs the tests.
Two processes per run:

- the *keeper*: starts a process session, reads the job (settings and the module's bytes) from
  its pipe, enters the new namespaces and forks the runner, then only waits and passes the
  runner's fate on as its exit status;
- the *runner* (PID 1 of the new PID namespace in the isolated modes): returns into pytest's run
  loop with ``RunReporter`` registered as a plugin.

``RunReporter.begin`` locks the run down before any student code runs (the hidden test files have
been read by then): it builds the minimal root, drops privileges, applies limits, fingerprints the
grading machinery, imports the student's module under a time limit, and then streams every test's
outcome to the grader as it finishes (``channel``).
"""

from __future__ import annotations

import json
import linecache
import os
import secrets
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from ailit_core.grade import channel, integrity, isolation, sandbox
from ailit_core.grade.plugin import report_message

RESULT_FD_FLOOR = 700  # the results pipe is moved to a high, random descriptor number
STUDENT = "student"


class TestTimeout(Exception):
    """Raised inside a test (or the module's import) that ran out of time."""

    __test__ = False


def read_job(fd: int) -> tuple[dict, bytes]:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(fd)
    data = b"".join(chunks)
    header, _, body = data.partition(b"\n")
    job = json.loads(header.decode("utf-8"))
    source = body[: job["nbytes"]]
    if len(source) != job["nbytes"]:
        raise EOFError("the job arrived incomplete")
    return job, source


def _close_fds_except(keep: set[int]) -> None:
    try:
        open_fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:
        open_fds = list(range(3, 1024))
    for fd in open_fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


@dataclass
class RunnerStart:
    """What the runner needs once it is back in pytest's run loop."""

    job: dict
    source: bytes
    result_fd: int  # the results pipe (trusted run) or the call socket (student server)
    out_fd: int
    keeper_pid: int
    extra_fds: tuple = ()  # the trusted run's call sockets, one per student server


def keeper_main(prep, job_fd: int, result_fd: int, out_fd: int, *extra_fds: int,
                new_session: bool = True) -> RunnerStart:
    """Runs in the freshly forked keeper; returns only in the runner (the keeper exits here).

    A trusted run (``prep.sandboxed`` false: the suite calls student code through ``remote``) runs
    no student code, so it enters no namespace; a student server or an in-process run does."""
    code = 70
    try:
        if new_session:
            os.setsid()
        try:
            sandbox.set_parent_death_signal()
        except OSError:
            pass
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
            signal.signal(sig, signal.SIG_DFL)
        job, source = read_job(job_fd)
        _close_fds_except({result_fd, out_fd, *extra_fds})
        os.dup2(out_fd, 2)  # the keeper's own failures reach the grader's captured output
        how = isolation.strategy(prep.mode)
        if not prep.sandboxed:
            pass
        elif how.namespaces:
            how.enter()
        else:
            workdir = basic_workdir(job["tag"])
            os.makedirs(workdir, mode=0o700)
            if os.geteuid() == 0 and prep.drop_uid:
                os.chown(workdir, job["uid"], job["gid"])
        keeper_pid = os.getpid()
        runner = os.fork()
        if runner == 0:
            return RunnerStart(job, source, result_fd, out_fd, keeper_pid, tuple(extra_fds))
        for fd in (result_fd, out_fd, *extra_fds):
            os.close(fd)
        while True:
            try:
                _, status = os.waitpid(runner, 0)
                break
            except ChildProcessError:
                status = 0
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else min(code, 255)
    except BaseException:
        traceback.print_exc()
        code = 70  # EX_SOFTWARE: the grader failed, not the submission
    os._exit(code)


def basic_workdir(tag: str) -> str:
    return os.path.join(tempfile.gettempdir(), f"ailit-run-{tag}")


def start_runner(prep, session, start: RunnerStart):
    """In the runner, inside pytest's run loop: set up and lock down; the hook's return value.

    None lets pytest run the (selected) tests; True ends the session without running them.
    """
    try:
        sandbox.set_parent_death_signal()
    except OSError:
        pass
    if os.getppid() not in (start.keeper_pid, 0):  # 0: the keeper is outside our PID namespace
        os._exit(70)
    high = RESULT_FD_FLOOR + secrets.randbelow(200)
    os.dup2(start.result_fd, high, inheritable=False)
    os.close(start.result_fd)
    writer = channel.Writer(high, secrets.token_hex(16))
    writer.send("hello", pid=os.getpid(), mode=prep.mode)
    redirect_stdio(start.out_fd)
    _restore_threads(prep)
    reporter = RunReporter(prep, start.job, start.source, writer)
    session.config.pluginmanager.register(reporter, "ailit-run-reporter")
    return reporter.begin(session)


def redirect_stdio(out_fd: int) -> None:
    """stdin from /dev/null; stdout and stderr to ``out_fd`` (which is then closed)."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)


def _restore_threads(prep) -> None:
    """The CPU threads the warm parent had after collection (a hidden suite's conftest may set
    them); some torch builds reset a forked child's thread count."""
    torch = sys.modules.get("torch")
    if torch is None or not prep.torch_threads:
        return
    try:
        if torch.get_num_threads() != prep.torch_threads:
            torch.set_num_threads(prep.torch_threads)
    except Exception:  # noqa: BLE001 - a slower run is better than no run
        pass


def _exception_text(exc: BaseException) -> str:
    if isinstance(exc, SyntaxError):
        return f"SyntaxError: {exc.msg} (line {exc.lineno})"
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text or type(exc).__name__


class RunReporter:
    """pytest plugin of the runner: lockdown, the student's import, streamed outcomes."""

    def __init__(self, prep, job: dict, source: bytes, writer: channel.Writer):
        self.prep = prep
        self.job = job
        self.source = source
        self.writer = writer
        self.state = {"snapshot": None, "tampered": False, "timed_out": None, "items": []}

    def begin(self, session):
        """Select this run's tests, lock down, fingerprint, import the module (see module doc)."""
        self.state["config"] = session.config
        only = self.job.get("only")
        if only is not None:
            wanted = set(only)
            session.items[:] = [item for item in session.items if item.nodeid in wanted]
        session.config.option.continue_on_collection_errors = True  # the grader decides about those
        self.state["items"] = list(session.items)
        try:
            module_path = self.lockdown()
        except BaseException as exc:
            self.writer.send("sandbox_error", message=channel.clip(f"{type(exc).__name__}: {exc}"))
            return True
        signal.signal(signal.SIGALRM, self._on_alarm)
        self.state["snapshot"] = integrity.Snapshot.take(**self._watched(session.config))
        self.writer.send("ready")
        stop = self.import_module(module_path)
        if not self.check(session.config, "at import") or stop:
            return True
        return None

    def lockdown(self) -> str:
        module_path = lockdown(self.prep, self.job, self.source)
        self.source = b""
        return module_path

    def import_module(self, module_path: str) -> bool:
        """Import the submission once, timed; True when running the tests would be pointless."""
        from ailit_core.testing import _import_file

        started = time.monotonic()
        self.state["timed_out"] = None
        signal.setitimer(signal.ITIMER_REAL, self.job["import_timeout"])
        try:
            _import_file(self.prep.module, Path(module_path))
            ok, message, stop = True, "", False
        except TestTimeout:
            ok, message, stop = False, f"importing {self.prep.filename} took longer than {self.job['import_timeout']:g} s", True
        except SyntaxError as exc:
            ok, message, stop = False, _exception_text(exc), True
        except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... all are the module's doing
            ok, message, stop = False, _exception_text(exc), False
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        syntax = message.startswith("SyntaxError")
        self.writer.send("import", ok=ok, message=channel.clip(message), timeout=not ok and stop and not syntax,
                         syntax=syntax, duration=time.monotonic() - started)
        return stop

    def _on_alarm(self, signum, frame):
        self.state["timed_out"] = self.state.get("current") or "import"
        raise TestTimeout(f"time limit exceeded / 超过时间限制 ({self.job['test_timeout']:g} s)")

    # -- tamper checks ---------------------------------------------------------------------------
    def _watched(self, config):
        return dict(extra_modules=tuple(self.prep.test_modules), objects=(self, self.writer),
                    config=config, items=self.state["items"])

    def check(self, config, when: str) -> bool:
        if self.state["tampered"]:
            return False
        changes = self.state["snapshot"].changes()
        if changes:
            self.state["tampered"] = True
            self.writer.send("tamper", when=when, changes=changes[:20])
            return False
        return True

    # -- streaming outcomes ----------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.state["current"] = item.nodeid
        self.state["timed_out"] = None
        self.writer.send("start", nodeid=item.nodeid)
        signal.signal(signal.SIGALRM, self._on_alarm)
        signal.setitimer(signal.ITIMER_REAL, self.job["test_timeout"])
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            self.state["current"] = None

    def pytest_runtest_logreport(self, report):
        # Credit comes from a passing call phase (any other report can only take points away), so
        # the fingerprints are compared before each such report leaves, and at the end.
        if report.when == "call" and report.passed and not self.check(self._config(), report.nodeid):
            return
        if self.state["tampered"]:
            return
        message = report_message(report)
        self.writer.send("report", nodeid=report.nodeid, when=report.when, outcome=report.outcome,
                         message=channel.clip(message), duration=report.duration,
                         timeout=self.state["timed_out"] == report.nodeid)

    def _config(self):
        return self.state.get("config")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session, exitstatus):
        if self.state["snapshot"] is not None:
            self.check(session.config, "at the end")
        self.writer.send("finish", exitstatus=int(exitstatus))


def lockdown(prep, job: dict, source: bytes) -> str:
    """Lock this process down before any student code runs: the minimal root, the module's file
    in a private work folder, a clean environment, dropped privileges, limits. Returns the module's path."""
    how = isolation.strategy(prep.mode)
    data_now = sandbox.data_segment_bytes()
    tmp, workdir, home = how.folders(prep, job)
    module_path = os.path.join(workdir, prep.filename)
    with open(module_path, "wb") as fh:
        fh.write(source)
    drop_uid = how.drops_uid(root=os.geteuid() == 0, others_can_run_python=prep.drop_uid)
    if drop_uid:
        os.chown(module_path, job["uid"], job["gid"])
    os.chmod(module_path, 0o644)
    fixtures = private_fixtures(prep.child_env.get("AILIT_FIXTURES"), os.path.join(tmp, ".fixtures"))
    if drop_uid:
        os.chown(fixtures, job["uid"], job["gid"])
    os.environ.clear()
    os.environ.update(prep.child_env)
    os.environ["AILIT_FIXTURES"] = fixtures
    os.environ.update({
        "HOME": home, "TMPDIR": tmp, "USER": STUDENT, "LOGNAME": STUDENT, "AILIT_RUN": job["tag"],
        "AILIT_IMPL": module_path, "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
    })
    if job.get("profile"):
        os.environ["AILIT_PROFILE"] = job["profile"]
    tempfile.tempdir = tmp
    os.chdir(workdir)
    _best_effort(sandbox.set_no_new_privs, required=how.hardening_required)
    if drop_uid:
        sandbox.become(job["uid"], job["gid"])
    elif how.namespaces:
        sandbox.drop_capabilities()
    _best_effort(sandbox.set_parent_death_signal, required=how.hardening_required)
    sandbox.apply_limits(sandbox.Limits(
        memory_bytes=job["memory_bytes"],
        processes=job.get("max_processes") if drop_uid else None,
    ), data_now=data_now)
    if how.guards:
        from ailit_core.grade import guards
        site = guards.write_sitecustomize(workdir, protected=prep.protected, allowed=prep.allowed_inside)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (site, os.environ.get("PYTHONPATH")) if p)
        guards.install(protected=prep.protected, allowed=prep.allowed_inside)
    sys.path[:] = [p for p in sys.path
                   if p in prep.allowed_inside or (p and os.path.isdir(p) and not _under(p, prep.protected))]
    linecache.clearcache()
    os.umask(0o022)
    return module_path


def _best_effort(step, *, required: bool) -> None:
    """Run a hardening step; outside Linux (basic mode) a missing one is skipped."""
    try:
        step()
    except OSError:
        if required:
            raise


def private_fixtures(shared: str | None, private: str) -> str:
    """A writable fixture folder of the run's own: links to every shared fixture (read-only), and
    room to build a missing one that only this run will see."""
    os.makedirs(private, exist_ok=True)
    if shared and os.path.isdir(shared):
        for name in os.listdir(shared):
            if not name.startswith("."):
                os.symlink(os.path.join(shared, name), os.path.join(private, name))
    return private


def _under(path: str, roots) -> bool:
    path = os.path.abspath(path)
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)
