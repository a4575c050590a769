"""Deciding what a run may see, and which isolation mode this machine allows.

The run's root file system is an allow-list: system folders, the Python installation (with every
folder on ``sys.path`` and every folder a loaded library came from), ``ailit_core``, the data and
fixture folders, the non-Python files beside the hidden tests, and folders named in
``AILIT_GRADE_ALLOW``. Nothing under the *protected* folders is visible (the repository, which holds
the reference solutions, sample submissions and git history; the submissions being graded; the
gradebook), except ``ailit_core`` and the hidden tests' data.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from ailit_core.grade import sandbox

ALLOW_ENV = "AILIT_GRADE_ALLOW"


@dataclass
class Layout:
    plan: sandbox.RootPlan
    protected: list[str]
    allowed_inside: list[str]
    others_can_run_python: bool


def _real(path) -> str:
    return os.path.realpath(os.fspath(path))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def _mapped_dirs() -> set[str]:
    dirs = set()
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            parts = line.split(None, 5)
            if len(parts) == 6 and parts[5].startswith("/") and not parts[5].endswith("(deleted)"):
                dirs.add(os.path.dirname(parts[5]))
    except OSError:
        pass
    return dirs


def python_dirs() -> list[str]:
    dirs = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
            os.path.dirname(sys.executable), os.path.dirname(_real(sys.executable))}
    return sorted(_real(d) for d in dirs if d and os.path.isdir(d))


def layout(assignment, *, hide=()) -> Layout:
    import ailit_core
    from ailit_core import paths
    from ailit_core.data import cache

    project = _real(paths.project_root())
    protected = sorted({project, *(_real(p) for p in hide if p)})
    allowed_inside = [_real(Path(ailit_core.__file__).parent)]
    hidden = assignment.hidden_tests_dir
    if hidden.is_dir():
        for entry in sorted(hidden.iterdir()):
            if entry.name == "__pycache__" or entry.suffix in (".py", ".pyc") or entry.name.startswith("."):
                continue
            allowed_inside.append(_real(entry))
    pythons = python_dirs()
    candidates = [*sandbox.SYSTEM_DIRS, *pythons]
    candidates += [p for p in sys.path if p and os.path.exists(p)]
    candidates += sorted(_mapped_dirs())
    candidates += [str(cache.fixtures_root()), str(cache.data_root())]
    candidates += [p for p in os.environ.get(ALLOW_ENV, "").split(os.pathsep) if p]
    binds: list[str] = []
    for candidate in candidates:
        if not os.path.exists(candidate):
            continue
        real = _real(candidate)
        if real == "/":
            continue
        in_python = any(_under(real, p) for p in pythons)
        if not in_python and any(_under(real, p) for p in protected):
            continue
        if any(_under(p, real) for p in protected) and real in pythons:
            continue  # a Python prefix holding the repository itself: never expose it
        binds.append(real)
    binds = _outermost(binds)
    masks = [p for p in protected if any(_under(p, b) and p != b for b in binds)]
    plan = sandbox.RootPlan(binds=binds, masks=masks, late_binds=allowed_inside)
    others = all(sandbox.traversable_by_others(p) for p in [_real(sys.executable), *pythons])
    return Layout(plan=plan, protected=protected, allowed_inside=allowed_inside, others_can_run_python=others)


def _outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths), key=lambda p: (p.count("/"), p)):
        if not any(_under(path, k) for k in kept):
            kept.append(path)
    return kept


def choose_mode(forced: str | None, lay: Layout) -> tuple[str, list[str]]:
    """The best isolation mode that works here, and notes on the ones that did not."""
    import os as _os

    forced = forced or _os.environ.get(sandbox.ENV_VAR) or None
    if forced and forced not in sandbox.MODES:
        raise ValueError(f"{sandbox.ENV_VAR}={forced!r}: use one of {', '.join(sandbox.MODES)}")
    if not sys.platform.startswith("linux"):
        if forced and forced != "basic":
            raise sandbox.SandboxError(0, f"isolation mode {forced} needs Linux")
        return "basic", ["namespaces need Linux"]
    order = [forced] if forced else (["full"] if _os.geteuid() == 0 else []) + ["userns", "basic"]
    notes = []
    for mode in order:
        if mode == "basic":
            return mode, notes
        error = probe(mode, lay)
        if error is None:
            return mode, notes
        notes.append(f"{mode} isolation unavailable: {error}")
    raise sandbox.SandboxError(0, f"isolation mode {forced} is not available here: {'; '.join(notes)}")


def probe(mode: str, lay: Layout, timeout_s: float = 20.0) -> str | None:
    """Try a mode's whole set-up in a throw-away child; None when it works, else why not."""
    import select
    import signal
    import time

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code = 1
        try:
            enter_namespaces(mode)
            inner = os.fork()
            if inner == 0:
                try:
                    uid = gid = None
                    if mode == "full":
                        uid = sandbox.pick_unused_uid()
                        gid = uid
                    sandbox.build_root(lay.plan, owner_uid=uid if uid is not None else os.getuid(),
                                       owner_gid=gid if gid is not None else os.getgid(),
                                       proc_required=mode == "full")
                    sandbox.set_no_new_privs()
                    if uid is not None:
                        sandbox.become(uid, gid)
                    else:
                        sandbox.drop_capabilities()
                    leaks = [p for p in lay.protected if _visible_content(p, lay.allowed_inside)]
                    if leaks:
                        raise sandbox.SandboxError(0, f"protected folders still visible: {leaks}")
                    os._exit(0)
                except BaseException:  # noqa: BLE001
                    os.write(write_end, traceback.format_exc(limit=2)[-600:].encode())
                    os._exit(1)
            _, status = os.waitpid(inner, 0)
            code = 0 if os.waitstatus_to_exitcode(status) == 0 else 1
        except BaseException:  # noqa: BLE001
            os.write(write_end, traceback.format_exc(limit=2)[-600:].encode())
        finally:
            os._exit(code)
    os.close(write_end)
    deadline = time.monotonic() + timeout_s
    message = b""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            os.kill(pid, signal.SIGKILL)
            message += b"probe timed out"
            break
        ready, _, _ = select.select([read_end], [], [], remaining)
        if ready:
            chunk = os.read(read_end, 4096)
            if not chunk:
                break
            message += chunk
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) == 0:
        return None
    text = message.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else f"exit status {status}"


