"""The bundled sample submissions grade as intended: every correct one gets full marks, every buggy
one less (``examples/expected/<id>.json``: student -> "full" | "partial" | "zero")."""

import json

import pytest

from ailit_core import assignments, grade, paths

EXPECTED = sorted(paths.examples_dir().glob("expected/*.json"))


def _landed(path):
    try:
        return assignments.get(path.stem).is_landed()
    except LookupError:
        return False


@pytest.mark.slow
@pytest.mark.parametrize("expected_path", [p for p in EXPECTED if _landed(p)], ids=lambda p: p.stem)
def test_sample_submissions_grade_as_intended(expected_path, tmp_path):
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    results = grade.main(submissions_dir=paths.examples_dir() / "submissions" / expected_path.stem,
                         assignment_id=expected_path.stem, out=tmp_path, quiet=True)
    got = {r.student: r for r in results}
    assert set(got) == set(expected), "examples/expected lists other students than examples/submissions holds"
    wrong = []
    for student, verdict in expected.items():
        r = got[student]
        ok = {"full": r.score == r.max_score > 0,
              "partial": 0 < r.score < r.max_score,
              "zero": r.score == 0}[verdict]
        if not ok:
            wrong.append(f"{student}: expected {verdict}, got {r.score:g}/{r.max_score:g} ({r.status})")
    assert not wrong, "\n".join(wrong)
    assert (tmp_path / "grades.csv").is_file()
