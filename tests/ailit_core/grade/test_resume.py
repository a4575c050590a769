"""A batch killed half-way and run again loses nothing and repeats nothing."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ailit_core import assignments

pytestmark = pytest.mark.slow

A1 = assignments.get("a1_xor_backprop")
STUDENTS = [f"student{i:02d}" for i in range(6)]


def results_of(out):
    found = {}
    for student in STUDENTS:
        path = out / "students" / student / "results.json"
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            found[student] = (data["extra_data"]["graded_at"], path.stat().st_mtime_ns, data["score"])
    return found


def ailit_grade(subs, out, *extra):
    return [sys.executable, "-m", "ailit_core", "grade", str(subs), "--assignment", A1.id, "--out", str(out),
            "--quiet", *extra]


def test_killed_batch_resumes_without_loss_or_repetition(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    reference = A1.solution_path.read_text(encoding="utf-8")
    for i, student in enumerate(STUDENTS):
        (subs / student).mkdir(parents=True)
        # a short pause at import makes each submission take a moment, so the kill lands mid-batch
        (subs / student / A1.filename).write_text(reference + f"\nimport time\ntime.sleep(1)  # {i}\n")
    proc = subprocess.Popen(ailit_grade(subs, out), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(results_of(out)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = time.time()
    before = results_of(out)
    assert 2 <= len(before) < len(STUDENTS), f"the kill did not land mid-batch ({len(before)} done)"
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        listed = {row["student"] for row in csv.DictReader(fh)}
    assert listed == set(before), "grades.csv must list exactly the finished submissions"
    # the warm parent and its runs die with the grader (parent-death signals)
    for _ in range(50):
        leftover = subprocess.run(["pgrep", "-af", str(subs)], capture_output=True, text=True).stdout.strip()
        if not leftover:
            break
        time.sleep(0.2)
    assert not leftover, f"grading processes outlived the killed batch: {leftover}"

    rerun = subprocess.run(ailit_grade(subs, out), capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    after = results_of(out)
    assert set(after) == set(STUDENTS), "a submission was lost"
    for student, stamp in before.items():
        assert after[student] == stamp, f"{student} was graded again"
    for student in set(STUDENTS) - set(before):
        assert after[student][1] / 1e9 >= killed_at - 1 and after[student][2] == 100
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        assert sorted(row["student"] for row in csv.DictReader(fh)) == STUDENTS
    assert not [p for p in out.rglob(".*") if p.name != ".ailit-tests.json"], "temporary files left behind"
    assert os.path.exists(out / "summary.md")
