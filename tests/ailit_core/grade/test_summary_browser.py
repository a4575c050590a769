"""summary.html in a real headless browser: the per-student table sorts by any column and links
to each feedback page. Uses the system Chromium (Debian's ``chromium``); skipped without it."""

import os
import shutil

import pytest

from ailit_core.grade import gradebook, summary
from tests.ailit_core.grade.helpers import result

pytestmark = pytest.mark.slow


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("no Chromium installed (apt install chromium)")


def test_student_table_sorts_and_links(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    rows = [result("bob", outcomes=("passed", "failed", "failed")), result("alice", outcomes=("passed",) * 3),
            result("carol", status="syntax_error", outcomes=("not run",) * 3, message="line 3: SyntaxError"),
            result("张三", outcomes=("passed", "passed", "failed"))]
    for r in rows:
        gradebook.write_student(tmp_path, r, "a1")
    summary.write_summary(rows, tmp_path, "a1: XOR / 异或", info={"isolation": "full"})
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"] * (os.geteuid() == 0))
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto((tmp_path / "summary.html").as_uri())

        def column(index):
            return page.eval_on_selector_all("#students tbody tr", f"rows => rows.map(r => r.cells[{index}].innerText)")

        assert column(0) == ["alice", "bob", "carol", "张三"]
        page.click("#students th:nth-child(2)")  # score, ascending
        assert [float(s.split()[0]) for s in column(1)] == [0, 10, 20, 30]
        page.click("#students th:nth-child(2)")  # and descending
        assert column(0)[0] == "alice"
        page.click("#students th:nth-child(4)")  # status, as text
        assert column(3) == sorted(column(3))
        page.screenshot(path=str(tmp_path / "summary.png"), full_page=True)
        page.click("text=carol")
        assert page.url.endswith("students/carol/feedback.html") and "SyntaxError" in page.content()
        browser.close()
    assert (tmp_path / "summary.png").stat().st_size > 1000
