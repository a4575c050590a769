"""The results channel rejects anything the run's own writer did not send."""

import json
import os

import pytest

from ailit_core.grade import channel


def test_round_trip_through_a_pipe():
    r, w = os.pipe()
    writer = channel.Writer(w, "nonce1")
    writer.send("hello")
    writer.send("report", nodeid="t::a", outcome="passed", message="ü" * 10)
    os.close(w)
    data = os.read(r, 1 << 16)
    os.close(r)
    reader = channel.Reader()
    messages = reader.feed(data[:7]) + reader.feed(data[7:])
    reader.finish()
    assert [m["t"] for m in messages] == ["hello", "report"] and messages[1]["message"] == "ü" * 10


def test_first_message_must_be_the_greeting():
    with pytest.raises(channel.ProtocolViolation):
        channel.Reader().feed(b'{"t": "report", "n": "x"}\n')


def test_wrong_nonce_garbage_and_floods_are_violations():
    reader = channel.Reader()
    reader.feed(json.dumps({"t": "hello", "n": "good"}).encode() + b"\n")
    with pytest.raises(channel.ProtocolViolation):
        reader.feed(json.dumps({"t": "report", "n": "bad"}).encode() + b"\n")
    with pytest.raises(channel.ProtocolViolation):
        channel.Reader().feed(b"\xff\xfe not json\n")
    with pytest.raises(channel.ProtocolViolation):
        channel.Reader().feed(b"x" * (channel.MAX_LINE_BYTES + 1))
    reader = channel.Reader()
    with pytest.raises(channel.ProtocolViolation):
        reader.feed(b"".join(json.dumps({"t": "hello" if i == 0 else "x", "n": "k"}).encode() + b"\n"
                             for i in range(channel.MAX_MESSAGES + 1)))


def test_unterminated_message_at_the_end():
    reader = channel.Reader()
    reader.feed(b'{"t": "hello", "n": "k"}\n{"t": "rep')
    with pytest.raises(channel.ProtocolViolation):
        reader.finish()


def test_clip():
    assert channel.clip("short") == "short"
    assert len(channel.clip("x" * 10000, 100)) <= 100
