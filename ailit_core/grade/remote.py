"""The trusted side of the boundary: hidden tests call the student's code through these proxies.

A hidden suite's ``conftest.py`` declares its module fixture with ``module_fixture``; a test then
writes ``xor_net.sigmoid(x)`` or ``net.weights_input_hidden = w`` as if it held the module, but
every such step is a request to the student server (``server``), answered with plain data that
``codec`` decodes into fresh builtins, arrays and tensors (never an object of the student's
choosing). Whatever is not plain data stays in the student's process and comes back as a
``RemoteObject``, a handle the test can call, read, set, index or list. ``build(recipe, ...)``
asks the server to make an allow-listed helper object there (``recipes``).

A reply that breaks the protocol raises ``RemoteProtocolError`` (the run then reports the
submission as ``tampered``); a server that dies raises ``RemoteCrashed`` (the test fails, the
remaining tests get a fresh server). An exception raised by the student's code comes back as a
``RemoteError`` that is also an instance of the builtin exception of the same name (so
``pytest.raises(ValueError)`` works); other exception types become plain ``RemoteError``.

Under ``ailit grade`` the trusted run ``attach``es the sockets the engine passed it. Run directly
(``AILIT_IMPL=path pytest autograder/<id>``), the fixture starts an unsandboxed local server.
"""

from __future__ import annotations

import builtins
import os
import socket
import subprocess
import sys

from ailit_core.grade import codec, protocol

# Student exceptions re-raised here as RemoteError *and* their builtin class (by name only).
EXCEPTIONS = ("ValueError", "TypeError", "KeyError", "IndexError", "AttributeError", "RuntimeError",
              "NotImplementedError", "FileNotFoundError", "FileExistsError", "NotADirectoryError",
              "IsADirectoryError", "PermissionError", "OSError", "ZeroDivisionError", "AssertionError",
              "ImportError", "ModuleNotFoundError", "LookupError", "ArithmeticError", "OverflowError",
              "StopIteration", "UnicodeError", "MemoryError", "RecursionError")
DEFAULT = "default"


class RemoteError(Exception):
    """An exception raised by the student's code (its class name and message only)."""

    remote_type = "Exception"


class RemoteCrashed(RuntimeError):
    """The student's process ended while the test was talking to it."""


class RemoteProtocolError(RuntimeError):
    """The student's process sent something that is not a well-formed reply."""


_error_classes: dict[str, type] = {}


def _error_class(name: str) -> type:
    if name not in _error_classes:
        base = getattr(builtins, name) if name in EXCEPTIONS else None
        bases = (RemoteError, base) if base is not None else (RemoteError,)
        # Named like the builtin (module "builtins"), so a failure message reads "ValueError: ..."
        _error_classes[name] = type(name, bases, {"remote_type": name, "__module__": "builtins"})
    return _error_classes[name]


class State:
    """What the trusted run needs to know after a test: lost servers, protocol violations."""

    def __init__(self):
        self.lost: list[str] = []
        self.violations: list[str] = []


STATE = State()


