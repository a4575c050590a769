"""``ailit grade --dask``: the same gradebook as a local run, from a Dask cluster's workers.

Dask is an optional extra, not in the main environment: ``scripts/dask-overlay.sh`` builds
``requirements/dask.txt`` once into ``~/.cache/ailit/overlay-dask-<hash>`` (like the transformers
overlay), and the ``dask`` fixture puts it on ``sys.path`` for these tests only. The clusters are
``LocalCluster``s of 2 worker processes with 1 thread each. The checks of what a worker sends back
(``wire``) need no Dask.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import pytest

from ailit_core import assignments, cli, paths
from ailit_core.grade import GradeOptions, grade_batch
from ailit_core.grade.dask import wire
from ailit_core.grade.engine import Task
from ailit_core.grade.results import SubmissionResult, from_gradescope
from tests.ailit_core.grade.helpers import entry

A1, A2 = "a1_xor_backprop", "a2_iris"


def samples(assignment_id: str):
    return paths.examples_dir() / "submissions" / assignment_id


@pytest.fixture(scope="module")
def dask_path():
    root = paths.project_root()
    proc = subprocess.run(["bash", str(root / "scripts" / "dask-overlay.sh")], capture_output=True, text=True,
                          cwd=root)
    assert proc.returncode == 0, f"the dask overlay could not be built:\n{proc.stderr[-3000:]}"
    folder = proc.stdout.strip().splitlines()[-1]
    sys.path.insert(0, folder)
    yield folder
    sys.path.remove(folder)


@pytest.fixture(scope="module")
def cluster(dask_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as started:
        yield started


def local_run(assignment_id: str, out, dask_path) -> tuple[dict, bool]:
    """A local batch (no --dask) in a fresh interpreter that could import Dask: its scores, and
    whether Dask was imported."""
    code = ("import json, sys; from ailit_core import grade; "
            f"r = grade.main(submissions_dir={str(samples(assignment_id))!r}, assignment_id={assignment_id!r}, "
            f"out={str(out)!r}, quiet=True, jobs=2); "
            "print(json.dumps({'scores': {x.student: [x.score, x.status] for x in r}, "
            "'dask': any(m.split('.')[0] in ('dask', 'distributed') for m in sys.modules)}))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([dask_path, str(paths.project_root()),
                                                       os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reply = json.loads(proc.stdout.strip().splitlines()[-1])
    return reply["scores"], reply["dask"]


@pytest.fixture(scope="module")
def a1_local(dask_path, tmp_path_factory) -> dict:
    expected, imported = local_run(A1, tmp_path_factory.mktemp("a1-local"), dask_path)
    assert not imported, "a run without --dask imported Dask"
    return expected


def scores(results) -> dict:
    return {r.student: [r.score, r.status] for r in results}


def rows(out) -> list[str]:
    lines = (out / "grades.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    return [line.split(",")[0] for line in lines]


def test_a1_on_a_local_cluster_scores_as_a_local_run(a1_local, tmp_path):
    expected = a1_local
    out = tmp_path / "dask"
    assert cli.main(["grade", str(samples(A1)), "-a", A1, "-o", str(out), "-q", "--dask", "local:2"]) == 0
    results = [from_gradescope(json.loads(path.read_text(encoding="utf-8")))
               for path in sorted((out / "students").glob("*/results.json"))]
    assert scores(results) == expected
    assert sorted(rows(out)) == sorted(expected)
    assert all(r.isolation for r in results if r.status == "graded")
    # Resuming by content hash works as locally: nothing is sent to a cluster again.
    again = grade_batch(GradeOptions(samples(A1), A1, out, quiet=True, dask="local:2"))
    assert scores(again) == expected
    assert f"reused unchanged results / 沿用未变更的结果: {len(expected)}" in (out / "summary.md").read_text(encoding="utf-8")


@pytest.mark.slow  # a2 trains small torch models: 2-4 minutes on 2 loaded cores, the local run included
def test_a2_on_a_scheduler_address_scores_as_a_local_run(dask_path, cluster, tmp_path):
    expected, _ = local_run(A2, tmp_path / "local", dask_path)
    results = grade_batch(GradeOptions(samples(A2), A2, tmp_path / "dask", quiet=True,
                                       dask=cluster.scheduler_address))
    assert scores(results) == expected


def test_a_worker_killed_midway_loses_no_row_and_writes_none_twice(a1_local, cluster, tmp_path):
    from distributed import Client

    expected = a1_local
    out = tmp_path / "dask"
    killed: list[str] = []

    def kill_a_busy_worker():
        with Client(cluster.scheduler_address) as client:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not killed:
                done = list((out / "students").glob("*/results.json")) if (out / "students").is_dir() else []
                busy = [w for w, keys in client.processing().items() if keys]
                if done and busy:
                    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(busy[0])
                time.sleep(0.2)

    killer = threading.Thread(target=kill_a_busy_worker)
    killer.start()
    try:
        results = grade_batch(GradeOptions(samples(A1), A1, out, quiet=True, force=True,
                                           dask=cluster.scheduler_address))
    finally:
        killer.join()
    assert killed, "no worker was killed while grading"
    assert scores(results) == expected  # nothing lost: the killed worker's submissions graded elsewhere
    written = rows(out)
    assert sorted(written) == sorted(expected) and len(written) == len(set(written))


# -- the worker's plugin, without a cluster --------------------------------------------------------

def plugin_for(assignment, **changes):
    import dataclasses

    from ailit_core.grade.dask.worker import GraderPlugin
    from ailit_core.grade.engine import Limits
    from ailit_core.grade.suite import HiddenSuite

    settings = dict(profile=None, limits_json=json.dumps(dataclasses.asdict(Limits.for_assignment(assignment))),
                    mode=None, coordinator_mode="full", digest=HiddenSuite.of(assignment).digest(), hide=[])
    settings.update(changes)
    return GraderPlugin(assignment.id, **settings)


def test_a_worker_with_another_hidden_suite_refuses(dask_path):
    plugin = plugin_for(assignments.get(A1), digest="0" * 16)
    plugin.setup()
    try:
        reply = json.loads(plugin.grade("alice", b"x = 1\n", "ab" * 32))
    finally:
        plugin.teardown()
    result = reply["results"]["extra_data"]["ailit"]
    assert result["status"] == "grader_error" and "differs from the coordinator's" in result["message"]


def test_a_worker_weaker_than_the_coordinator_says_so(dask_path):
    assignment = assignments.get(A1)
    plugin = plugin_for(assignment, mode="basic", coordinator_mode="full")
    source = (samples(A1) / "alice" / assignment.filename).read_bytes()
    plugin.setup()
    try:
        result = wire.decode_result(plugin.grade("alice", source, "cd" * 32), Task("alice", source, "cd" * 32),
                                    _trusted(assignment))
    finally:
        plugin.teardown()
    assert result.status == "graded" and result.isolation == "basic"
    assert "weaker than the coordinator's full" in result.message and "较弱的隔离模式" in result.message


def _trusted(assignment) -> list[dict]:
    from ailit_core.grade.engine import Engine

    with Engine(assignment, warm=False) as engine:
        return engine.tests


# -- what the coordinator accepts from a worker (no Dask needed) --------------------------------------

TRUSTED = [{k: v for k, v in entry(f"test_{i}", 10.0, "not run").items() if k not in ("outcome", "message", "duration")}
           for i in range(2)]
TASK = Task("alice", b"source", "ab" * 32)


def reply(**changes) -> SubmissionResult:
    tests = [entry("test_0", 10.0, "passed"), entry("test_1", 10.0, "failed", "wrong / 错误")]
    result = SubmissionResult("alice", "graded", tests, "", duration=1.0, sha256="ab" * 32)
    for k, v in changes.items():
        setattr(result, k, v)
    return result


def test_a_well_formed_result_is_accepted_with_the_coordinators_points():
    forged = reply(tests=[{**entry("test_0", 99.0, "passed"), "name": "renamed"}, entry("test_1", 10.0, "failed")])
    got = wire.decode_result(wire.encode_result(forged), TASK, TRUSTED)
    assert got.score == 10.0 and got.max_score == 20.0 and got.tests[0]["name"] == "test_0"


@pytest.mark.parametrize("data", [
    pickle.dumps(reply()),  # an object pickled by the worker: never loaded
    b"not json",
    json.dumps({"results": {"score": 100}}).encode(),  # not an ailit results.json
    wire.encode_result(reply(student="mallory")),
    wire.encode_result(reply(sha256="ff" * 32)),
    wire.encode_result(reply(status="excellent")),
    wire.encode_result(reply(tests=[entry("test_0", 10.0, "passed")])),  # a test left out
    wire.encode_result(reply(tests=[entry("test_0", 10.0, "passed"), entry("test_9", 10.0, "passed")])),
    wire.encode_result(reply(tests=[entry("test_0", 10.0, "passed"), entry("test_1", 10.0, "great")])),
    wire.encode_result(reply(duration=float("nan"))),
], ids=["pickle", "not-json", "not-ours", "other-student", "other-hash", "unknown-status", "missing-test",
        "unknown-test", "unknown-outcome", "nan-duration"])
def test_a_malformed_or_foreign_result_is_rejected(data):
    with pytest.raises(wire.UntrustedResult):
        wire.decode_result(data, TASK, TRUSTED)


def test_addresses():
    assert wire.parse_address("local") == ("local", None)
    assert wire.parse_address("local:3") == ("local", 3)
    assert wire.parse_address("tcp://10.0.0.5:8786") == ("tcp://10.0.0.5:8786", None)
    for bad in ("", "local:0", "local:two"):
        with pytest.raises(ValueError):
            wire.parse_address(bad)
    assert wire.weaker("basic", "userns") and wire.weaker("userns", "full") and not wire.weaker("full", "basic")
