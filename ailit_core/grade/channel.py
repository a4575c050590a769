"""The results channel: JSON lines on a pipe from a test run to the grader, declared once.

Sent by the trusted run that executes the hidden tests (``trusted.TrustedReporter``) and read by
``engine``.
Every line is ``{"n": nonce, "t": kind, ...fields}``; ``Reader`` checks every field's type against
``KINDS`` and raises ``ProtocolViolation`` otherwise (the engine then makes that submission
``tampered``; the batch goes on):

| kind | fields | meaning |
|---|---|---|
| ``hello`` | ``pid`` int, ``mode`` str | first line; announces the nonce |
| ``ready`` | | the run is set up; the import starts |
| ``import`` | ``ok``, ``timeout``, ``syntax`` bool, ``message`` str, ``duration`` number | the module's import |
| ``start`` | ``nodeid`` str | a test starts (the engine's per-test deadline) |
| ``report`` | ``nodeid``, ``when``, ``outcome``, ``message`` str, ``duration`` number, ``timeout`` bool | a test phase's outcome |
| ``lost`` | ``nodeid`` str or None, ``servers`` list | a student server died (None: while importing) |
| ``tamper`` | ``when`` str, ``changes`` list | grading was tampered with: nothing is credited |
| ``sandbox_error`` | ``message`` str | the run could not be isolated (a grader error) |
| ``finish`` | ``exitstatus`` int | the run is over; nothing later counts |

The pipe is created by the grader and inherited by the run; nothing a submission writes to files
reaches it. Every line carries the run's nonce (drawn before any student code runs, and announced
in the first line), so stray writes to the descriptor are recognised. The reader bounds line
length and message count: a flood is a protocol violation, not a memory problem.
"""

from __future__ import annotations

import json
import os

_NUMBER = (int, float)
KINDS: dict[str, dict[str, tuple]] = {
    "hello": {"pid": (int,), "mode": (str,)},
    "ready": {},
    "import": {"ok": (bool,), "message": (str,), "timeout": (bool,), "syntax": (bool,), "duration": _NUMBER},
    "start": {"nodeid": (str,)},
    "report": {"nodeid": (str,), "when": (str,), "outcome": (str,), "message": (str,), "duration": _NUMBER,
               "timeout": (bool,)},
    "lost": {"nodeid": (str, type(None)), "servers": (list,)},
    "tamper": {"when": (str,), "changes": (list,)},
    "sandbox_error": {"message": (str,)},
    "finish": {"exitstatus": (int,)},
}
MAX_LINE_BYTES = 256 * 1024
MAX_MESSAGES = 20000
MAX_TEXT_CHARS = 4000


def clip(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 20] + "\n… (truncated)"


class Writer:
    def __init__(self, fd: int, nonce: str):
        self.fd = fd
        self.nonce = nonce

    def send(self, kind: str, **fields) -> None:
        assert kind in KINDS and set(fields) <= set(KINDS[kind]), (kind, sorted(fields))
        fields["n"] = self.nonce
        fields["t"] = kind
        data = (json.dumps(fields, ensure_ascii=False) + "\n").encode("utf-8", "replace")
        if len(data) > MAX_LINE_BYTES:
            data = (json.dumps({"n": self.nonce, "t": kind, "clipped": True}) + "\n").encode()
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


class ProtocolViolation(Exception):
    pass


class Reader:
    """Splits the byte stream into messages; raises ProtocolViolation on anything malformed."""

    def __init__(self):
        self.buffer = bytearray()
        self.nonce: str | None = None
        self.count = 0

    def feed(self, data: bytes) -> list[dict]:
        self.buffer += data
        messages = []
        while True:
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > MAX_LINE_BYTES:
                    raise ProtocolViolation("an over-long line on the results channel")
                return messages
            line = bytes(self.buffer[:end])
            del self.buffer[: end + 1]
            messages.append(self._parse(line))

    def _parse(self, line: bytes) -> dict:
        self.count += 1
        if self.count > MAX_MESSAGES:
            raise ProtocolViolation("too many messages on the results channel")
        try:
            message = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ProtocolViolation("unreadable data on the results channel") from None
        if not isinstance(message, dict) or not isinstance(message.get("t"), str):
            raise ProtocolViolation("a malformed message on the results channel")
        if self.nonce is None:
            if message["t"] != "hello" or not isinstance(message.get("n"), str):
                raise ProtocolViolation("the results channel did not start with the run's greeting")
            self.nonce = message["n"]
        elif message.get("n") != self.nonce:
            raise ProtocolViolation("a message on the results channel without the run's nonce")
        return _checked(message)

    def finish(self) -> None:
        """The pipe closed: nothing may be left half-sent."""
        if self.buffer.strip():
            raise ProtocolViolation("an unterminated message on the results channel")


def _checked(message: dict) -> dict:
    spec = KINDS.get(message["t"])
    if spec is None:
        raise ProtocolViolation(f"an unknown message kind {message['t'][:40]!r} on the results channel")
    if message.get("clipped"):
        return message
    for name, value in message.items():
        if name in ("n", "t"):
            continue
        if name not in spec or type(value) not in spec[name]:
            raise ProtocolViolation(f"a {message['t']!r} message with a bad field {name[:40]!r}")
    return message
