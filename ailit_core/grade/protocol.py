"""The call channel between the trusted run and the student server: its messages, declared once.

Both ends import this module: the trusted run (``remote``) builds requests and parses replies with
it, the student server (``server``) parses requests and builds replies. Values inside messages are
plain data or handles (``codec``). Every message is one codec frame holding a dict:

| direction | kind | fields |
|---|---|---|
| server → trusted (first) | ``hello`` | ``ok`` bool, ``message`` str, ``syntax`` bool, ``timeout`` bool, ``duration`` float |
| trusted → server | ``getattr`` | ``target`` int, ``name`` str |
| trusted → server | ``setattr`` | ``target``, ``name``, ``value`` |
| trusted → server | ``call`` | ``target``, ``args`` list, ``kwargs`` dict[str, value] |
| trusted → server | ``getitem`` | ``target``, ``key`` |
| trusted → server | ``list`` | ``target`` (``list(obj)``) |
| trusted → server | ``len`` | ``target`` |
| trusted → server | ``isinstance`` | ``target``, ``cls`` (a dotted name from ``server.CLASSES``) |
| trusted → server | ``build`` | ``recipe`` (a name from ``recipes.RECIPES``), ``args``, ``kwargs`` |
| trusted → server | ``release`` | ``targets`` list[int]: handles the trusted side holds no more (the server drops its references) |
| server → trusted | ``ok`` | ``value`` |
| server → trusted | ``error`` | ``type`` str (the exception's class name), ``message`` str |

Target 0 is the student's module. The server answers every request with exactly one ``ok`` or
``error``. The trusted side checks every field's type (``parse_hello``, ``parse_reply``): anything
else is a ``ProtocolError``, which makes the submission ``tampered``.
"""

from __future__ import annotations

from dataclasses import dataclass

REQUESTS = {
    "getattr": ("target", "name"),
    "setattr": ("target", "name", "value"),
    "call": ("target", "args", "kwargs"),
    "getitem": ("target", "key"),
    "list": ("target",),
    "len": ("target",),
    "isinstance": ("target", "cls"),
    "build": ("recipe", "args", "kwargs"),
    "release": ("targets",),
}
MODULE = 0
MAX_MESSAGE_CHARS = 2000


class ProtocolError(ValueError):
    """A message that breaks the declared protocol."""


@dataclass(frozen=True)
class Hello:
    ok: bool
    message: str
    syntax: bool
    timeout: bool
    duration: float

    def to_message(self) -> dict:
        return {"kind": "hello", "ok": self.ok, "message": self.message[:MAX_MESSAGE_CHARS], "syntax": self.syntax,
                "timeout": self.timeout, "duration": float(self.duration)}


@dataclass(frozen=True)
class Reply:
    ok: bool
    value: object = None
    error_type: str = ""
    message: str = ""


def request(kind: str, **fields) -> dict:
    assert kind in REQUESTS and set(fields) == set(REQUESTS[kind]), (kind, fields)
    return {"kind": kind, **fields}


def ok(value) -> dict:
    return {"kind": "ok", "value": value}


def error(exc: BaseException) -> dict:
    return {"kind": "error", "type": type(exc).__name__, "message": _text(exc)[:MAX_MESSAGE_CHARS]}


def _text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a student's exception whose __str__ raises
        return ""


def _fields(message, kind: str, spec: dict) -> dict:
    if type(message) is not dict or message.get("kind") != kind:
        raise ProtocolError(f"expected a {kind!r} message")
    if set(message) != {"kind", *spec}:
        raise ProtocolError(f"a {kind!r} message with unexpected fields")
    for name, types in spec.items():
        if types is not None and type(message[name]) not in types:
            raise ProtocolError(f"field {name!r} of a {kind!r} message has the wrong type")
    return message


def parse_hello(message) -> Hello:
    m = _fields(message, "hello", {"ok": (bool,), "message": (str,), "syntax": (bool,), "timeout": (bool,),
                                   "duration": (float, int)})
    return Hello(m["ok"], m["message"][:MAX_MESSAGE_CHARS], m["syntax"], m["timeout"], float(m["duration"]))


def parse_reply(message) -> Reply:
    if type(message) is dict and message.get("kind") == "ok":
        return Reply(True, _fields(message, "ok", {"value": None})["value"])
    m = _fields(message, "error", {"type": (str,), "message": (str,)})
    return Reply(False, None, m["type"][:100], m["message"][:MAX_MESSAGE_CHARS])


def parse_request(message) -> dict:
    """Used by the server (whose own process is the student's: this only keeps honest code honest)."""
    if type(message) is not dict or message.get("kind") not in REQUESTS:
        raise ProtocolError("unknown request")
    return _fields(message, message["kind"], {name: None for name in REQUESTS[message["kind"]]})
