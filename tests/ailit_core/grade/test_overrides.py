"""The TA's overrides.csv: read leniently (Excel's BOM, case, blank lines), problems reported."""

from ailit_core.grade import overrides


def test_overrides_are_read_and_bad_rows_reported(tmp_path):
    (tmp_path / "overrides.csv").write_text("\ufeffStudent,Score,Reason\nalice,95,regrade\n\nbob,lots,\ncarol,0,\n",
                                            encoding="utf-8")
    found, problems = overrides.load(tmp_path)
    assert found == {"alice": overrides.Override(95.0, "regrade"), "carol": overrides.Override(0.0, "")}
    assert len(problems) == 1 and "line 4" in problems[0] and " / " in problems[0]


def test_missing_file_and_template(tmp_path):
    assert overrides.load(tmp_path) == ({}, [])
    overrides.write_template(tmp_path)
    assert (tmp_path / "overrides.csv").read_text(encoding="utf-8-sig") == "student,score,reason\n"
    (tmp_path / "overrides.csv").write_text("who,what\nx,y\n")
    overrides.write_template(tmp_path)  # never overwrites the TA's file
    found, problems = overrides.load(tmp_path)
    assert found == {} and "student,score,reason" in problems[0]
