"""The warm parent: imports what an assignment's runs need once, then forks one run per request.

Started by the grader (``launch_args``: ``python -c ... SETTINGS FD``) with a socket for requests.
At start it

1. imports pytest, numpy and every library the released stub imports (torch, torchvision,
   transformers...), so a batch pays those imports once instead of once per submission;
2. collects the hidden tests itself, before any student code exists, and sends the grader that
   *trusted* list (node ids, points, descriptions, visibility): a run can only report outcomes for
   these tests, and a test it never reports scores 0;
3. works out the isolation mode and the read-only root a run will see (``sandbox``).

It never holds a submission: each run's module bytes travel on a pipe straight from the grader to
the forked child, so no submission's code lingers in memory that later runs inherit.

``--once`` (no fork available, or ``AILIT_GRADE_START=spawn``): prepare, then act as one run's keeper.
"""

from __future__ import annotations

import ast
import importlib
import io
import json
import os
import select
import signal
import socket
import sys
import time
import traceback
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

# Libraries students import on top of the stub's (plotting is common in course code).
COMMON_IMPORTS = ("numpy", "matplotlib", "matplotlib.pyplot")
# Environment variables a run may see (the rest of the grader's environment stays out).
PASSED_ENV = ("PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "CUDA_VISIBLE_DEVICES", "CUDA_HOME",
              "NVIDIA_VISIBLE_DEVICES", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "TORCH_HOME", "HF_HOME", "AILIT_PROFILE")
PASSED_PREFIXES = ("LC_",)


@dataclass
class Settings:
    """What the grader tells the warm parent (JSON on the command line)."""

    assignment_id: str
    profile: str | None = None
    extra_pytest_args: list[str] = field(default_factory=list)
    mode: str | None = None  # forced isolation mode; None = best available
    hide: list[str] = field(default_factory=list)  # more folders runs must not see (submissions, gradebook)
    start: str = "fork"
    warm: bool = True  # also preload what students commonly import (pays off over a batch, not for one run)

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        return cls(**json.loads(text))


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

    def summary(self) -> dict:
        return {
            "tests": self.tests, "collect_errors": self.collect_errors, "mode": self.mode,
            "mode_notes": self.mode_notes, "preload_seconds": self.preload_seconds,
            "preload_failures": self.preload_failures, "pid": os.getpid(),
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


class _Collector:
    def __init__(self):
        self.tests: list[dict] = []
        self.errors: list[dict] = []

    def pytest_collectreport(self, report):
        if report.failed:
            from ailit_core.grade.plugin import failure_message
            self.errors.append({"nodeid": report.nodeid, "message": failure_message(report)})

    def pytest_collection_finish(self, session):
        from ailit_core.grade.plugin import describe, points_of, visibility_of

        key = lambda item: (str(item.path), item.cls.__name__ if item.cls else "", getattr(item, "originalname", item.name))  # noqa: E731
        cases = Counter(key(item) for item in session.items)
        for item in session.items:
            self.tests.append({
                "nodeid": item.nodeid, "name": item.name, "description": describe(item),
                "points": points_of(item) / cases[key(item)], "visibility": visibility_of(item),
            })


def collect(pytest_args: list[str]) -> tuple[list[dict], list[dict]]:
    import pytest

    collector = _Collector()
    sink = io.StringIO()
    with redirect_stdout(sink), redirect_stderr(sink):
        code = pytest.main([*pytest_args, "--collect-only"], plugins=[collector])
    if code not in (0, 5) and not collector.errors:  # 5: no tests collected
        collector.errors.append({"nodeid": "", "message": sink.getvalue()[-3000:]})
    return collector.tests, collector.errors


def pytest_args_for(assignment, extra: list[str]) -> list[str]:
    from ailit_core import paths

    return [
        str(assignment.hidden_tests_dir),
        "-c", str(paths.autograder_dir() / "pytest.ini"),
        "--rootdir", str(paths.autograder_dir()),
        "-p", "ailit_core.grade.plugin",
        "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:pastebin",
        "-q", "--no-header", "-s", "-W", "ignore::pytest.PytestAssertRewriteWarning",
        *extra,
    ]


def prepare(settings: Settings) -> Prepared:
    from ailit_core import assignments, paths
    from ailit_core.data import cache
    from ailit_core.grade import isolation

    sys.dont_write_bytecode = True
    assignment = assignments.get(settings.assignment_id)
    if settings.profile:
        os.environ["AILIT_PROFILE"] = settings.profile
    started = time.monotonic()
    failures = preload(["pytest", *(COMMON_IMPORTS if settings.warm else ()), *stub_imports(assignment.stub_path)])
    if "torch" in sys.modules:
        try:
            sys.modules["torch"].set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        except Exception:  # noqa: BLE001
            pass
    args = pytest_args_for(assignment, settings.extra_pytest_args)
    tests, errors = collect(args)
    preload_seconds = time.monotonic() - started
    hidden = str(assignment.hidden_tests_dir.resolve())
    test_modules = sorted(name for name, module in sys.modules.items()
                          if module is not None and str(getattr(module, "__file__", "") or "").startswith(hidden + os.sep))
    layout = isolation.layout(assignment, hide=settings.hide)
    mode, notes = isolation.choose_mode(settings.mode, layout)
    child_env = {k: v for k, v in os.environ.items() if k in PASSED_ENV or k.startswith(PASSED_PREFIXES)}
    child_env.update({
        "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
        "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
        "AILIT_FIXTURES": str(cache.fixtures_root()), "AILIT_DATA": str(cache.data_root()),
        "AILIT_ROOT": str(paths.project_root()),
        # ailit_core for the hidden tests' own subprocesses (inside the sandbox only ailit_core is there)
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent.parent),
    })
    child_env.setdefault("PATH", os.defpath)
    return Prepared(
        settings=settings, module=assignment.module, filename=assignment.filename, pytest_args=args,
        tests=tests, collect_errors=errors, test_modules=test_modules, mode=mode, mode_notes=notes,
        root_plan=layout.plan, drop_uid=layout.others_can_run_python, protected=layout.protected,
        allowed_inside=layout.allowed_inside, child_env=child_env, preload_seconds=preload_seconds,
        preload_failures=failures,
    )


