"""The codec that carries every value across the trust boundary: plain data in, plain data out,
and anything malformed is a CodecError (never a crash, never an object of the sender's choosing)."""

import json
import struct

import numpy as np
import pytest
import torch

from ailit_core.grade import codec, protocol


def roundtrip(value, **kwargs):
    frame = codec.encode(value, **kwargs)
    (n,) = struct.unpack(">Q", frame[:8])
    header = frame[8:8 + n]
    sizes = json.loads(header)["b"]
    buffers, at = [], 8 + n
    for size in sizes:
        buffers.append(frame[at:at + size])
        at += size
    return codec.decode(header, buffers, from_handle=lambda h: ("handle", h.id, h.type_name))


def test_plain_values_round_trip():
    value = {"a": [1, 2.5, None, True, "中文"], ("t", 1): (float("nan"), float("-inf"), 1 + 2j, b"\x00\x01")}
    got = roundtrip(value)
    assert got["a"] == [1, 2.5, None, True, "中文"]
    nan, neg, c, raw = got[("t", 1)]
    assert np.isnan(nan) and neg == float("-inf") and c == 1 + 2j and raw == b"\x00\x01"


def test_arrays_and_tensors_come_back_as_exact_plain_types():
    class Sub(np.ndarray):
        pass

    arr = np.arange(6, dtype=np.float32).reshape(2, 3).view(Sub)
    tensor = torch.randn(3, 2, requires_grad=True)
    got_arr, got_tensor, scalar, bf = roundtrip([arr, tensor, np.float64(2.5), torch.ones(2, dtype=torch.bfloat16)],
                                                to_handle=lambda o: codec.Handle(1, "x"))
    assert type(got_arr) is np.ndarray and got_arr.dtype == np.float32 and np.array_equal(got_arr, arr)
    assert type(got_tensor) is torch.Tensor and got_tensor.requires_grad and torch.equal(got_tensor, tensor.detach())
    assert type(scalar) is np.float64 and scalar == 2.5
    assert bf.dtype == torch.bfloat16 and torch.equal(bf, torch.ones(2, dtype=torch.bfloat16))


def test_a_tensor_subclass_is_stripped():
    class Lying(torch.Tensor):
        @classmethod
        def __torch_function__(cls, func, types, args=(), kwargs=None):
            return True

    got = roundtrip(torch.zeros(3).as_subclass(Lying), to_handle=lambda o: codec.Handle(1, "x"))
    assert type(got) is torch.Tensor and not torch.equal(got, torch.ones(3))


def test_other_objects_become_handles_on_the_server_side_only():
    assert roundtrip({"m": object()}, to_handle=lambda o: codec.Handle(7, "builtins.object")) == {
        "m": ("handle", 7, "builtins.object")}
    with pytest.raises(codec.CodecError):
        codec.encode(object())  # the trusted side sends plain data only


@pytest.mark.parametrize("header", [
    b"not json", b'{"v": 1}', b'{"v": {"$nd": ["object", [1], 0]}, "b": [8]}', b'{"v": NaN, "b": []}',
    b'{"v": {"$nd": ["float64", [3], 0]}, "b": [8]}', b'{"v": {"$x": 1}, "b": []}',
    b'{"v": {"$h": [1, "x"]}, "b": []}', b'{"v": {"$d": [[[1], 2]]}, "b": []}', b'{"v": {"$tt": ["float32", [-1], 0, false, "cpu"]}, "b": [0]}',
])
def test_malformed_frames_are_codec_errors(header):
    with pytest.raises(codec.CodecError):
        codec.decode(header, [b"\x00" * 8])


def test_deep_nesting_is_refused():
    deep = "[" * 10000 + "]" * 10000
    with pytest.raises(codec.CodecError):
        codec.decode(b'{"v": ' + deep.encode() + b', "b": []}', [])


def test_protocol_checks_every_field():
    assert protocol.parse_hello(protocol.Hello(True, "", False, False, 0.1).to_message()).ok
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_hello({"kind": "hello", "ok": "yes", "message": "", "syntax": False, "timeout": False,
                              "duration": "soon"})
    with pytest.raises(protocol.ProtocolError):
        protocol.parse_reply({"kind": "ok", "value": 1, "extra": 2})
    reply = protocol.parse_reply(protocol.error(ValueError("bad")))
    assert (reply.ok, reply.error_type, reply.message) == (False, "ValueError", "bad")


def test_remote_errors_are_their_builtin_class():
    from ailit_core.grade import remote

    err = remote._error_class("ValueError")("bad input")
    assert isinstance(err, ValueError) and isinstance(err, remote.RemoteError)
    assert not isinstance(remote._error_class("SystemExit")("x"), SystemExit)
