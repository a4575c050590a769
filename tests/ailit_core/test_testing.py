import sys

import pytest

from ailit_core import testing


@pytest.fixture(autouse=True)
def _forget_module():
    yield
    sys.modules.pop("demo_mod", None)


def test_module_beside_the_test_file(tmp_path, monkeypatch):
    monkeypatch.delenv(testing.ENV_VAR, raising=False)
    (tmp_path / "demo_mod.py").write_text("VALUE = 'student'\n")
    mod = testing.implementation("demo_mod", beside=tmp_path / "test_demo.py")
    assert mod.VALUE == "student"
    assert sys.modules["demo_mod"] is mod


def test_environment_variable_wins(tmp_path, monkeypatch):
    (tmp_path / "demo_mod.py").write_text("VALUE = 'student'\n")
    other = tmp_path / "graded"
    other.mkdir()
    (other / "demo_mod.py").write_text("VALUE = 'submission'\n")
    monkeypatch.setenv(testing.ENV_VAR, str(other / "demo_mod.py"))
    assert testing.implementation("demo_mod", beside=tmp_path / "test_demo.py").VALUE == "submission"
    sys.modules.pop("demo_mod")
    monkeypatch.setenv(testing.ENV_VAR, str(other))  # a folder holding the module works too
    assert testing.implementation("demo_mod").VALUE == "submission"


def test_missing_module_message_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.delenv(testing.ENV_VAR, raising=False)
    with pytest.raises(testing.ImplementationNotFound, match="demo_mod.py") as missing:
        testing.implementation("demo_mod", beside=tmp_path / "test_demo.py")
    assert "找不到" in str(missing.value), "bilingual / 双语"
    monkeypatch.setenv(testing.ENV_VAR, str(tmp_path / "nope.py"))
    with pytest.raises(testing.ImplementationNotFound, match="nope.py"):
        testing.implementation("demo_mod")


def test_failed_import_is_not_cached(tmp_path, monkeypatch):
    path = tmp_path / "demo_mod.py"
    path.write_text("raise RuntimeError('boom')\n")
    monkeypatch.setenv(testing.ENV_VAR, str(path))
    with pytest.raises(RuntimeError, match="boom"):
        testing.implementation("demo_mod")
    assert "demo_mod" not in sys.modules