def _send(sock: socket.socket, message: dict) -> None:
    sock.sendall(json.dumps(message).encode("utf-8"))


def serve(sock: socket.socket, prep: Prepared) -> None:
    from ailit_core.grade import sandbox
    from ailit_core.grade.child import keeper_main

    _send(sock, {"op": "ready", **prep.summary()})
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
                    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 16, 4)
                except (ConnectionError, OSError):
                    break
                if not data:
                    break
                request = json.loads(data.decode("utf-8"))
                if request.get("op") == "quit":
                    break
                if request.get("op") == "run" and len(fds) == 3:
                    sys.stdout.flush()
                    sys.stderr.flush()
                    if prep.settings.start == "spawn":
                        pid = _spawn_keeper(prep, fds)
                    else:
                        pid = os.fork()
                        if pid == 0:
                            sock.close()
                            signal.set_wakeup_fd(-1)
                            os.close(wake_r)
                            os.close(wake_w)
                            keeper_main(prep, *fds)
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
        for pid in running:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        sandbox.kill_pids(list(running))


def _spawn_keeper(prep: Prepared, fds: list[int]) -> int:
    for fd in fds:
        os.set_inheritable(fd, True)
    argv = [sys.executable, *launch_args(), "--once", prep.settings.to_json(), *map(str, fds)]
    return os.posix_spawn(sys.executable, argv, dict(os.environ), setsid=True)


def launch_args() -> list[str]:
    """Interpreter arguments that run ``main`` (``-P``: the working folder is not put on sys.path)."""
    flags = ["-P"] if sys.version_info >= (3, 11) else []
    return [*flags, "-c", "import sys; from ailit_core.grade.zygote import main; sys.exit(main(sys.argv[1:]))"]


def main(argv: list[str]) -> int:
    from ailit_core.grade import sandbox

    if argv and argv[0] == "--once":
        settings = Settings.from_json(argv[1])
        prep = prepare(settings)
        from ailit_core.grade.child import keeper_main
        keeper_main(prep, *(int(fd) for fd in argv[2:5]), new_session=False)
        return 70
    settings = Settings.from_json(argv[0])
    sock = socket.socket(fileno=int(argv[1]))
    try:
        sandbox.set_parent_death_signal()
        sandbox.set_child_subreaper()
    except OSError:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when runs stop
    try:
        prep = prepare(settings)
    except BaseException as exc:  # noqa: BLE001 - reported to the grader as one clear line
        _send(sock, {"op": "failed", "message": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-3000:]})
        return 1
    serve(sock, prep)
    return 0


