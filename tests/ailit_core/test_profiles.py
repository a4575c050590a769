import pytest

from ailit_core import profiles


def test_fast_is_the_default(monkeypatch):
    monkeypatch.delenv(profiles.ENV_VAR, raising=False)
    assert profiles.current().name == "fast"
    assert profiles.current().pick(fast=2, full=30) == 2


def test_full_from_environment(monkeypatch):
    monkeypatch.setenv(profiles.ENV_VAR, " FULL ")
    assert profiles.current().pick(fast=2, full=30) == 30


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(profiles.ENV_VAR, "turbo")
    with pytest.raises(ValueError, match="fast, full"):
        profiles.current()
