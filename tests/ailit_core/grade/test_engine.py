"""The engine grades like a bare pytest run, from a warm parent, and a slow test costs only itself."""

import os

import pytest

from ailit_core import assignments
from ailit_core.grade.engine import Engine, Limits, Task
from ailit_core.grade.runner import run_hidden_tests
from ailit_core.release.files import release_files

pytestmark = pytest.mark.slow

A1 = assignments.get("a1_xor_backprop")


def reference() -> bytes:
    return A1.solution_path.read_bytes()


def stub() -> bytes:
    return release_files(A1)[A1.filename]


def test_one_warm_parent_grades_reference_and_stub():
    with Engine(A1) as engine:
        assert engine.tests and not engine.collect_errors
        assert sum(t["points"] for t in engine.tests) == 100
        got = {task.student: result for task, result in engine.run([Task("ref", reference()), Task("stub", stub())])}
    ref, empty = got["ref"], got["stub"]
    assert (ref.status, ref.score, ref.max_score) == ("graded", 100, 100)
    assert (empty.status, empty.score) == ("graded", 0)
    assert all("NotImplementedError" in t["message"] for t in empty.tests if t["name"] != "test_works_without_torch")
    assert ref.isolation == engine.mode and ref.runs == 1


def test_run_hidden_tests_with_a_selection():
    result = run_hidden_tests(A1, reference(), student="ref", extra_pytest_args=["-k", "sigmoid"])
    assert result.status == "graded"
    assert {t["name"] for t in result.tests} == {"test_sigmoid_values", "test_sigmoid_derivative_takes_output"}
    assert result.score == result.max_score > 0


def test_spawn_start_gives_the_same_grade(monkeypatch):
    monkeypatch.setenv("AILIT_GRADE_START", "spawn")
    result = run_hidden_tests(A1, reference(), student="ref", extra_pytest_args=["-k", "sigmoid"])
    assert (result.status, result.score) == ("graded", result.max_score)


HANG_ONE_TEST = '''
import time as _time
_derivative = sigmoid_derivative

def sigmoid_derivative(s):
    if getattr(s, "shape", None) == (5, 4):  # only the hidden test of this function uses this shape
        while True:  # and it swallows the grader's polite timeout
            try:
                _time.sleep(0.05)
            except BaseException:
                pass
    return _derivative(s)
'''


def test_an_endless_test_costs_that_test_only():
    source = reference() + HANG_ONE_TEST.encode()
    limits = Limits(timeout_s=120, test_timeout_s=12)
    with Engine(A1, limits=limits) as engine:
        (_, result), = list(engine.run([Task("slow", source)]))
    lost = {t["name"]: t for t in result.tests if t["outcome"] != "passed"}
    assert list(lost) == ["test_sigmoid_derivative_takes_output"], result.message
    assert lost["test_sigmoid_derivative_takes_output"]["timeout"]
    assert result.status == "timeout" and result.score == 100 - lost["test_sigmoid_derivative_takes_output"]["points"]
    assert result.runs == 2 and "fresh process" in result.message


def test_limits_scale_with_the_profile():
    fast = Limits.for_assignment(A1, "fast")
    full = Limits.for_assignment(A1, "full")
    assert full.timeout_s == 10 * fast.timeout_s and full.memory_mb > fast.memory_mb
    assert fast.test_timeout_s <= fast.timeout_s
    assert Limits.for_assignment(A1, None, timeout_s=7).timeout_s == 7


def test_a_dead_warm_parent_is_replaced_and_its_run_marked_for_regrading():
    import signal

    with Engine(A1) as engine:
        started = []

        def on_start(task):
            started.append(task.student)
            if len(started) == 2:
                os.kill(engine.proc.pid, signal.SIGKILL)

        got = {t.student: r for t, r in engine.run([Task(f"s{i}", reference()) for i in range(3)], on_start=on_start)}
    assert got["s0"].status == got["s2"].status == "graded"
    assert got["s1"].status in ("grader_error", "graded")  # the kill may land before or after the run starts
    assert got["s2"].score == 100


def test_torch_rebinds_itself_before_runs_fingerprint_it():
    """A submission that trains with any optimizer must not read as tampering (torch rebinds
    ``manual_seed`` and optimizers' ``step`` lazily); the warm parent triggers that first."""
    import subprocess
    import sys

    script = (
        "from ailit_core.grade.zygote import warm_up_torch\n"
        "import torch\n"
        "warm_up_torch()\n"
        "seed, step = torch.manual_seed, torch.optim.RMSprop.step\n"
        "import torch._dynamo\n"
        "w = torch.zeros(2, requires_grad=True)\n"
        "o = torch.optim.RMSprop([w], lr=0.1); w.sum().backward(); o.step()\n"
        "assert torch.manual_seed is seed and torch.optim.RMSprop.step is step\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
