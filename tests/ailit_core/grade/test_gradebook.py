"""grades.csv, the students' folders, the summary and the histogram."""

import csv
import os
import stat

from ailit_core.grade import gradebook, summary
from ailit_core.grade.overrides import Override
from tests.ailit_core.grade.helpers import result


def test_csv_has_the_contract_columns(tmp_path):
    rows = [result("bob"), result("alice", status="timeout", message="too slow\nsecond line")]
    gradebook.write_csv(rows, tmp_path / "grades.csv", assignment_id="a1_xor_backprop")
    assert (tmp_path / "grades.csv").read_bytes().startswith(b"\xef\xbb\xbfstudent,")  # Excel reads UTF-8 only with a BOM
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8-sig") as fh:
        got = list(csv.DictReader(fh))
    assert [r["student"] for r in got] == ["alice", "bob"]
    assert {"student", "score", "max_score", "status"} <= set(got[0])
    assert got[0]["status"] == "timeout" and got[0]["message"] == "too slow"
    assert got[1]["score"] == "10" and got[1]["max_score"] == "30"
    assert got[0]["assignment"] == "a1_xor_backprop" and got[0]["feedback"] == "students/alice/feedback.html"


def test_overrides_change_the_score_shown_and_keep_the_autograders(tmp_path):
    rows = [result("bob"), result("alice")]
    gradebook.write_csv(rows, tmp_path / "grades.csv", overrides={"bob": Override(25, "regrade request")})
    got = {r["student"]: r for r in gradebook.read_csv(tmp_path / "grades.csv")}
    assert got["bob"]["score"] == "25" and got["bob"]["autograded_score"] == "10"
    assert got["bob"]["override_reason"] == "regrade request" and got["alice"]["override_reason"] == ""


def test_csv_writer_rewrites_within_its_budget_and_flush_is_complete(tmp_path):
    writer = gradebook.CsvWriter(tmp_path / "grades.csv")
    for i in range(3000):
        writer.add(result(f"s{i:04d}"))
    writer.flush()
    assert len(gradebook.read_csv(tmp_path / "grades.csv")) == 3000
    assert writer.writes < 3000 / 10  # not once per row: the budget bounds the rewrites


def test_outputs_are_readable_by_other_accounts(tmp_path):
    old = os.umask(0o077)  # mkstemp makes 0600 whatever the umask: the TA's umask decides, not mkstemp
    os.umask(old)
    gradebook.write_student(tmp_path, result(), "title")
    gradebook.write_csv([result()], tmp_path / "grades.csv")
    mask = gradebook._umask()
    for path in (tmp_path / "grades.csv", tmp_path / "students" / "alice" / "results.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert stat.S_IMODE((tmp_path / "students" / "alice").stat().st_mode) == 0o777 & ~mask


def test_folder_names_are_safe_and_unique():
    names = gradebook.folder_names(["Alice", "alice", "../x", "a/b", "CON", "张三", "", "grades.csv"])
    assert names["Alice"] != names["alice"] and names["Alice"].casefold() != names["alice"].casefold()
    assert names["../x"] == "_x" or "/" not in names["../x"]
    assert "/" not in names["a/b"] and names["CON"] == "_CON" and names["张三"] == "张三" and names[""] == "_"
    assert names["grades.csv"] == "grades.csv"  # under students/: never the gradebook's own grades.csv


def test_most_failed_orders_by_count_and_groups_cases():
    rows = [result("a", outcomes=("failed", "passed")), result("b", outcomes=("failed", "failed")),
            result("c", status="syntax_error", outcomes=("failed", "failed"))]  # never ran: not counted
    failed = gradebook.most_failed(rows)
    assert failed[0][0] == "test_0" and failed[0][2] == 2 and failed[0][3] == 2
    for r in rows:
        for t in r.tests:
            t["name"] = "test_case[" + t["name"] + "]"
    assert gradebook.most_failed(rows)[0][:1] + gradebook.most_failed(rows)[0][2:] == ("test_case", 2, 2)


def test_summary_files(tmp_path):
    rows = [result("a"), result("b", status="crashed", message="the test process ended unexpectedly"),
            result("c", status="unsupported_format", outcomes=("not run",) * 3, message="c.docx: not graded")]
    gradebook.write_summary(rows, tmp_path, "a1: XOR / 异或", info={"reused": 1, "graded": 1, "isolation": "full",
                                                                  "skipped": ["notes.txt"]},
                            overrides={"a": Override(30, "late pass"), "zed": Override(1, "")})
    md = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "histogram.png" in md and "Pass rate per test" in md and "crashed" in md and "notes.txt" in md
    assert "Isolation / 隔离方式: full" in md and "`unsupported_format` | 1" in md
    assert "late pass" in md and "zed, who is not in this batch" in md
    assert "| [c](students/c/feedback.html) | 0 | 30 | `unsupported_format`" in md
    assert (tmp_path / "histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "summary.html").read_text(encoding="utf-8")
    assert html.count("/feedback.html\"") == 3 + 2 and 'class="sortable"' in html  # the table, and who needs attention
    assert "## Needs attention" in md and "| [b](students/b/feedback.html) | `crashed` |" in md


def test_pass_rates_count_only_submissions_whose_tests_ran():
    rows = [result("a", outcomes=("passed", "failed", "not run")), result("b", outcomes=("passed", "passed", "passed")),
            result("stub", status="unchanged_stub", outcomes=("not run",) * 3)]
    rates = {r["test"]: r for r in summary.pass_rates(rows)}
    assert (rates["test_0"]["passed"], rates["test_0"]["ran"]) == (2, 2)
    assert (rates["test_1"]["passed"], rates["test_1"]["ran"]) == (1, 2)
    assert (rates["test_2"]["passed"], rates["test_2"]["ran"]) == (1, 1)


def test_write_student_writes_results_last(tmp_path):
    r = result()
    r.output = "printed"
    gradebook.write_student(tmp_path, r, "title")
    folder = tmp_path / "students" / "alice"
    assert {p.name for p in folder.iterdir()} == {"results.json", "feedback.md", "feedback.html", "output.txt"}
    assert not list(folder.glob(".*"))  # no temporary files left behind
