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
    with open(out / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def notebook_of(source: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# XOR"}]
    cells += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": part}
              for part in source.split("\n\n\n") if part.strip()]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def odd_uploads(subs):
    """One of each kind of upload a large course gets; returns {student: (status, text in message)}."""
    import io
    import tarfile

    ref = reference()
    expect = {}

    def folder(name, files, status, text=""):
        for rel, body in files.items():
            path = subs / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        expect[name] = (status, text)

    (subs / "empty").mkdir(parents=True)
    expect["empty"] = ("empty", "empty")
    folder("nomodule", {"xor.py": "pass\n"}, "missing_module", "xor.py")
    folder("syntax", {MODULE: "def sigmoid(x)\n    return x\n"}, "syntax_error", "line 1")
    folder("latin1", {MODULE: "# caf\xe9\nx = 1\n".encode("latin-1")}, "bad_encoding", "line 1")
    (subs / "corrupt.zip").write_bytes(b"PK\x03\x04garbage")
    expect["corrupt"] = ("bad_zip", "corrupt.zip")
    folder("alice", {MODULE: ref}, "duplicate", "alice.zip")
    with zipfile.ZipFile(subs / "alice.zip", "w") as z:
        z.writestr(f"alice/{MODULE}", ref)
    (subs / "carol.py").write_text(ref)
    expect["carol"] = ("graded", "")
    (subs / "readme.txt").write_text("not a submission")
    expect["readme"] = ("unsupported_format", "readme.txt")
    folder("gbk", {MODULE: ("# 中文注释：异或网络\n" + ref).encode("gbk")}, "graded", "GBK")
    (subs / "nb.ipynb").write_text(notebook_of(ref), encoding="utf-8")
    expect["nb"] = ("graded", "code cells of nb.ipynb")
    with tarfile.open(subs / "tess.tar.gz", "w:gz") as tar:
        body = ref.encode("utf-8")
        info = tarfile.TarInfo(f"tess/{MODULE}")
        info.size, info.mtime = len(body), 1_700_000_000
        tar.addfile(info, io.BytesIO(body))
    expect["tess"] = ("graded", "")
    (subs / "seven.7z").write_bytes(b"7z\xbc\xaf\x27\x1c garbage")
    (subs / "rara.rar").write_bytes(b"Rar!\x1a\x07\x00 garbage")
    expect["seven"] = expect["rara"] = ({"unsupported_format", "bad_zip"}, "")
    with zipfile.ZipFile(subs / "grades.csv.zip", "w") as z:  # named like the gradebook's own files
        z.writestr(MODULE, ref)
    expect["grades.csv"] = ("graded", "")
    folder("summary.html", {MODULE: ref}, "graded")
    (subs / "histogram.png").write_bytes(b"\x89PNG")
    expect["histogram"] = ("unsupported_format", "histogram.png")
    folder("twice", {f"v1/{MODULE}": ref, f"v2/{MODULE}": ref + "\n# v2\n"}, "ambiguous_module", "v1/xor_net.py")
    folder("kept", {f"final/{MODULE}": ref, f"backup/{MODULE}": "broken(\n"}, "graded", "backup")
    with zipfile.ZipFile(subs / "ckpt.zip", "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(f"ckpt/{MODULE}", ref)
        with z.open("ckpt/model.pt", "w", force_zip64=True) as fh:
            for _ in range(250):
                fh.write(b"\0" * (1 << 20))
    expect["ckpt"] = ("graded", "ckpt/model.pt")
    (subs / "blank.py").write_text("\n")
    expect["blank"] = ("empty", "empty")
    folder("linked", {}, "missing_module", "symbolic link")
    (subs / "linked").mkdir()
    (subs / "linked" / MODULE).symlink_to(A1.solution_path)
    (subs / "UPPER.PY").write_text(ref)
    expect["UPPER"] = ("graded", "")
    (subs / "nul.py").write_bytes(b"x = 1\ny = 2\x00\n")
    expect["nul"] = ("syntax_error", "line 2")
    folder("stub", {MODULE: A1.stub_path.read_text(encoding="utf-8")}, "unchanged_stub", "starter file")
    (subs / "lms").mkdir()  # an LMS bulk download: the student's own zip inside their folder
    with zipfile.ZipFile(subs / "lms" / "lms_12345_hw1.zip", "w") as z:
        z.writestr(f"hw1/{MODULE}", ref)
    expect["lms"] = ("graded", "lms_12345_hw1.zip")
    (subs / ".DS_Store").write_bytes(b"")
    return expect


def test_every_entry_gets_one_row_with_its_status_and_the_batch_exits_0(tmp_path):
    import subprocess
    import sys

    subs = tmp_path / "subs"
    expect = odd_uploads(subs)
    out = subs / "_gradebook"  # an output folder inside the submissions folder is never a student

    def run():
        proc = subprocess.run([sys.executable, "-m", "ailit_core", "grade", str(subs), "-a", A1.id, "-o", str(out),
                               "-q", "-j", "2"], capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr
        return rows(out)

    got = run()
    assert set(got) == set(expect), "one row per entry, no phantom, nobody missing"
    for student, (status, text) in expect.items():
        row = got[student]
        assert row["status"] in ({status} if isinstance(status, str) else status), (student, row)
        message = json.loads((out / row["feedback"].replace("feedback.html", "results.json")).read_text())["output"]
        assert text in message, (student, message)
        if row["status"] != "graded":
            assert " / " in message, (student, "bilingual message expected", message)
        assert row["score"] == ("100" if row["status"] == "graded" else "0"), (student, row)
        assert row["assignment"] == A1.id and row["max_score"] == "100"
    assert got["tess"]["submitted_at"] and got["carol"]["submitted_at"]
    assert (out / "students" / "grades.csv" / "results.json").is_file() and (out / "summary.html").is_file()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert ".DS_Store" in summary and "ambiguous_module" in summary and "unchanged_stub" in summary

    # the second run reuses everything, applies the TA's override, and refreshes a changed ignored list
    (out / "overrides.csv").write_text("student,score,reason\ncarol,90,late: 10% off\n", encoding="utf-8")
    (subs / "gbk" / "notes.md").write_text("new file")
    again = run()
    assert set(again) == set(expect)
    assert again["carol"]["score"] == "90" and again["carol"]["autograded_score"] == "100"
    assert again["carol"]["override_reason"] == "late: 10% off"
    assert again["gbk"]["graded_at"] == got["gbk"]["graded_at"], "unchanged module: reused"
    stored = json.loads((out / "students" / "gbk" / "results.json").read_text())
    assert "notes.md" in stored["output"] and "notes.md" in " ".join(stored["extra_data"]["ailit"]["ignored"])
    assert "late: 10% off" in (out / "students" / "carol" / "feedback.md").read_text(encoding="utf-8")
    assert f"reused unchanged results / 沿用未变更的结果: {len(expect)}" in (out / "summary.md").read_text(encoding="utf-8")


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
        folder = out / "students" / student
        assert (folder / "results.json").is_file() and (folder / "feedback.md").is_file()
        assert (folder / "feedback.html").is_file()
    for name in ("grades.csv", "summary.md", "summary.html", "histogram.png"):
        assert (out / name).is_file(), name
    hidden_source = (A1.hidden_tests_dir / "test_hidden_xor_net.py").read_text(encoding="utf-8")
    helper_lines = [line.strip() for line in hidden_source.splitlines() if line.strip().startswith(("def oracle", "hidden, out ="))]
    for student in expected:
        text = (out / "students" / student / "feedback.md").read_text(encoding="utf-8")
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
