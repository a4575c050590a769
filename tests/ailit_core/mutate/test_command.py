"""``ailit mutate`` end to end on a1 with a tiny generated set: reports written, results reused on
the next run, --min-score as a gate."""

import json
import subprocess
import sys


def ailit(*args):
    return subprocess.run([sys.executable, "-m", "ailit_core", *args], capture_output=True, text=True, timeout=300)


def test_mutate_a1_writes_reports_resumes_and_gates(tmp_path):
    out = tmp_path / "mutation"
    mine = tmp_path / "mine.py"  # an instructor's catalogue whose ACCEPTED id no generated mutant has
    mine.write_text('ACCEPTED = {"gone/arith/99": "reference changed since"}\n', encoding="utf-8")
    args = ("mutate", "a1_xor_backprop", "--no-catalogue", "--catalogue", str(mine), "--max-generated", "3",
            "-j", "2", "-o", str(out))
    first = ailit(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "mutation score" in first.stdout and "Traceback" not in first.stderr
    data = json.loads((out / "mutation.json").read_text(encoding="utf-8"))
    assert len(data["mutants"]) == 3 and data["reference_status"] == "all passed"
    assert data["stale_accepted_ids"] == ["gone/arith/99"] and data["stale_equivalent_ids"] == []
    for m in data["mutants"]:
        assert m["source"] == "generated" and m["operator"] and m["location"]["function"]
        assert m["diff"].startswith("--- reference") and m["status"] in ("killed", "survived")
        assert m["score"] is not None and (m["status"] == "killed") == bool(m["killed_by"])
    assert set(data["by_test"]) and data["score"]["score"] is not None
    md = (out / "mutation.md").read_text(encoding="utf-8")
    assert "## Score per function" in md and "## Score per test" in md
    assert (out / "mutation.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    gate = ailit(*args, "--min-score", "101")  # everything is stored: nothing is graded again
    assert gate.returncode == 1, gate.stderr[-3000:]
    assert "below --min-score" in gate.stderr
    assert json.loads((out / "mutation.json").read_text(encoding="utf-8"))["from_stored_results"] == 4


def test_mutate_usage_errors_are_one_line():
    proc = ailit("mutate", "a9_nope")
    assert proc.returncode == 2 and "unknown assignment" in proc.stderr and "Traceback" not in proc.stderr
    listed = ailit("mutate", "--list-operators")
    assert listed.returncode == 0 and "mean_sum" in listed.stdout
