"""The processes a warm parent forks for a run, up to the point where they do their own job.

Two processes each time:

- the *keeper*: starts a process session, reads the job (settings, and for a student server the
  module's bytes) from its pipe, enters the new namespaces when it is a student server's, forks the
  worker, then only waits and passes the worker's fate on as its exit status;
- the *worker*: the trusted run (``trusted``: back into pytest's run loop, the hidden tests) or the
  student server (``server``; PID 1 of its new PID namespace in the isolated modes), which first
  calls ``lockdown``: the minimal root, the module in a private work folder, a clean environment,
  dropped privileges and limits, before any student code runs.
"""

from __future__ import annotations

import json
import linecache
import os
import signal
import sys
import tempfile
import traceback
from dataclasses import dataclass

from ailit_core.grade import isolation, sandbox

STUDENT = "student"


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

    A trusted run (``prep.sandboxed`` false) runs no student code, so it enters no namespace; a
    student server does."""
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
        if prep.sandboxed and how.namespaces:
            how.enter()
        elif prep.sandboxed:
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


def redirect_stdio(out_fd: int) -> None:
    """stdin from /dev/null; stdout and stderr to ``out_fd`` (which is then closed)."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(out_fd, 1)
    os.dup2(out_fd, 2)
    os.close(out_fd)


def restore_threads(prep) -> None:
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
