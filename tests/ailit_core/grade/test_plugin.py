"""The grading plugin in-process with ``pytester`` (as pytest tests junitxml): the trusted test list
with point shares, and how a test's phases merge into its outcome."""

import json

import pytest

from ailit_core.grade import plugin

pytest_plugins = ["pytester"]

SUITE = '''
import pytest

@pytest.fixture
def broken_teardown():
    yield
    raise RuntimeError("teardown broke / 清理失败")

@pytest.fixture
def broken_setup():
    raise RuntimeError("setup broke / 准备失败")

@pytest.mark.points(6)
@pytest.mark.parametrize("n", [1, 2, 3])
def test_shared(n):
    """Cases share the points. / 用例平分分数。"""
    assert n != 3, "three is wrong / 三是错的"

@pytest.mark.points(4)
def test_teardown_fails(broken_teardown):
    pass

@pytest.mark.points(5)
def test_setup_fails(broken_setup):
    pass

@pytest.mark.points(5)
@pytest.mark.visibility("visible")
def test_skipped():
    pytest.skip("no GPU here / 没有 GPU")
'''


@pytest.fixture
def results(pytester):
    pytester.makepyfile(test_suite=SUITE)
    out = pytester.path / "results.json"
    pytester.runpytest_inprocess("-p", "ailit_core.grade.plugin", f"--ailit-results={out}")
    return {t["name"]: t for t in json.loads(out.read_text(encoding="utf-8"))["tests"]}


def test_points_are_shared_by_the_cases_of_a_parametrized_test(results):
    assert [results[f"test_shared[{n}]"]["points"] for n in (1, 2, 3)] == [2.0, 2.0, 2.0]
    assert results["test_shared[1]"]["description"] == "Cases share the points. / 用例平分分数。"
    assert sum(t["points"] for t in results.values()) == 20


def test_phases_merge_into_one_outcome(results):
    assert results["test_shared[1]"]["outcome"] == "passed"
    assert results["test_shared[3]"]["outcome"] == "failed"
    assert results["test_shared[3]"]["message"].startswith("AssertionError: three is wrong")
    assert results["test_teardown_fails"]["outcome"] == "failed" and "teardown broke" in results["test_teardown_fails"]["message"]
    assert results["test_setup_fails"]["outcome"] == "failed" and "setup broke" in results["test_setup_fails"]["message"]
    assert results["test_skipped"]["outcome"] == "skipped" and "no GPU" in results["test_skipped"]["message"]
    assert results["test_skipped"]["visibility"] == "visible"
    assert results["test_shared[1]"]["visibility"] == plugin.DEFAULT_VISIBILITY


def test_recorder_state_lives_in_the_stash(pytester):
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    config = pytester.parseconfigure("-p", "ailit_core.grade.plugin", f"--ailit-results={pytester.path / 'r.json'}")
    assert isinstance(config.stash[plugin.recorder_key], plugin.OutcomeRecorder)


def test_merge_rules_on_their_own():
    entry = {"outcome": "not run", "message": ""}
    assert not plugin.merge(entry, "setup", "passed", "", 0.1)
    assert not plugin.merge(entry, "call", "passed", "", 0.2)
    assert plugin.merge(entry, "teardown", "failed", "boom", 0.1)
    assert entry["outcome"] == "failed" and entry["message"] == "boom" and entry["duration"] == pytest.approx(0.4)
