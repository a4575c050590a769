"""Feedback explains every lost point (description + failure message) and never shows test code."""

from ailit_core.grade import feedback
from tests.ailit_core.grade.helpers import result


def test_markdown_lists_lost_and_passed_points():
    r = result(outcomes=("passed", "failed", "not run"), message="importing xor_net.py failed")
    r.ignored = ["conftest.py (pytest configuration: ignored, it cannot change grading)"]
    text = feedback.render_markdown(r, "a1: XOR / 异或")
    assert "10 / 30" in text
    assert "✗ test_1 (0 / 10)" in text and "why 1" in text
    assert "✗ test_2 (0 / 10)" in text and "did not run" in text
    assert "✓ test_0" in text
    assert "importing xor_net.py failed" in text
    assert "conftest.py" in text and "checks something / 检查某事" in text


def test_html_is_escaped_and_complete():
    r = result(student="<script>", outcomes=("failed",))
    page = feedback.render_html(r, "a1 <title>")
    assert "<script>" not in page
    assert "&lt;script&gt;" in page and "why 0 &lt;b&gt;" in page
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "0 / 10" in page


def test_status_is_described_in_both_languages():
    text = feedback.render_markdown(result(status="timeout"), "t")
    assert "ran out of time" in text and "超时" in text


def test_skipped_zero_point_test_is_not_a_lost_point():
    r = result(outcomes=("passed", "skipped", "skipped"))
    r.tests[1]["points"] = 0.0  # an optional check this machine cannot run (a CUDA test, a real model)
    text = feedback.render_markdown(r, "a5")
    assert "test_1 (0 / 0)" not in text
    assert "✗ test_2 (0 / 10)" in text  # a skipped test that carries points still costs them


def test_override_and_submission_time_are_shown():
    from ailit_core.grade.overrides import Override

    r = result()
    r.submitted_at = "2026-11-30T10:00:00"
    md = feedback.render_markdown(r, "a1", override=Override(27, "regrade request"))
    assert "27 / 30" in md and "regrade request" in md and "助教" in md and "2026-11-30T10:00:00" in md
    page = feedback.render_html(r, "a1", override=Override(27, "<b>"))
    assert "27 / 30" in page and "&lt;b&gt;" in page


def test_a_submission_that_never_ran_says_so_once():
    r = result(status="missing_module", outcomes=("not run",) * 3, message="no xor_net.py / 没有")
    md = feedback.render_markdown(r, "a1")
    assert "No test ran" in md and "未运行任何测试" in md and "Points lost" not in md
    assert md.count("did not run") == 0 and "- test_2 (0 / 10)" in md
    assert "No test ran" in feedback.render_html(r, "a1")
    crashed = result(status="crashed", outcomes=("passed", "not run"))  # ran, then stopped: each test explained
    assert "did not run" in feedback.render_markdown(crashed, "a1")
