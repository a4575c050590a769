"""The adversarial catalogue (``catalogue.py``): every attack scores 0, says what happened, and the
batch completes within its time limits. Run in the strongest isolation this machine offers, then
the attacks each weaker mode must still stop."""

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from ailit_core import grade
from ailit_core.grade.engine import GRACE_S
from tests.ailit_core.grade import catalogue
from tests.ailit_core.grade.test_sandbox import available_modes

pytestmark = pytest.mark.slow

LIMITS = dict(timeout_s=30, test_timeout_s=8, memory_mb=512)

# Expected status per attack (several are acceptable where the kernel decides, e.g. MemoryError first
# or the watchdog first).
EXPECTED = {
    # the bare stub beside injected files: the stub is recognised and not run (the files are never used either way)
    "conftest_injection": {"graded", "unchanged_stub"}, "pytest_ini": {"graded", "unchanged_stub"},
    "sitecustomize": {"graded", "unchanged_stub"},
    "exit_at_import": {"crashed"}, "system_exit_at_import": {"import_error"},
    "kill_self_at_import": {"crashed", "graded"},  # PID 1 of its namespace cannot SIGKILL itself
    "segfault_at_import": {"crashed"},
    "infinite_loop_at_import": {"timeout"}, "sleep_at_import": {"timeout"}, "stubborn_loop": {"timeout"},
    "memory_hog": {"memory", "import_error"}, "output_flood": {"output_limit"},
    "orphans": {"graded", "timeout"},
    # Writing into every descriptor reaches the call socket: a malformed reply.
    "forged_results": {"tampered"}, "malformed_reply": {"tampered"},
    # Attacks on the grading machinery find none of it in the student's process: plain 0.
    "patch_pytest_reports": {"graded"}, "replace_tests": {"graded"}, "register_pass_plugin": {"graded"},
    "patch_oracles": {"graded"}, "transient_trace_patch": {"graded"}, "gc_results_writer": {"graded"},
    "code_object_rewrite": {"graded"}, "call_oracles": {"graded"}, "print_answer": {"graded"},
    "lying_array": {"graded"}, "sysv_shared_memory": {"graded"}, "exfiltrate_test_data": {"graded"},
    "find_reference": {"graded"}, "network": {"graded"},
    "honest": {"graded"},
}


def sysv_segments() -> set[str]:
    """The machine's System V shared-memory segment ids (``/proc/sysvipc/shm``)."""
    try:
        with open("/proc/sysvipc/shm", encoding="utf-8") as fh:
            return {line.split()[1] for line in fh.readlines()[1:] if line.split()}
    except OSError:
        return set()


class Listener:
    """A local TCP server counting connections: any connection is a network leak."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.server.close()


def marked_processes(marker: str) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() in fh.read():
                    found.append(pid)
        except OSError:
            continue
    return found


def run_catalogue(tmp_path, mode, only=None):
    listener = Listener()
    marker = f"ailit-orphan-{os.getpid()}-{time.monotonic_ns()}"
    out, subs = tmp_path / "out", tmp_path / "subs"
    students = catalogue.write(subs, {"out": out, "port": listener.port, "marker": marker})
    if only is not None:
        only = set(only) | {"honest"}
        for path in list(subs.iterdir()):
            if path.name.split(".")[0] not in only:
                subprocess.run(["rm", "-rf", str(path)], check=True)
        students = [s for s in students if s in only]
    segments = sysv_segments()
    started = time.monotonic()
    results = grade.main(submissions_dir=subs, assignment_id=catalogue.ASSIGNMENT, out=out, quiet=True, jobs=2,
                         mode=mode, **LIMITS)
    elapsed = time.monotonic() - started
    time.sleep(0.5)
    leftovers = marked_processes(marker) + [f"SysV segment {s}" for s in sysv_segments() - segments]
    listener.close()
    return {r.student: r for r in results}, students, out, listener.connections, leftovers, elapsed


def check_common(got, students, out, connections, leftovers):
    assert sorted(got) == sorted(students), "the batch is incomplete"
    wrong = {s: (r.score, r.status, r.message[:300]) for s, r in got.items() if r.score != 0 and s != "honest"}
    assert not wrong, f"attacks that scored: {wrong}"
    assert got["honest"].score == 100, f"the honest submission in the batch: {got['honest'].message[:300]}"
    unexpected = {s: (r.status, r.message[:300]) for s, r in got.items() if r.status not in EXPECTED[s]}
    assert not unexpected, f"attacks with an unexpected status: {unexpected}"
    for r in got.values():
        assert r.duration <= LIMITS["timeout_s"] + 2 * GRACE_S, f"{r.student} ran {r.duration:.1f} s"
        assert r.max_score == 100
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        rows = {row["student"]: row for row in csv.DictReader(fh)}
    assert sorted(rows) == sorted(students)
    assert all(row["score"] == "0" for s, row in rows.items() if s != "honest")
    assert connections == 0, "a submission reached the network"
    assert leftovers == [], f"processes left behind: {leftovers}"


def test_catalogue_in_the_strongest_mode(tmp_path):
    mode = available_modes()[0]
    got, students, out, connections, leftovers, elapsed = run_catalogue(tmp_path, mode)
    check_common(got, students, out, connections, leftovers)
    # forged files never reach the gradebook; the victim's and the forger's rows are the grader's own
    assert not (out / "FORGED.txt").exists() and not (out / "students" / "victim").exists()
    forged = json.loads((out / "students" / "forged_results" / "results.json").read_text(encoding="utf-8"))
    assert forged["extra_data"]["status"] == "tampered" and forged["score"] == 0
    # what happened is in each row
    assert "conftest.py" in got["conftest_injection"].message and "pytest.ini" in got["pytest_ini"].message
    assert "sitecustomize.py" in got["sitecustomize"].message and "numpy.py" in got["sitecustomize"].message
    assert "while importing" in got["exit_at_import"].message
    assert "SystemExit" in got["system_exit_at_import"].message
    assert "SIGSEGV" in got["segfault_at_import"].message
    # nothing of the hidden tests is in the student's process to leak into feedback
    leak = next(t["message"] for t in got["exfiltrate_test_data"].tests if t["name"] == "test_sigmoid_values")
    assert "LEAK:" in leak and "oracle" not in leak and "expected" not in leak, leak
    assert "512 MB" in got["memory_hog"].message or "MemoryError" in got["memory_hog"].message
    assert "test_sigmoid_values" in got["stubborn_loop"].message
    # the same search, run by the grader's own process, does find the reference: inside, it was unreachable
    namespace = {}
    exec(catalogue.FIND_REFERENCE, namespace)
    assert namespace["find_reference"](budget=30) is not None


# What the weaker modes must still stop (basic cannot hide copies of the reference elsewhere on disk,
# nor stop a subprocess started without the guards: see GRADING.md, threat model).
WEAKER = ["conftest_injection", "exit_at_import", "system_exit_at_import", "sleep_at_import", "output_flood",
          "memory_hog", "forged_results", "malformed_reply", "gc_results_writer", "call_oracles", "orphans"]


@pytest.mark.parametrize("mode", available_modes()[1:])
def test_catalogue_in_weaker_modes(tmp_path, mode):
    only = WEAKER + ["network"] + (["find_reference"] if mode != "basic" else [])
    got, students, out, connections, leftovers, _ = run_catalogue(tmp_path, mode, only=only)
    check_common(got, students, out, connections, leftovers)
