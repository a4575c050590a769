"""The warm parents: import what runs need once, then fork one process per request.

Started by the grader (``parents.WarmParent``: ``python -c ... SETTINGS FD``) with a socket for
requests, in one of two roles:

- ``tests`` (``main``): imports pytest, numpy and every library the released stub imports, then
  starts ``pytest.main`` over the hidden tests with ``Server`` as a plugin. Collection happens
  here, before any student code exists: the grader gets that *trusted* list (node ids, points,
  descriptions, visibility); a test never reported scores 0. In ``pytest_runtestloop`` it forks a
  trusted run per request (``trusted``), which continues pytest's session from there and so pays
  neither the imports nor pytest's start-up and collection.
- ``student`` (``student_main``): imports what submissions import (never the hidden suite or its
  oracles), works out the isolation mode and the read-only root a server will see (``isolation``),
  and forks one student server per request (``server``). Each server's module bytes travel on a
  pipe straight from the grader to the forked process, so no submission lingers in memory that
  later runs inherit.

``--once`` (no fork available, or ``AILIT_GRADE_START=spawn``): the same, then act as one keeper.
"""

from __future__ import annotations

import ast
import gc
import importlib
import json
import os
import select
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from ailit_core.grade.launch import Settings, launch_args

# Libraries students import on top of the stub's (plotting is common in course code).
COMMON_IMPORTS = ("numpy", "matplotlib", "matplotlib.pyplot")
# Environment variables a run may see (the rest of the grader's environment stays out).
PASSED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME",
              "NVIDIA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "TORCH_HOME", "HF_HOME", "AILIT_PROFILE")
PASSED_PREFIXES = ("LC_",)
# Graded runs have no network: libraries that would try it are told so and fail at once.
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}


@dataclass
class Prepared:
    settings: Settings
    module: str
    filename: str
    pytest_args: list[str]
    tests: list[dict]
    collect_errors: list[dict]
    test_modules: list[str]
    mode: str
    mode_notes: list[str]
    root_plan: object
    drop_uid: bool
    protected: list[str]
    allowed_inside: list[str]
    child_env: dict
    preload_seconds: float
    preload_failures: list[str]
    torch_threads: int = 0
    variants: dict | None = None  # more student servers the suite declared (name -> options)
    preload: list | None = None  # what the suite asks the student parent to import
    role: str = "tests"

    @property
    def sandboxed(self) -> bool:
        """Whether the processes forked from here run student code (and so enter the sandbox)."""
        return self.role == "student"

    def summary(self) -> dict:
        return {
            "tests": self.tests, "collect_errors": self.collect_errors, "mode": self.mode,
            "mode_notes": self.mode_notes, "preload_seconds": self.preload_seconds,
            "preload_failures": self.preload_failures, "pid": os.getpid(),
            "variants": self.variants or {}, "preload": self.preload or [],
        }