class Connection:
    def __init__(self, sock: socket.socket, name: str = DEFAULT, process=None):
        self.sock = sock
        self.name = name
        self.process = process  # a local server (direct pytest runs only)
        self._hello: protocol.Hello | None = None
        self.dead = False
        # Proxies alive per handle; handles whose last proxy is gone, released before the next request
        # (not from __del__, which can run in the middle of a request).
        self._holders: dict[int, int] = {}
        self._unheld: set[int] = set()

    @property
    def hello(self) -> protocol.Hello:
        if self._hello is None:
            message = self._receive()
            try:
                self._hello = protocol.parse_hello(message)
            except protocol.ProtocolError as exc:
                self.dead = True
                STATE.violations.append(f"a malformed greeting from the submission's process: {exc}")
                raise RemoteProtocolError(f"the submission's process sent a malformed greeting ({exc})") from None
        return self._hello

    @property
    def module(self) -> "RemoteObject":
        return RemoteObject(self, protocol.MODULE, "module")

    def _receive(self):
        if self.dead:
            raise RemoteCrashed("the submission's process has ended / 提交代码的进程已结束")
        try:
            return codec.receive(self.sock, from_handle=self._proxy)
        except (codec.ConnectionClosed, ConnectionError, OSError):
            self.dead = True
            STATE.lost.append(self.name)
            raise RemoteCrashed("the submission's process ended during this call (os._exit, a crash or a "
                                "signal) / 提交代码的进程在调用中途结束") from None
        except (codec.CodecError, protocol.ProtocolError) as exc:
            self.dead = True
            STATE.violations.append(f"a malformed reply from the submission's process: {exc}")
            raise RemoteProtocolError(f"the submission's process sent a malformed reply ({exc}) / "
                                      "提交代码的进程返回了格式错误的数据") from None

    def _proxy(self, handle: codec.Handle) -> "RemoteObject":
        return RemoteObject(self, handle.id, handle.type_name)

    @staticmethod
    def _ref(obj):
        return obj._id if type(obj) is RemoteObject else None

    def hold(self, ref: int) -> None:
        self._holders[ref] = self._holders.get(ref, 0) + 1
        self._unheld.discard(ref)

    def drop(self, ref: int) -> None:
        left = self._holders.get(ref, 0) - 1
        if left > 0:
            self._holders[ref] = left
        else:
            self._holders.pop(ref, None)
            self._unheld.add(ref)

    def _round_trip(self, frame: bytes) -> protocol.Reply:
        try:
            self.sock.sendall(frame)
        except OSError:
            self.dead = True
            STATE.lost.append(self.name)
            raise RemoteCrashed("the submission's process has ended / 提交代码的进程已结束") from None
        try:
            return protocol.parse_reply(self._receive())
        except protocol.ProtocolError as exc:
            self.dead = True
            STATE.violations.append(f"a malformed reply from the submission's process: {exc}")
            raise RemoteProtocolError(f"the submission's process sent a malformed reply ({exc})") from None

    def request(self, kind: str, **fields):
        self.hello  # noqa: B018 - the greeting comes first on the wire
        if self._unheld and not self.dead:
            refs = sorted(self._unheld)
            self._unheld.clear()
            self._round_trip(codec.encode(protocol.request("release", targets=refs)))  # an error reply: the server's loss
        try:
            frame = codec.encode(protocol.request(kind, **fields), to_ref=self._ref)
        except codec.CodecError as exc:
            raise TypeError(f"a hidden test tried to send non-plain data: {exc}") from None
        reply = self._round_trip(frame)
        if reply.ok:
            return reply.value
        raise _error_class(reply.error_type)(reply.message)

    def build(self, recipe: str, *args, **kwargs):
        return self.request("build", recipe=recipe, args=list(args), kwargs=kwargs)

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            if self.process is not None:
                self.process.kill()
                self.process.wait()


class RemoteObject:
    """A handle to an object in the student's process (see the module docstring)."""

    __slots__ = ("_conn", "_id", "_type")

    def __init__(self, conn: Connection, id: int, type_name: str):
        object.__setattr__(self, "_conn", conn)
        object.__setattr__(self, "_id", id)
        object.__setattr__(self, "_type", type_name)
        if id != protocol.MODULE:
            conn.hold(id)

    def __del__(self):
        if self._id != protocol.MODULE:
            try:
                self._conn.drop(self._id)
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass

    @property
    def remote_type(self) -> str:
        """The object's class as ``module.QualName`` (as the student's process names it)."""
        return self._type

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._conn.request("getattr", target=self._id, name=name)

    def __setattr__(self, name: str, value) -> None:
        self._conn.request("setattr", target=self._id, name=name, value=value)

    def __call__(self, *args, **kwargs):
        return self._conn.request("call", target=self._id, args=list(args), kwargs=kwargs)

    def __getitem__(self, key):
        return self._conn.request("getitem", target=self._id, key=key)

    def __iter__(self):
        items = self._conn.request("list", target=self._id)
        if type(items) is not list:
            raise RemoteProtocolError("list() did not give a list")
        return iter(items)

    def __len__(self) -> int:
        n = self._conn.request("len", target=self._id)
        if type(n) is not int or n < 0:
            raise RemoteProtocolError("len() did not give a count")
        return n

    def isinstance_of(self, dotted: str) -> bool:
        """``isinstance(obj, <dotted class>)`` as the student's process answers it (forgeable)."""
        return self._conn.request("isinstance", target=self._id, cls=dotted) is True

    def __repr__(self) -> str:
        return f"<{self._type.rpartition('.')[2] or 'object'} in the submission's process>"


