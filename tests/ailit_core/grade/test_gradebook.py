"""grades.csv, the summary and the histogram."""

import csv

from ailit_core.grade import gradebook
from tests.ailit_core.grade.helpers import result


def test_csv_has_the_contract_columns(tmp_path):
    rows = [result("bob"), result("alice", status="timeout", message="too slow\nsecond line")]
    gradebook.write_csv(rows, tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [r["student"] for r in got] == ["alice", "bob"]
    assert {"student", "score", "max_score", "status"} <= set(got[0])
    assert got[0]["status"] == "timeout" and got[0]["message"] == "too slow"
    assert got[1]["score"] == "10" and got[1]["max_score"] == "30"


def test_most_failed_orders_by_count_and_groups_cases():
    rows = [result("a", outcomes=("failed", "passed")), result("b", outcomes=("failed", "failed"))]
    failed = gradebook.most_failed(rows)
    assert failed[0][0] == "test_0" and failed[0][2] == 2 and failed[0][3] == 2
    for r in rows:
        for t in r.tests:
            t["name"] = "test_case[" + t["name"] + "]"
    assert gradebook.most_failed(rows)[0][:1] + gradebook.most_failed(rows)[0][2:] == ("test_case", 2, 2)


def test_summary_files(tmp_path):
    rows = [result("a"), result("b", status="crashed", message="the test process ended unexpectedly")]
    gradebook.write_summary(rows, tmp_path, "a1: XOR / 异或", info={"reused": 1, "graded": 1, "isolation": "full",
                                                                  "skipped": ["notes.txt"]})
    md = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "histogram.png" in md and "Tests most often failed" in md and "crashed" in md and "notes.txt" in md
    assert (tmp_path / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert "b/feedback.html" in html


def test_write_student_writes_results_last(tmp_path):
    r = result()
    r.output = "printed"
    gradebook.write_student(tmp_path, r, "title")
    folder = tmp_path / "alice"
    assert {p.name for p in folder.iterdir()} == {"results.json", "feedback.md", "feedback.html", "output.txt"}
    assert not list(folder.glob(".*"))  # no temporary files left behind