def _visible_content(path: str, allowed: list[str]) -> bool:
    """True when ``path`` shows anything besides the allowed folders inside it."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    for name in names:
        child = os.path.join(path, name)
        if not any(_under(a, child) for a in allowed):
            return True
    return False


def enter_namespaces(mode: str) -> None:
    if mode == "full":
        sandbox.unshare(sandbox.CLONE_NEWNS | sandbox.CLONE_NEWNET | sandbox.CLONE_NEWPID | sandbox.CLONE_NEWIPC)
    elif mode == "userns":
        uid, gid = os.getuid(), os.getgid()
        sandbox.unshare(sandbox.CLONE_NEWUSER | sandbox.CLONE_NEWNS | sandbox.CLONE_NEWNET | sandbox.CLONE_NEWPID
                        | sandbox.CLONE_NEWIPC)
        sandbox.write_id_maps(uid, uid, gid, gid)


# -- the isolation modes as strategies --------------------------------------------------------------


class Isolation:
    """What one isolation mode does to a student process; ``strategy(name)`` gives the mode's object.

    The engine and the processes it starts ask the strategy instead of comparing mode names."""

    name = "?"
    namespaces = False  # the process enters new namespaces (and sees a private root)
    hardening_required = True  # no_new_privs and the parent-death signal must succeed
    guards = False  # Python-level audit hooks stand in for namespaces
    swept_by_tag = False  # processes are found by an environment tag (no PID namespace to end them)

    def fresh_uid(self, *, root: bool) -> bool:
        """Whether each run gets a fresh uid (the engine picks it, the process takes it)."""
        return False

    def drops_uid(self, *, root: bool, others_can_run_python: bool) -> bool:
        """Whether the process takes that uid (it must still be able to run Python as it)."""
        return self.fresh_uid(root=root)

    def enter(self) -> None:
        """Called in the forked keeper, before the student process is forked."""

    def folders(self, prep, job: dict) -> tuple[str, str, str]:
        """``(tmp, workdir, home)`` of the run, after building its root when it has one."""
        raise NotImplementedError


class FullIsolation(Isolation):
    name, namespaces = "full", True

    def fresh_uid(self, *, root: bool) -> bool:
        return True

    def enter(self) -> None:
        enter_namespaces(self.name)

    def folders(self, prep, job):
        sandbox.build_root(prep.root_plan, owner_uid=job["uid"], owner_gid=job["gid"], writable=_exchange(job))
        return "/tmp", "/tmp/work", "/tmp/home"


class UserNamespaceIsolation(Isolation):
    name, namespaces = "userns", True

    def enter(self) -> None:
        enter_namespaces(self.name)

    def folders(self, prep, job):
        sandbox.build_root(prep.root_plan, owner_uid=os.getuid(), owner_gid=os.getgid(), proc_required=False,
                           writable=_exchange(job))
        return "/tmp", "/tmp/work", "/tmp/home"


class BasicIsolation(Isolation):
    name, hardening_required, guards, swept_by_tag = "basic", False, True, True

    def fresh_uid(self, *, root: bool) -> bool:
        return root

    def drops_uid(self, *, root: bool, others_can_run_python: bool) -> bool:
        return root and others_can_run_python  # no private root: Python must be readable by others

    def folders(self, prep, job):
        from ailit_core.grade.child import basic_workdir

        workdir = basic_workdir(job["tag"])
        return workdir, workdir, workdir


def _exchange(job: dict) -> tuple[str, ...]:
    """The run's exchange folder (shared read-write with the trusted run), if it has one."""
    return (job["exchange"],) if job.get("exchange") else ()


STRATEGIES = {s.name: s for s in (FullIsolation(), UserNamespaceIsolation(), BasicIsolation())}


def strategy(name: str) -> Isolation:
    return STRATEGIES.get(name, STRATEGIES["basic"])