def stub_imports(path: Path) -> list[str]:
    """Top-level modules imported by the released stub (it is public; reading it is harmless)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    names = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            # `from transformers import BertForQuestionAnswering` is where lazy packages do their work.
            names += [f"{node.module}:{alias.name}" for alias in node.names]
    return names


def warm_up_torch() -> None:
    """Pay torch's lazy first-use costs once here instead of in every forked run.

    The first optimizer step imports torch._dynamo (about a second) and each optimizer class builds
    a profiling wrapper around ``step`` when first instantiated.
    """
    import torch
    import torch._dynamo  # noqa: F401

    weight = torch.zeros(2, requires_grad=True)
    for name in dir(torch.optim):
        klass = getattr(torch.optim, name)
        if isinstance(klass, type) and issubclass(klass, torch.optim.Optimizer) and klass is not torch.optim.Optimizer:
            try:
                optimizer = klass([weight], lr=0.01)
                weight.sum().backward()
                optimizer.step()
                optimizer.zero_grad()
            except Exception:  # noqa: BLE001 - some need extra arguments (LBFGS a closure): skip them
                continue


def preload(names: list[str]) -> list[str]:
    failures = []
    for name in dict.fromkeys(names):
        module_name, _, attr = name.partition(":")
        try:
            module = importlib.import_module(module_name)
            if attr:
                getattr(module, attr, None)
        except BaseException as exc:  # noqa: BLE001 - a preload is an optimisation only
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
    return failures


def tests_of(items) -> list[dict]:
    """The trusted test list (``plugin.trusted_tests``), taken before any student code exists."""
    from ailit_core.grade.plugin import trusted_tests

    return trusted_tests(items)


class Server:
    """pytest plugin of the warm parent (see the module docstring)."""

    def __init__(self, settings: Settings, sock: socket.socket | None, once_fds: list[int] | None = None):
        self.settings = settings
        self.sock = sock
        self.once_fds = once_fds
        self.tests: list[dict] = []
        self.errors: list[dict] = []
        self.started = time.monotonic()
        self.preload_seconds = 0.0
        self.preload_failures: list[str] = []
        self.answered = False

    def pytest_collectreport(self, report):
        if report.failed:
            from ailit_core.grade.plugin import failure_message
            self.errors.append({"nodeid": report.nodeid, "message": failure_message(report)})

    def pytest_collection_finish(self, session):
        self.tests = tests_of(session.items)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        from ailit_core.grade import child

        try:
            prep = prepare(self.settings, self)
        except BaseException as exc:  # noqa: BLE001 - reported to the grader as one clear line
            if self.sock is not None:
                _send(self.sock, {"op": "failed", "message": f"{type(exc).__name__}: {exc}",
                                  "trace": traceback.format_exc()[-3000:]})
                self.answered = True
            return True
        self.answered = True
        if self.once_fds is not None:
            start = child.keeper_main(prep, *self.once_fds, new_session=False)
        else:
            start = serve(self.sock, prep)
            if start is None:  # the grader is done: end the server's own session
                return True
        from ailit_core.grade import trusted

        return trusted.start(prep, session, start)


def pytest_args_for(assignment, extra: list[str]) -> list[str]:
    from ailit_core.grade.suite import HiddenSuite

    return HiddenSuite.of(assignment).pytest_args(extra)


def prepare(settings: Settings, server: Server | None) -> Prepared:
    """Everything a run needs, worked out once, after collection (``Server.pytest_runtestloop``);
    ``server`` is None in the student warm parent, which collects nothing."""
    from ailit_core import assignments, paths
    from ailit_core.data import cache
    from ailit_core.grade import isolation

    assignment = assignments.get(settings.assignment_id)
    fixture_notes = prebuild_fixtures(assignment) if server is not None else []
    remote = sys.modules.get("ailit_core.grade.remote")
    if server is not None and not (remote is not None and remote.DECLARED):
        raise RuntimeError(f"the hidden suite of {assignment.id} declares no remote.module_fixture: every suite runs "
                           "behind the trust boundary (its conftest.py: `mod = module_fixture(\"<module>\")`)")
    hidden = str(assignment.hidden_tests_dir.resolve())
    test_modules = sorted(name for name, module in list(sys.modules.items())  # lazy modules may add entries
                          if module is not None and str(getattr(module, "__file__", "") or "").startswith(hidden + os.sep))
    layout = isolation.layout(assignment, hide=settings.hide)
    mode, notes = isolation.choose_mode(settings.mode, layout)
    notes += fixture_notes
    child_env = {k: v for k, v in os.environ.items() if k in PASSED_ENV or k.startswith(PASSED_PREFIXES)}
    child_env.update({
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg",
        **OFFLINE_ENV,
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1", "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        "AILIT_FIXTURES": str(cache.fixtures_root()), "AILIT_DATA": str(cache.data_root()),
        "AILIT_ROOT": str(paths.project_root()),
        # ailit_core for the hidden tests' own subprocesses (inside the sandbox only ailit_core is there)
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent.parent),
    })
    child_env.setdefault("PATH", os.defpath)
    return Prepared(
        settings=settings, module=assignment.module, filename=assignment.filename, pytest_args=[],
        tests=server.tests if server else [], collect_errors=server.errors if server else [],
        test_modules=test_modules, mode=mode, mode_notes=notes,
        root_plan=layout.plan, drop_uid=layout.others_can_run_python, protected=layout.protected,
        allowed_inside=layout.allowed_inside, child_env=child_env,
        preload_seconds=time.monotonic() - (server.started if server else _STARTED),
        preload_failures=server.preload_failures if server else [],
        torch_threads=sys.modules["torch"].get_num_threads() if "torch" in sys.modules else 0,
        variants=remote.variants() if server is not None else None,
        preload=remote.preloads() if server is not None else None,
        role=settings.role,
    )


def prebuild_fixtures(assignment) -> list[str]:
    """Build, here and once, the fast-profile datasets the hidden tests mention.

    A run cannot write to the shared fixture folder (it is read-only in the sandbox, so that no
    submission can poison a dataset for the others); a fixture missing there would be rebuilt by
    every run in its private copy. Which datasets a suite uses is read from its source text.
    """
    import re

    from ailit_core import profiles
    from ailit_core.data import DATASETS, cache

    cache.fixtures_root().mkdir(parents=True, exist_ok=True)  # so that it exists to be shown to runs
    if not profiles.current().is_fast:
        return []
    from ailit_core.grade.suite import HiddenSuite

    text = HiddenSuite.of(assignment).source_text()
    notes = []
    for name in DATASETS:
        if re.search(rf"\b{name}\b", text):
            try:
                importlib.import_module(f"ailit_core.data.{name}").fixture_root()
            except Exception as exc:  # noqa: BLE001 - the runs will report what is missing
                notes.append(f"fixture {name} could not be built: {type(exc).__name__}: {exc}")
    return notes


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message).encode("utf-8"))


def serve(sock: socket.socket, prep: Prepared):
    """The fork loop. Returns ``None`` when the grader is done, and a ``RunnerStart`` in each run."""
    from ailit_core.grade import sandbox
    from ailit_core.grade.child import keeper_main

    # Objects that exist now are shared with every run: keeping the collector away from them
    # (gc.freeze) spares each run copying those pages when it collects garbage.
    gc.collect()
    gc.freeze()
    _send(sock, {"op": "ready", **prep.summary()})
    server_pid = os.getpid()
    running: dict[int, str] = {}
    # A child's exit wakes the loop at once (the signal writes a byte to this pipe).
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    try:
        while True:
            readable, _, _ = select.select([sock, wake_r], [], [], 1.0)
            if wake_r in readable:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
            if sock in readable:
                try:
                    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 16)
                except (ConnectionError, OSError):
                    break
                if not data:
                    break
                request = json.loads(data.decode("utf-8"))
                if request.get("op") == "quit":
                    break
                if request.get("op") == "kill":
                    # Only the parent may signal by pid safely: until it reaps a child, that pid
                    # (and its process group) cannot be reused by an unrelated process.
                    for pid, job in running.items():
                        if job == request.get("job"):
                            for kill in (os.killpg, os.kill):
                                try:
                                    kill(pid, signal.SIGKILL)
                                except OSError:
                                    pass
                    for fd in fds:
                        os.close(fd)
                    continue
                if request.get("op") == "run" and len(fds) >= 3:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    if prep.settings.start == "spawn":
                        pid = _spawn_keeper(prep, fds)
                    else:
                        pid = os.fork()
                        if pid == 0:
                            sock.close()
                            os.close(wake_r)
                            os.close(wake_w)
                            return keeper_main(prep, *fds)
                    for fd in fds:
                        os.close(fd)
                    running[pid] = request["job"]
                    _send(sock, {"op": "started", "job": request["job"], "pid": pid})
                else:
                    for fd in fds:
                        os.close(fd)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                job = running.pop(pid, None)
                if job is not None:
                    _send(sock, {"op": "exited", "job": job, "pid": pid,
                                 "code": os.waitstatus_to_exitcode(status)})
    finally:
        if os.getpid() == server_pid:
            for pid in running:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            sandbox.kill_pids(list(running))
    return None


def _spawn_keeper(prep: Prepared, fds: list[int]) -> int:
    for fd in fds:
        os.set_inheritable(fd, True)
    argv = [sys.executable, *launch_args(), "--once", prep.settings.to_json(), *map(str, fds)]
    return os.posix_spawn(sys.executable, argv, dict(os.environ), setsid=True)


_STARTED = time.monotonic()


def student_main(settings: Settings, sock: socket.socket | None, once_fds: list[int] | None = None) -> int:
    """The student warm parent: imports what submissions need, never pytest or the hidden suite,
    and forks one student server per request (``server.start_server``)."""
    from ailit_core import assignments
    from ailit_core.grade import server
    from ailit_core.grade.child import keeper_main

    server_pid = os.getpid()
    try:
        assignment = assignments.get(settings.assignment_id)
        failures = preload([*(COMMON_IMPORTS if settings.warm else ()), *stub_imports(assignment.stub_path),
                            *settings.preload])
        if "torch" in sys.modules:
            try:
                warm_up_torch()
            except Exception as exc:  # noqa: BLE001 - an optimisation only
                failures.append(f"torch warm-up: {type(exc).__name__}: {exc}")
        prep = prepare(settings, None)
        prep.preload_failures = failures
        from ailit_core.grade.recipes import load_all
        load_all()  # before any student code: the recipes a test may ask for
        start = keeper_main(prep, *once_fds, new_session=False) if once_fds else serve(sock, prep)
    except BaseException as exc:  # noqa: BLE001 - reported to the grader as one clear line
        if os.getpid() == server_pid:
            _send(sock, {"op": "failed", "message": f"{type(exc).__name__}: {exc}",
                         "trace": traceback.format_exc()[-3000:]})
            return 0
        os._exit(70)
    if start is None:
        return 0
    server.start_server(prep, start)  # never returns
    os._exit(70)


def main(argv: list[str]) -> int:
    from ailit_core import assignments
    from ailit_core.grade import sandbox

    once = bool(argv) and argv[0] == "--once"
    settings = Settings.from_json(argv[1] if once else argv[0])
    sock = None if once else socket.socket(fileno=int(argv[1]))
    server_pid = os.getpid()
    code = 1
    try:
        if not once:
            try:
                sandbox.set_parent_death_signal()
                sandbox.set_child_subreaper()
            except OSError:
                pass
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when runs stop
        sys.dont_write_bytecode = True
        # Before the preloads: huggingface_hub reads these when it is imported, so setting them only in
        # each run's environment left a preloaded transformers trying the network (and waiting on it).
        os.environ.update(OFFLINE_ENV)
        if settings.profile:
            os.environ["AILIT_PROFILE"] = settings.profile
        once_fds = [int(fd) for fd in argv[2:]] if once else None
        if settings.role == "student":
            return student_main(settings, sock, once_fds)
        server = Server(settings, sock, once_fds=once_fds)
        try:
            assignment = assignments.get(settings.assignment_id)
            server.preload_failures = preload(
                ["pytest", *(COMMON_IMPORTS if settings.warm else ()), *stub_imports(assignment.stub_path)])
            if "torch" in sys.modules:
                try:
                    warm_up_torch()
                except Exception as exc:  # noqa: BLE001 - an optimisation; tamper checks stay in place
                    server.preload_failures.append(f"torch warm-up: {type(exc).__name__}: {exc}")
            code = pytest.main(pytest_args_for(assignment, settings.extra_pytest_args), plugins=[server])
        except BaseException as exc:  # noqa: BLE001 - reported to the grader as one clear line
            if os.getpid() == server_pid and sock is not None:
                _send(sock, {"op": "failed", "message": f"{type(exc).__name__}: {exc}",
                             "trace": traceback.format_exc()[-3000:]})
                server.answered = True
            else:
                traceback.print_exc()
    finally:
        if os.getpid() != server_pid or once:
            # A run ends here, with pytest's session: never fall back into the server's code.
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except BaseException:  # noqa: BLE001
                pass
            os._exit(int(code) if isinstance(code, int) else 70)
    if sock is not None and not server.answered:  # pytest stopped before its run loop (a usage error)
        # The cause (a conftest that fails to import, a bad option...) is in this process's log,
        # which the engine reads: it names it in one line and keeps the whole log.
        _send(sock, {"op": "failed", "message": f"pytest ended with exit code {int(code)} before running the tests"
                     + (": " + "; ".join(e["message"][-300:] for e in server.errors) if server.errors else "")})
    return 0
