"""The call channel end to end over a socket pair: a proxy per handle, handles released when the
trusted side drops its last proxy (the server would otherwise keep every object to the end)."""

import socket
import threading
import types

import pytest

from ailit_core.grade import codec, protocol, remote, server


class Box:
    def __init__(self, n):
        self.n = n


@pytest.fixture
def channel():
    module = types.ModuleType("student")
    module.make = Box
    module.same = Box(-1)
    trusted, student = socket.socketpair()
    student.sendall(codec.encode(protocol.Hello(True, "", False, False, 0.0).to_message()))
    objects = server.Objects(module)
    thread = threading.Thread(target=server.serve, args=(student, module, objects), daemon=True)
    thread.start()
    conn = remote.Connection(trusted)
    yield conn, objects
    trusted.close()
    thread.join(5)
    student.close()


def held(objects) -> set:
    return {type(o).__name__ for ref, o in objects.by_id.items() if ref != protocol.MODULE}


def test_dropped_proxies_are_released_before_the_next_request(channel):
    conn, objects = channel
    for i in range(50):
        assert conn.module.make(i).n == i
    conn.module.make(0)  # this request releases what the loop dropped; its own results go next time
    assert len(objects.by_id) <= 4, f"the server still holds {len(objects.by_id)} objects"


def test_a_kept_proxy_survives_and_one_object_keeps_one_handle(channel):
    conn, objects = channel
    kept = conn.module.make(7)
    first, second = conn.module.same, conn.module.same
    assert first._id == second._id
    del first
    for i in range(5):
        conn.module.make(i)
    assert kept.n == 7 and second.n == -1
    del second
    conn.module.make(0)
    assert objects.ids.get(id(objects.by_id[protocol.MODULE].same)) is None
    assert kept.n == 7


def test_the_server_ignores_releases_of_the_module_or_of_unknown_handles():
    module = types.ModuleType("student")
    objects = server.Objects(module)
    ref = objects.handle(Box(1)).id
    objects.release([protocol.MODULE, 12345, "x", ref])
    assert objects.by_id == {protocol.MODULE: module}
    with pytest.raises(ValueError):
        objects.release("not a list")
    assert objects.handle(Box(2)).id != ref, "a released handle number is never reused"
