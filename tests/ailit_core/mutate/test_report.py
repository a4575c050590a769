"""The readable reports put surviving mutants, with their diffs, first."""

import json

from ailit_core.mutate import analysis as an
from ailit_core.mutate import report
from ailit_core.mutate.grading import Graded

BASELINE = {"test_a": "passed", "test_b": "passed"}


def test_survivors_come_first_with_their_diffs(tmp_path):
    survivor = an.MutantRecord("f/arith/1", "generated", "arith", "f", 3, 3, "+ -> -", "m",
                               diff="--- reference\n+++ f/arith/1\n-    return a + b\n+    return a - b")
    killed = an.MutantRecord("catalogue/x", "catalogue", "catalogue", "g", 5, 5, "why <b>", "m", diff="d",
                             expected_kills=("test_a",))
    an.classify(survivor, Graded("graded", 10, 10, dict(BASELINE), {}), BASELINE)
    an.classify(killed, Graded("graded", 5, 10, {"test_a": "failed", "test_b": "passed"}, {}), BASELINE)
    tests = an.per_test([survivor, killed], BASELINE, {"test_a": 5, "test_b": 5})
    info = report.summary([survivor, killed], tests, "all passed", "abc", "a1_xor_backprop", graded_now=3,
                          from_store=0, min_score=None)
    info["stale_equivalent_ids"] = ["old/arith/9"]
    json_path, md_path, html_path = report.write(tmp_path, info, [killed, survivor])
    md = md_path.read_text(encoding="utf-8")
    assert md.index("## Surviving mutants (1)") < md.index("```diff\n--- reference") < md.index("## Score per test")
    assert "test_b (kills 0)" in md  # kills nothing the others do not
    assert "- old/arith/9" in md  # an EQUIVALENT entry whose mutant no longer exists
    html = html_path.read_text(encoding="utf-8")
    assert '<span class="del">-    return a + b</span>' in html and "why &lt;b&gt;" in html
    assert '"status": "survived"' in json_path.read_text(encoding="utf-8").split('"status": "killed"')[0]


def test_accepted_survivors_have_their_own_section_and_status(tmp_path):
    accepted = an.MutantRecord("f/drop_to/1", "generated", "drop_to", "f", 3, 3, "drop .to(device)", "m",
                               diff="--- reference\n+++ f/drop_to/1\n-    y = y.to(d)\n+    y = y",
                               accepted_reason="labels stay on their device: not observable on a CPU")
    killed = an.MutantRecord("f/arith/2", "generated", "arith", "f", 4, 4, "+ -> -", "m", diff="d")
    an.classify(accepted, Graded("graded", 10, 10, dict(BASELINE), {}), BASELINE)
    an.classify(killed, Graded("graded", 5, 10, {"test_a": "failed", "test_b": "passed"}, {}), BASELINE)
    records = [accepted, killed]
    info = report.summary(records, an.per_test(records, BASELINE, {}), "all passed", "abc", "a2_iris",
                          graded_now=3, from_store=0, min_score=None)
    info["stale_accepted_ids"] = ["old/drop_to/9"]
    json_path, md_path, _ = report.write(tmp_path, info, records)
    md = md_path.read_text(encoding="utf-8")
    assert "Mutation score 100.0%: 1 of 1" in md and "1 accepted survivor(s)" in md
    assert "## Surviving mutants (0)" in md and "## Accepted survivors (1)" in md
    assert "accepted: labels stay on their device" in md and "+    y = y" in md
    assert "## ACCEPTED entries that match no generated mutant (out of date)" in md and "- old/drop_to/9" in md
    data = json.loads(json_path.read_text(encoding="utf-8"))
    entry = next(m for m in data["mutants"] if m["id"] == "f/drop_to/1")
    assert entry["status"] == "accepted" and entry["accepted_reason"].startswith("labels stay")
    assert data["score"]["accepted"] == 1 and data["score"]["score"] == 100.0
