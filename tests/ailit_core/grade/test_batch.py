"""A batch: bad input gets its own status and the batch goes on; -j 2 grades like -j 1; unchanged
submissions are not graded again; every output file is there."""

import csv
import json
import shutil
import zipfile

import pytest

from ailit_core import assignments, grade, paths

pytestmark = pytest.mark.slow

A1 = assignments.get("a1_xor_backprop")
MODULE = A1.filename


def reference() -> str:
    return A1.solution_path.read_text(encoding="utf-8")


def rows(out):
    with open(out / "grades.csv", newline="", encoding="utf-8") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def test_bad_inputs_get_their_own_status(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "empty").mkdir(parents=True)
    (subs / "nomodule").mkdir()
    (subs / "nomodule" / "xor.py").write_text("pass\n")
    (subs / "syntax").mkdir()
    (subs / "syntax" / MODULE).write_text("def sigmoid(x)\n    return x\n")
    (subs / "latin1").mkdir()
    (subs / "latin1" / MODULE).write_bytes("# caf\xe9\nx = 1\n".encode("latin-1"))
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04garbage")
    (subs / "alice").mkdir()
    (subs / "alice" / MODULE).write_text(reference())
    with zipfile.ZipFile(subs / "alice.zip", "w") as z:
        z.writestr(f"alice/{MODULE}", reference())
    (subs / "carol.py").write_text(reference())  # a bare file named after the student
    (subs / "readme.txt").write_text("not a submission")
    results = grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True, jobs=2)
    status = {r.student: r.status for r in results}
    assert status == {"empty": "empty", "nomodule": "missing_module", "syntax": "syntax_error",
                      "latin1": "bad_encoding", "corrupt": "bad_zip", "alice": "duplicate", "carol": "graded"}
    got = rows(out)
    assert set(got) == set(status)
    assert got["carol"]["score"] == "100"
    assert all(got[s]["score"] == "0" and got[s]["max_score"] == "100" for s in status if s != "carol")
    assert "alice.zip" in got["alice"]["message"] and "alice/" in got["alice"]["message"]
    assert "line 1" in got["syntax"]["message"]
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "readme.txt" in summary and "duplicate" in summary


def test_examples_with_two_jobs_match_expectations_and_every_file_is_written(tmp_path):
    expected = json.loads((paths.examples_dir() / "expected" / f"{A1.id}.json").read_text(encoding="utf-8"))
    out = tmp_path / "out"
    results = grade.main(submissions_dir=paths.examples_dir() / "submissions" / A1.id, assignment_id=A1.id,
                         out=out, quiet=True, jobs=2)
    got = {r.student: r for r in results}
    assert set(got) == set(expected)
    for student, verdict in expected.items():
        r = got[student]
        assert {"full": r.score == r.max_score == 100, "partial": 0 < r.score < 100,
                "zero": r.score == 0}[verdict], f"{student}: {verdict} expected, got {r.score} ({r.status})"
    for student in expected:
        folder = out / student
        assert (folder / "results.json").is_file() and (folder / "feedback.md").is_file()
        assert (folder / "feedback.html").is_file()
    for name in ("grades.csv", "summary.md", "summary.html", "histogram.png"):
        assert (out / name).is_file(), name
    hidden_source = (A1.hidden_tests_dir / "test_hidden_xor_net.py").read_text(encoding="utf-8")
    helper_lines = [line.strip() for line in hidden_source.splitlines() if line.strip().startswith(("def oracle", "hidden, out ="))]
    for student in expected:
        text = (out / student / "feedback.md").read_text(encoding="utf-8")
        assert not any(line in text for line in helper_lines), "feedback shows hidden test code"


def test_unchanged_submissions_are_reused_and_changed_ones_regraded(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    for name in ("alice", "bob"):
        (subs / name).mkdir(parents=True)
        (subs / name / MODULE).write_text(reference())
    first = {r.student: r for r in grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True)}
    (subs / "bob" / MODULE).write_text(reference() + "\n# edited\n")
    second = {r.student: r for r in grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True)}
    assert second["alice"].graded_at == first["alice"].graded_at
    assert second["bob"].sha256 != first["bob"].sha256
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "reused unchanged results / 沿用未变更的结果: 1" in summary
    forced = {r.student: r for r in grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True,
                                               force=True)}
    assert "reused unchanged results / 沿用未变更的结果: 0" in (out / "summary.md").read_text(encoding="utf-8")
    assert all(forced[s].score == 100 for s in forced)


def test_a_changed_time_limit_regrades(tmp_path):
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(A1.solution_path, subs / "alice" / MODULE)
    first = grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True)[0]
    again = grade.main(submissions_dir=subs, assignment_id=A1.id, out=out, quiet=True, timeout_s=90)[0]
    assert again.tests_version != first.tests_version and again.graded_at >= first.graded_at


def test_broken_hidden_tests_stop_the_batch_with_one_clear_line(tmp_path):
    import subprocess
    import sys

    root = tmp_path / "project"
    shutil.copytree(paths.autograder_dir() / A1.id, root / "autograder" / A1.id)
    shutil.copy(paths.autograder_dir() / "pytest.ini", root / "autograder" / "pytest.ini")
    shutil.copytree(A1.release_dir, root / "assignments" / A1.id)
    (root / "autograder" / A1.id / "test_hidden_xor_net.py").write_text("def broken(:\n", encoding="utf-8")
    subs = tmp_path / "subs"
    (subs / "alice").mkdir(parents=True)
    shutil.copy(A1.solution_path, subs / "alice" / MODULE)
    env = dict(__import__("os").environ, AILIT_ROOT=str(root))
    proc = subprocess.run([sys.executable, "-m", "ailit_core", "grade", str(subs), "-a", A1.id, "-o",
                           str(tmp_path / "out"), "-q"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot be collected" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
