"""What a run can see and do, in every isolation mode this machine offers."""

import json
import os
import sys

import pytest

from ailit_core import assignments, paths
from ailit_core.grade import isolation, sandbox
from ailit_core.grade.engine import Engine, Task

A1 = assignments.get("a1_xor_backprop")
PROJECT = os.path.realpath(paths.project_root())


def test_layout_hides_the_project_but_keeps_ailit_core_and_python(tmp_path):
    lay = isolation.layout(A1, hide=[tmp_path])
    assert PROJECT in lay.protected and str(tmp_path.resolve()) in lay.protected
    for bind in lay.plan.binds:
        inside = bind == PROJECT or bind.startswith(PROJECT + "/")
        in_python = any(bind.startswith(p) for p in isolation.python_dirs())
        assert not inside or in_python, f"{bind} exposes the repository"
    assert os.path.realpath(os.path.join(PROJECT, "ailit_core")) in lay.plan.late_binds
    assert any(os.path.realpath(sys.prefix).startswith(b) for b in lay.plan.binds)


def test_mode_choice():
    lay = isolation.layout(A1)
    assert isolation.choose_mode("basic", lay)[0] == "basic"
    with pytest.raises(ValueError):
        isolation.choose_mode("nonsense", lay)


def test_unused_uid_is_unused():
    uid = sandbox.pick_unused_uid()
    assert uid >= 1 << 20 and not sandbox.processes_of_uid(uid)


def available_modes():
    if not sys.platform.startswith("linux"):
        return ["basic"]
    lay = isolation.layout(A1)
    modes = [m for m in ("full", "userns") if (m != "full" or os.geteuid() == 0) and isolation.probe(m, lay) is None]
    return modes + ["basic"]


PROBE = '''
import json, os, socket, sys
facts = {"uid": os.getuid(), "cwd": os.getcwd(), "path": sys.path, "secret": os.environ.get("AILIT_TEST_SECRET"),
         "home": os.environ.get("HOME")}
for name, path in {"solutions": SOLUTIONS, "git": GIT, "submissions": SUBMISSIONS}.items():
    try:
        facts[name] = sorted(os.listdir(path))
    except OSError as exc:
        facts[name] = type(exc).__name__
try:
    socket.create_connection(("127.0.0.1", PORT), timeout=2).close()
    facts["network"] = "connected"
except OSError as exc:
    facts["network"] = type(exc).__name__
print("FACTS" + json.dumps(facts) + "END", flush=True)
'''


@pytest.mark.slow
@pytest.mark.parametrize("mode", available_modes())
def test_a_run_sees_only_what_it_should(mode, tmp_path, monkeypatch):
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    monkeypatch.setenv("AILIT_TEST_SECRET", "grader-only")
    submissions = tmp_path / "subs"
    (submissions / "someone").mkdir(parents=True)
    source = PROBE.replace("SOLUTIONS", repr(str(paths.solutions_dir()))).replace(
        "GIT", repr(os.path.join(PROJECT, ".git"))).replace("SUBMISSIONS", repr(str(submissions))).replace(
        "PORT", str(server.getsockname()[1]))
    with Engine(A1, mode=mode, hide=[submissions]) as engine:
        assert engine.mode == mode
        (_, result), = list(engine.run([Task("probe", source.encode())]))
    server.close()
    facts = json.loads(result.output.split("FACTS", 1)[1].split("END", 1)[0])
    assert facts["secret"] is None, "the grader's environment leaked into the run"
    assert not any(p == PROJECT or p.startswith(PROJECT + "/") for p in facts["path"] if "ailit_core" not in p)
    assert facts["network"] != "connected"
    if mode == "basic":
        assert facts["solutions"] == "PermissionError" and facts["submissions"] == "PermissionError"
        return
    assert facts["solutions"] == "FileNotFoundError" and facts["git"] == "FileNotFoundError"
    assert facts["submissions"] == "FileNotFoundError"
    assert facts["cwd"] == "/tmp/work" and facts["home"] == "/tmp/home"
    if mode == "full":
        assert facts["uid"] >= 1 << 20
