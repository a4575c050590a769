"""The student server: the only process that imports a submission.

Forked for each run from the *student* warm parent (``zygote`` with ``role="student"``), which
imported numpy, torch... but never pytest, the hidden tests or their oracles, so nothing that
decides a grade exists in this process's memory. ``start_server`` locks the process down
(``child.lockdown``: private root, fresh uid, no network, limits), imports the module under a time
limit, says ``hello`` and then answers the trusted run's requests (``protocol``) until the
connection closes.

Everything here runs beside student code and can be rewritten by it; nothing here is trusted.
It only has to be right for honest submissions: the trusted side type-checks every reply.
"""

from __future__ import annotations

import importlib
import os
import signal
import socket
import sys
import time
from pathlib import Path

from ailit_core.grade import codec, protocol
from ailit_core.grade.recipes import Keep, load_all

# What ``isinstance`` requests may ask about (dotted names, resolved here on demand).
CLASSES = ("torch.nn.Module", "torch.nn.Linear", "torch.nn.ReLU", "torch.nn.Conv2d", "torch.nn.BatchNorm1d",
           "torch.nn.BatchNorm2d", "torch.nn.Dropout", "torch.nn.Sequential", "torch.Tensor",
           "torch.optim.Optimizer", "torch.optim.Adam", "torch.optim.SGD", "numpy.ndarray")


class ImportTimeout(Exception):
    pass


class Objects:
    """The objects the trusted side holds handles to, kept alive until it releases them (a test that
    builds a ResNet per case would otherwise keep every one of them to the end of the run)."""

    def __init__(self, module):
        self.by_id = {protocol.MODULE: module}
        self.ids = {id(module): protocol.MODULE}
        self.next_ref = protocol.MODULE + 1

    def handle(self, obj) -> codec.Handle:
        if isinstance(obj, Keep):
            obj = obj.value
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = self.next_ref
            self.by_id[self.next_ref] = obj
            self.next_ref += 1
        kind = type(obj)
        return codec.Handle(self.ids[key], f"{kind.__module__}.{kind.__qualname__}")

    def get(self, ref: int):
        try:
            return self.by_id[ref]
        except KeyError:
            raise codec.CodecError(f"no object {ref}") from None

    def release(self, refs) -> None:
        if type(refs) is not list:
            raise ValueError("release needs a list of handles")
        for ref in refs:
            if type(ref) is int and ref != protocol.MODULE and ref in self.by_id:
                self.ids.pop(id(self.by_id.pop(ref)), None)


def _resolve_class(name: str):
    if name not in CLASSES:
        raise ValueError(f"isinstance against {name!r} is not allowed")
    module, _, attr = name.rpartition(".")
    target = importlib.import_module(module)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def answer(objects: Objects, message: dict):
    """The value for one request (raises what the student's code raises)."""
    kind = message["kind"]
    if kind == "build":
        recipe = load_all().get(message["recipe"])
        if recipe is None:
            raise ValueError(f"unknown recipe {message['recipe']!r}")
        return recipe(*message["args"], **message["kwargs"])
    if kind == "release":
        return objects.release(message["targets"])
    target = objects.get(message["target"])
    if kind == "getattr":
        return getattr(target, message["name"])
    if kind == "setattr":
        setattr(target, message["name"], message["value"])
        return None
    if kind == "call":
        return target(*message["args"], **message["kwargs"])
    if kind == "getitem":
        return target[message["key"]]
    if kind == "list":
        return list(target)
    if kind == "len":
        return len(target)
    if kind == "isinstance":
        return isinstance(target, _resolve_class(message["cls"]))
    raise ValueError(f"unknown request {kind!r}")


def serve(sock: socket.socket, module, objects: Objects | None = None) -> None:
    objects = objects or Objects(module)
    while True:
        try:
            message = codec.receive(sock, from_ref=objects.get)
        except codec.ConnectionClosed:
            return
        except (codec.CodecError, OSError) as exc:
            if isinstance(exc, OSError):
                return
            reply = protocol.error(exc)
        else:
            try:
                reply = protocol.ok(answer(objects, protocol.parse_request(message)))
            except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt: the student's doing
                reply = protocol.error(exc)
        try:
            frame = codec.encode(reply, to_handle=objects.handle)
        except Exception as exc:  # noqa: BLE001 - a value the codec refuses (an object array...)
            frame = codec.encode(protocol.error(exc))
        try:
            sock.sendall(frame)
        except OSError:
            return


def import_submission(module_name: str, path: str, timeout_s: float, block=()) -> tuple[object, protocol.Hello]:
    from ailit_core.testing import _import_file

    for name in block:  # `import torch` now raises ImportError
        sys.modules[name] = None
    started = time.monotonic()

    def on_alarm(signum, frame):
        raise ImportTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    module = None
    try:
        module = _import_file(module_name, Path(path))
        hello = protocol.Hello(True, "", False, False, 0.0)
    except ImportTimeout:
        hello = protocol.Hello(False, f"importing {Path(path).name} took longer than {timeout_s:g} s / "
                               f"导入 {Path(path).name} 超过 {timeout_s:g} 秒", False, True, 0.0)
    except SyntaxError as exc:
        hello = protocol.Hello(False, f"SyntaxError: {exc.msg} (line {exc.lineno})", True, False, 0.0)
    except BaseException as exc:  # noqa: BLE001 - SystemExit, KeyboardInterrupt... the module's doing
        hello = protocol.Hello(False, exception_text(exc), False, False, 0.0)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return module, protocol.Hello(hello.ok, hello.message, hello.syntax, hello.timeout, time.monotonic() - started)


def exception_text(exc: BaseException) -> str:
    import traceback

    try:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    except Exception:  # noqa: BLE001
        text = ""
    return text or type(exc).__name__


def start_server(prep, start) -> None:
    """In the forked server process (``child.keeper_main`` returned here): never returns."""
    from ailit_core.grade import child, sandbox

    code = 0
    try:
        try:
            sandbox.set_parent_death_signal()
        except OSError:
            pass
        if os.getppid() not in (start.keeper_pid, 0):
            os._exit(70)
        sock = socket.socket(fileno=start.result_fd)
        child.redirect_stdio(start.out_fd)
        module_path = child.lockdown(prep, start.job, start.source)
        start.source = b""
        module, hello = import_submission(prep.module, module_path, start.job["import_timeout"],
                                          start.job.get("block_imports") or ())
        codec.send(sock, hello.to_message())
        if hello.ok:
            serve(sock, module)
    except BaseException:  # noqa: BLE001 - the trusted side sees the connection close
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except BaseException:  # noqa: BLE001
            pass
        os._exit(code)


def main_local(argv: list[str]) -> int:
    """``python -m ailit_core.grade.server FD MODULE PATH [BLOCKED,...]``: an unsandboxed server for
    running a hidden suite directly with pytest (developers; ``remote.connect_local``)."""
    fd, module_name, path = int(argv[0]), argv[1], argv[2]
    block = [b for b in (argv[3] if len(argv) > 3 else "").split(",") if b]
    sock = socket.socket(fileno=fd)
    module, hello = import_submission(module_name, path, 120.0, block)
    codec.send(sock, hello.to_message())
    if hello.ok:
        serve(sock, module)
    return 0


if __name__ == "__main__":
    sys.exit(main_local(sys.argv[1:]))