# -- where the connections come from --------------------------------------------------------------

_attached: dict[str, Connection] = {}
_local: dict[str, Connection] = {}
DECLARED: dict[str, dict] = {}  # module fixture name -> {"variants": {name: options}}


_exchange: list[str] = []


def attach(sockets: dict[str, socket.socket], exchange: str | None = None) -> None:
    """Called by the trusted run with the engine's sockets and exchange folder, before any test."""
    _attached.clear()
    for name, sock in sockets.items():
        _attached[name] = Connection(sock, name)
    _exchange[:] = [exchange] if exchange else []


def exchange_dir():
    """A folder both this process and the student's can read and write (the same path in both):
    build inputs there, pass the path to the student's code, inspect the result here afterwards."""
    import tempfile
    from pathlib import Path

    if not _exchange:  # a direct pytest run: a folder of our own, removed when the run ends
        import atexit
        import shutil

        _exchange.append(tempfile.mkdtemp(prefix="ailit-exchange-"))
        atexit.register(shutil.rmtree, _exchange[0], True)
    return Path(_exchange[0])


def variants() -> dict[str, dict]:
    """Server variants the collected suite declared (e.g. one where torch cannot be imported)."""
    out: dict[str, dict] = {}
    for spec in DECLARED.values():
        out.update(spec.get("variants", {}))
    return out


def preloads() -> list[str]:
    """What the collected suite asks the student warm parent to import once."""
    return [name for spec in DECLARED.values() for name in spec.get("preload", [])]


def connection(name: str = DEFAULT) -> Connection:
    if _attached:
        if name not in _attached:
            raise RuntimeError(f"the grader started no {name!r} server for this suite")
        return _attached[name]
    if name not in _local:
        _local[name] = connect_local(name)
    return _local[name]


def connect_local(name: str) -> Connection:
    """An unsandboxed server for a direct pytest run of a hidden suite (never used by the grader)."""
    path = os.environ.get("AILIT_IMPL")
    module = next(iter(DECLARED), None)
    if not path or module is None:
        raise RuntimeError("AILIT_IMPL is not set: hidden tests grade a given file (use `ailit grade` or "
                           "`ailit verify`) / 未设置 AILIT_IMPL")
    if os.path.isdir(path):
        path = os.path.join(path, f"{module}.py")
    block = ",".join(variants().get(name, {}).get("block_imports", [])) if name != DEFAULT else ""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    process = subprocess.Popen([sys.executable, "-m", "ailit_core.grade.server", str(theirs.fileno()), module,
                                path, block], pass_fds=[theirs.fileno()])
    theirs.close()
    return Connection(ours, name, process)


def module_fixture(module_name: str, *, variants: dict[str, dict] | None = None, preload=()):
    """A session-scoped fixture named ``module_name``: the student's module in its own process.

    ``variants``: more servers a test may ask for with ``server_module(name)``, e.g.
    ``{"without_torch": {"block_imports": ["torch"]}}``. ``preload``: modules the student warm
    parent imports once for every server (``"package"`` or ``"package:Attribute"`` for lazy
    packages), beyond the released stub's own imports. A module that fails to import fails every
    test at set-up with the import error as its message.
    """
    import pytest

    DECLARED[module_name] = {"variants": dict(variants or {}), "preload": list(preload)}

    @pytest.fixture(scope="session", name=module_name)
    def _fixture():
        return server_module(DEFAULT)

    return _fixture


def server_module(name: str = DEFAULT) -> RemoteObject:
    """The module in server ``name``; fails the test with the import error if it did not import."""
    import pytest

    conn = connection(name)
    hello = conn.hello
    if not hello.ok:
        pytest.fail(f"the module could not be imported / 模块无法导入: {hello.message}", pytrace=False)
    return conn.module


def build(recipe: str, *args, **kwargs):
    """An allow-listed helper object built in the student's process (``recipes``)."""
    return connection(DEFAULT).build(recipe, *args, **kwargs)
