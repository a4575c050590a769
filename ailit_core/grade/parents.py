"""A warm parent as the engine sees it: a process it starts, asks to fork, tells to kill, and closes.

The engine has two: the *tests* parent (pytest with the hidden suite collected; forks the trusted
runs) and the *student* parent (only
what submissions import; forks the student servers). Both speak the same small request protocol
over a SEQPACKET socket (``zygote.serve``): ``run`` (with file descriptors), ``kill``, ``quit``;
they answer ``ready`` once, then ``started``/``exited`` per forked process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from ailit_core.grade.launch import Settings, launch_args

READY_TIMEOUT_S = 900.0


class ParentGone(OSError):
    """The warm parent did not take a request (it died)."""


class ParentFailed(RuntimeError):
    """The warm parent did not start; ``log`` is its whole log."""

    def __init__(self, message: str, log: str = ""):
        super().__init__(message)
        self.log = log


class WarmParent:
    def __init__(self, settings: Settings, name: str, folder: Path, profile: str | None):
        self.settings = settings
        self.name = name
        self.log_path = Path(folder) / f"{name}.log"
        self.profile = profile
        self.proc: subprocess.Popen | None = None
        self.sock: socket.socket | None = None
        self.info: dict = {}
        self.dead = False

    # -- life ------------------------------------------------------------------------------------
    def start(self) -> dict:
        """Start it and wait for ``ready`` (its summary: tests, mode...); raises ParentFailed."""
        import ailit_core

        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        for s in (parent, child):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        # One CPU thread per run: -j uses the cores. Multi-threaded BLAS/OpenMP pools in a child
        # forked from a warm parent ran several times slower here (and the hidden suites pin
        # torch to one thread for reproducibility anyway). AILIT_GRADE_THREADS overrides.
        threads = max(1, int(os.environ.get("AILIT_GRADE_THREADS") or 1))
        env = dict(os.environ)
        package_parent = str(Path(ailit_core.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH", "")) if p)
        env.update({
            "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
            "PYTORCH_NVML_BASED_CUDA_CHECK": "1",
            # Only the plugins the grader names: scanning installed packages for more costs every run
            # time, and a stray plugin could change what a hidden test does.
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
        })
        if self.profile:
            env["AILIT_PROFILE"] = self.profile
        with open(self.log_path, "wb") as log:
            # cwd "/": pytest returns to its start folder at the end of a run, and "/" exists in every sandbox.
            self.proc = subprocess.Popen(
                [sys.executable, *launch_args(), self.settings.to_json(), str(child.fileno())],
                pass_fds=[child.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
        child.close()
        self.sock = parent
        message = _receive(parent, READY_TIMEOUT_S)
        if message is None or message.get("op") != "ready":
            log = self.log_tail(full=True)
            detail = (message or {}).get("message") or "no answer"
            cause = first_cause(log)
            if cause and cause not in detail:
                detail = f"{detail} ({cause})"
            self.close()
            raise ParentFailed(detail, log)
        self.info = message
        self.sock.setblocking(False)
        return message

    def close(self, *, kill: bool = False) -> None:
        if self.sock is not None:
            if not kill:
                self._send({"op": "quit"})
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            if kill:
                self.proc.kill()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def log_tail(self, full: bool = False) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text.strip() if full else text[-2000:].strip()

    # -- requests ---------------------------------------------------------------------------------
    def send_job(self, key: str, fds: list[int], job: dict, source: bytes) -> None:
        """Ask for a process for ``key``; the job (and module) follow on a pipe. Raises ParentGone."""
        job_r, job_w = os.pipe()
        request = [json.dumps({"op": "run", "job": key}).encode()]
        try:
            self.sock.setblocking(True)
            socket.send_fds(self.sock, request, [job_r, *fds])
            self.sock.setblocking(False)
        except (OSError, AttributeError) as exc:
            os.close(job_r)
            os.close(job_w)
            self.dead = True
            raise ParentGone(str(exc)) from None
        os.close(job_r)
        payload = json.dumps(job).encode() + b"\n" + source
        threading.Thread(target=_write_all, args=(job_w, payload), daemon=True).start()

    def kill(self, key: str) -> None:
        """The parent signals the process (it alone knows its pid is still its child's)."""
        self._send({"op": "kill", "job": key})

    def messages(self) -> list[dict]:
        """What it said since last asked (``started``/``exited``); marks it dead when it is gone."""
        out = []
        while self.sock is not None:
            try:
                data = self.sock.recv(1 << 20)
            except BlockingIOError:
                break
            except OSError:
                data = b""
            if not data:
                self.dead = True
                break
            try:
                message = json.loads(data.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue
            if isinstance(message, dict):
                out.append(message)
        return out

    def _send(self, message: dict) -> None:
        if self.sock is None:
            return
        try:
            self.sock.setblocking(True)
            self.sock.send(json.dumps(message).encode())
            self.sock.setblocking(False)
        except OSError:
            pass


def first_cause(log: str) -> str:
    """One line naming why a warm parent stopped, from its log: pytest's own headline (e.g.
    "ImportError while loading conftest ...") and the exception it reports ("E   ModuleNotFoundError...")."""
    import re

    lines = [line.strip() for line in log.splitlines() if line.strip()]
    headline = next((line for line in lines if re.match(r"(ImportError while|ERROR: |error: |INTERNALERROR)", line)), "")
    error = next((line[1:].strip() for line in reversed(lines) if re.match(r"E\s+\w+(Error|Exception)\b", line)), "")
    if not error:
        error = next((line for line in reversed(lines) if re.match(r"\w+(Error|Exception): ", line)), "")
    return ": ".join(part.rstrip(".") for part in (headline, error) if part)[:400]


def _receive(sock: socket.socket, timeout: float) -> dict | None:
    sock.settimeout(timeout)
    try:
        data = sock.recv(8 << 20)
    except (socket.timeout, OSError):
        return None
    if not data:
        return None
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return message if isinstance(message, dict) else None


def _write_all(fd: int, payload: bytes) -> None:
    try:
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
    except OSError:
        pass
    finally:
        os.close(fd)
