"""Fixtures shared by the data-layer tests: no network, and a private fixture cache and data folder.

Imported by each test module (``from tests.ailit_core.data.offline import ...``) rather than placed in
a conftest, so every test module states what it relies on.
"""

from __future__ import annotations

import socket

import pytest


class NetworkDisabled(OSError):
    pass


def _refuse(*args, **kwargs):
    raise NetworkDisabled("network access is disabled in this test")


@pytest.fixture
def no_network(monkeypatch):
    """Every attempt to open a connection or resolve a name raises, as on an offline machine."""
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(socket, "getaddrinfo", _refuse)
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", _refuse)


@pytest.fixture(scope="session")
def fixtures_dir(tmp_path_factory):
    """A fixture cache of this test session (never the user's ~/.cache)."""
    return tmp_path_factory.mktemp("ailit-fixtures")


@pytest.fixture
def private_cache(fixtures_dir, tmp_path, monkeypatch):
    """AILIT_FIXTURES -> the session's cache; AILIT_DATA -> an empty folder of this test."""
    monkeypatch.setenv("AILIT_FIXTURES", str(fixtures_dir))
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("AILIT_DATA", str(data))
    return data


def tree_bytes(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
