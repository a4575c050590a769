"""Finding submissions and reading exactly one module out of each, safely."""

import stat
import zipfile

import pytest

from ailit_core.grade import submissions as subs
from ailit_core.grade.submissions import Submission, SubmissionProblem, check_encoding, discover, group

MODULE = "xor_net.py"


def read(path, student=None):
    s = Submission(student or subs.student_name(path, MODULE), path, MODULE)
    return s, s.read_module()


def test_discover_folders_zips_and_files_sorted(tmp_path):
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / MODULE).write_text("x = 1\n")
    (tmp_path / "alice.zip").write_bytes(b"")
    (tmp_path / "carol.py").write_text("x = 1\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / "notes.txt").write_text("hi")
    found = discover(tmp_path, MODULE)
    assert [s.student for s in found] == ["alice", "bob", "carol"]
    assert subs.skipped_entries(tmp_path) == ["notes.txt"]


def test_missing_folder_is_a_problem(tmp_path):
    with pytest.raises(SubmissionProblem) as info:
        discover(tmp_path / "nope", MODULE)
    assert "missing" in info.value.message


def test_duplicates_are_grouped(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / MODULE).write_text("x = 1\n")
    with zipfile.ZipFile(tmp_path / "alice.zip", "w") as z:
        z.writestr(f"alice/{MODULE}", "x = 2\n")
    groups = group(discover(tmp_path, MODULE))
    assert len(groups["alice"]) == 2


def test_folder_takes_the_shallowest_module_and_lists_the_rest(tmp_path):
    folder = tmp_path / "alice"
    (folder / "deep").mkdir(parents=True)
    (folder / "deep" / MODULE).write_text("deep = True\n")
    (folder / MODULE).write_text("top = True\n")
    (folder / "conftest.py").write_text("")
    (folder / "numpy.py").write_text("")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"")
    s, data = read(folder)
    assert data == b"top = True\n"
    assert s.ignored == ["conftest.py", "deep/xor_net.py", "numpy.py"]
    notes = " ".join(s.ignored_notes())
    assert "conftest.py (pytest configuration" in notes and "numpy.py (named like the installed module numpy" in notes


def test_empty_folder_and_folder_without_module(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "empty")
    assert info.value.status == "empty"
    (tmp_path / "wrong").mkdir()
    (tmp_path / "wrong" / "XOR_Net.py").write_text("")
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "wrong")
    assert info.value.status == "missing_module" and "XOR_Net.py" in info.value.message


def test_symlinked_module_is_never_read(tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET = 1\n")
    folder = tmp_path / "mallory"
    folder.mkdir()
    (folder / MODULE).symlink_to(secret)
    with pytest.raises(SubmissionProblem) as info:
        read(folder)
    assert info.value.status == "missing_module"


def test_too_large_module(tmp_path):
    (tmp_path / "big.py").write_bytes(b"#" * (subs.MAX_MODULE_BYTES + 1))
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "big.py")
    assert info.value.status == "too_large"


def test_zip_is_read_without_extracting_and_unsafe_members_are_skipped(tmp_path):
    path = tmp_path / "eve.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"../../{MODULE}", "escaped = True\n")
        link = zipfile.ZipInfo(f"eve/link/{MODULE}")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(link, "/etc/passwd")
        z.writestr(f"eve/src/{MODULE}", "mine = True\n")
        z.writestr("__MACOSX/._x", "junk")
    s, data = read(path)
    assert data == b"mine = True\n"
    assert any("unsafe" in name for name in s.ignored)
    assert not (tmp_path.parent / MODULE).exists()


def test_corrupt_empty_and_bomb_zips(tmp_path):
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 definitely not a zip")
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "bad.zip")
    assert info.value.status == "bad_zip"
    with zipfile.ZipFile(tmp_path / "empty.zip", "w"):
        pass
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "empty.zip")
    assert info.value.status == "empty"
    with zipfile.ZipFile(tmp_path / "bomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(MODULE, b"#" * (subs.MAX_MODULE_BYTES + 10))
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "bomb.zip")
    assert info.value.status == "too_large"


def test_zip_without_module_says_what_it_holds(tmp_path):
    with zipfile.ZipFile(tmp_path / "dan.zip", "w") as z:
        z.writestr("dan/xor.py", "")
    with pytest.raises(SubmissionProblem) as info:
        read(tmp_path / "dan.zip")
    assert info.value.status == "missing_module" and "dan/xor.py" in info.value.message


def test_encoding_checks():
    check_encoding("x = '你好'\n".encode("utf-8"), MODULE)
    check_encoding(b"\xef\xbb\xbfx = 1\n", MODULE)  # BOM
    check_encoding("# -*- coding: latin-1 -*-\nx = '\xe9'\n".encode("latin-1"), MODULE)  # declared
    with pytest.raises(SubmissionProblem) as info:
        check_encoding("x = '\xe9'\n".encode("latin-1"), MODULE)
    assert info.value.status == "bad_encoding" and "UTF-8" in info.value.message
    with pytest.raises(SubmissionProblem):
        check_encoding(b"# -*- coding: klingon -*-\n", MODULE)


def test_check_source_reports_syntax_errors():
    with pytest.raises(SubmissionProblem) as info:
        subs.check_source(b"def f(:\n", MODULE)
    assert info.value.status == "syntax_error" and "line 1" in info.value.message
