"""`ailit release --format ...`: the formats the CLI offers are the ones the package writes."""

import pytest

from ailit_core import cli, paths, release


def test_cli_offers_exactly_the_release_formats():
    assert tuple(cli.RELEASE_FORMATS) == tuple(release.FORMATS) == tuple(release.WRITERS)


def test_unknown_format_is_a_clear_error():
    with pytest.raises(ValueError, match="choose from"):
        release.main(assignment_ids=["a1_xor_backprop"], fmt="moodle")


def test_default_outputs():
    assert release.default_out("files") is None
    assert release.default_out("otter") == paths.project_root() / "dist" / "otter"


def test_cli_release_gradescope_prints_the_zip(tmp_path, capsys):
    assert cli.main(["release", "--format", "gradescope", "a1_xor_backprop", "-o", str(tmp_path)]) == 0
    zip_path = tmp_path / "a1_xor_backprop" / "autograder.zip"
    assert zip_path.is_file() and str(zip_path) in capsys.readouterr().out


def test_cli_release_student_writes_one_zip_per_assignment(tmp_path, capsys):
    assert cli.main(["release", "--format", "student", "a1_xor_backprop", "-o", str(tmp_path)]) == 0
    zip_path = tmp_path / "a1_xor_backprop.zip"
    assert zip_path.is_file() and str(zip_path) in capsys.readouterr().out
