"""LMS exports: Canvas's gradebook CSV layout, the wide per-test table, nbgrader's export columns."""

import csv
import io

import pytest

from ailit_core import cli
from ailit_core.grade import export, gradebook
from ailit_core.grade.overrides import Override
from tests.ailit_core.grade.helpers import result


def batch(tmp_path):
    rows = [result("alice", outcomes=("passed", "passed", "passed")), result("bob"),
            result("smithjane_12345_67890_xor_net", outcomes=("passed", "failed", "failed")),
            result("张三", status="missing_module", outcomes=("not run",) * 3, message="no module")]
    rows[0].submitted_at = "2026-11-30T10:00:00"
    for r in rows:
        gradebook.write_student(tmp_path, r, "a1")
    gradebook.write_csv(rows, tmp_path / "grades.csv", assignment_id="a1_xor_backprop",
                        overrides={"bob": Override(25, "regrade")})
    return tmp_path


def parse(path):
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def test_canvas_layout(tmp_path):
    path = export.main(out=batch(tmp_path), fmt="canvas", column="A1 XOR (4242)")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = parse(path)
    # Canvas: the five identifying columns, then the assignment ("Name (id)"), a Points Possible row
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "A1 XOR (4242)"]
    assert table[1][0] == "Points Possible" and table[1][5] == "30"
    by_login = {row[3] or row[1]: row for row in table[2:]}
    assert by_login["alice"][5] == "30" and by_login["bob"][5] == "25" and by_login["张三"][5] == "0"
    assert by_login["12345"][0] == "smithjane"  # a Canvas "Download submissions" name gives the user ID
    assert all(len(row) == 6 for row in table)
    for row in table[1:]:
        float(row[5])


def test_wide_has_a_column_per_test_and_the_submission_time(tmp_path):
    table = parse(export.main(out=batch(tmp_path), fmt="wide"))
    header = table[0]
    assert header[:4] == ["student", "assignment", "score", "max_score"] and "submitted_at" in header
    assert header[-3:] == ["test_0 (10)", "test_1 (10)", "test_2 (10)"]
    rows = {row[0]: dict(zip(header, row)) for row in table[1:]}
    assert rows["alice"]["submitted_at"] == "2026-11-30T10:00:00" and rows["alice"]["test_2 (10)"] == "10"
    assert rows["bob"]["score"] == "25" and rows["bob"]["autograded_score"] == "10"
    assert rows["bob"]["override_reason"] == "regrade" and rows["bob"]["test_1 (10)"] == "0"


def test_nbgrader_columns_and_the_cli(tmp_path, capsys):
    out = batch(tmp_path)
    assert cli.main(["export", str(out), "--format", "nbgrader"]) == 0
    table = parse(out / "exports" / "nbgrader.csv")
    assert table[0] == export.NBGRADER_COLUMNS
    rows = {row[3]: dict(zip(table[0], row)) for row in table[1:]}
    assert rows["bob"]["raw_score"] == "10" and rows["bob"]["score"] == "25" and rows["bob"]["assignment"] == "a1_xor_backprop"
    assert cli.main(["export", str(tmp_path / "nothing"), "--format", "canvas"]) == 2
    assert "grade the batch first" in capsys.readouterr().err


def test_a_roster_fills_the_lms_identity_columns(tmp_path):
    out = batch(tmp_path / "out")
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffentry,Student,ID,SIS User ID,SIS Login ID,Section,first_name,last_name,email\n"
                      "alice,\"Liddell, Alice\",101,S1,alice01,L01,Alice,Liddell,a@x.edu\n", encoding="utf-8")
    table = parse(export.main(out=out, fmt="canvas", roster=roster))
    rows = {row[0]: row for row in table[2:]}
    assert rows["Liddell, Alice"][:6] == ["Liddell, Alice", "101", "S1", "alice01", "L01", "30"]
    assert rows["bob"][3] == "bob"  # not on the roster: the entry name as SIS Login ID
    table = parse(export.main(out=out, fmt="nbgrader", roster=roster))
    alice = dict(zip(table[0], next(row for row in table if row[3] == "alice")))
    assert (alice["first_name"], alice["last_name"], alice["email"]) == ("Alice", "Liddell", "a@x.edu")
    (tmp_path / "bad.csv").write_text("name,id\nx,1\n")
    with pytest.raises(export.ExportError):
        export.main(out=out, fmt="canvas", roster=tmp_path / "bad.csv")
