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
    # every entry but hidden files and OS clutter is a row: notes.txt is one (unsupported_format)
    assert [s.student for s in found] == ["alice", "bob", "carol", "notes"]
    assert [s.kind for s in found] == ["zip", "folder", "file", "other"]
    assert [e.split(" ")[0] for e in subs.skipped_entries(tmp_path)] == [".hidden/", "__MACOSX/"]


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


def test_folder_takes_the_module_and_lists_the_rest(tmp_path):
    folder = tmp_path / "alice"
    (folder / "old").mkdir(parents=True)
    (folder / "old" / MODULE).write_text("deep = True\n")  # a backup copy: see the ambiguity rule below
    (folder / MODULE).write_text("top = True\n")
    (folder / "conftest.py").write_text("")
    (folder / "numpy.py").write_text("")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.pyc").write_bytes(b"")
    s, data = read(folder)
    assert data == b"top = True\n"
    assert s.ignored == ["conftest.py", "numpy.py", "old/xor_net.py"]
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
    assert "symbolic link" in info.value.message and "符号链接" in info.value.message


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
        check_encoding("x = 1\ny = '\xe9'\n".encode("latin-1"), MODULE)
    assert info.value.status == "bad_encoding" and "UTF-8" in info.value.message and "line 2" in info.value.message
    with pytest.raises(SubmissionProblem):
        check_encoding(b"# -*- coding: klingon -*-\n", MODULE)


def test_check_source_reports_syntax_errors():
    with pytest.raises(SubmissionProblem) as info:
        subs.check_source(b"def f(:\n", MODULE)
    assert info.value.status == "syntax_error" and "line 1" in info.value.message


# -- every kind of upload a course gets ----------------------------------------------------------

def load(path, student=None):
    s = Submission(student or subs.student_name(path, MODULE), path, MODULE)
    return s, s.load()


def problem(path):
    with pytest.raises(SubmissionProblem) as info:
        load(path)
    return info.value


def bilingual(text):
    return " / " in text and any("\u4e00" <= ch <= "\u9fff" for ch in text)


def test_tar_archives_are_read_with_the_standard_library(tmp_path):
    import io
    import tarfile

    for name, mode in (("a.tar.gz", "w:gz"), ("b.tgz", "w:gz"), ("c.tar", "w"), ("d.tar.xz", "w:xz")):
        with tarfile.open(tmp_path / name, mode) as tar:
            for member, body in ((f"s/{MODULE}", b"ok = True\n"), ("s/data.bin", b"\0" * 1000)):
                info = tarfile.TarInfo(member)
                info.size, info.mtime = len(body), 1_700_000_000
                tar.addfile(info, io.BytesIO(body))
            link = tarfile.TarInfo(f"evil/{MODULE}")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(link)
        s, data = load(tmp_path / name)
        assert data == b"ok = True\n" and s.student == name.split(".")[0]
        assert s.submitted_at.startswith("2023-11-14") and "s/data.bin" in s.ignored
        assert any("evil" in i and "link" in i for i in s.ignored)


def test_notebooks_are_graded_as_the_module_their_cells_make(tmp_path):
    import json

    nb = {"cells": [{"cell_type": "markdown", "source": "# hi"},
                    {"cell_type": "code", "source": ["import numpy as np\n", "%matplotlib inline\n"]},
                    {"cell_type": "code", "source": "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nora.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    s, data = load(tmp_path / "nora.ipynb")
    text = data.decode("utf-8")
    assert "def sigmoid" in text and "import numpy" in text and "%matplotlib" not in text
    compile(text, MODULE, "exec")
    assert any("nora.ipynb" in n and bilingual(n) for n in s.notes)
    with zipfile.ZipFile(tmp_path / "olga.zip", "w") as z:  # a zip holding only the notebook
        z.writestr("olga/a1.ipynb", json.dumps(nb))
        z.writestr("olga/.ipynb_checkpoints/a1-checkpoint.ipynb", json.dumps(nb))
    assert b"def sigmoid" in load(tmp_path / "olga.zip")[1]
    (tmp_path / "two").mkdir()
    for name in ("a.ipynb", "b.ipynb"):
        (tmp_path / "two" / name).write_text(json.dumps(nb), encoding="utf-8")
    assert problem(tmp_path / "two").status == "ambiguous_module"
    (tmp_path / "broken.ipynb").write_text("{not json", encoding="utf-8")
    assert problem(tmp_path / "broken.ipynb").status == "syntax_error"


def test_7z_and_rar_without_their_readers_say_what_to_do(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "py7zr", None)
    monkeypatch.setitem(sys.modules, "rarfile", None)
    for name, needs in (("s.7z", "py7zr"), ("t.rar", "rarfile")):
        (tmp_path / name).write_bytes(b"whatever")
        got = problem(tmp_path / name)
        assert got.status == "unsupported_format" and needs in got.message and bilingual(got.message)


def test_7z_is_read_with_py7zr_when_installed(tmp_path):
    py7zr = pytest.importorskip("py7zr")
    with py7zr.SevenZipFile(tmp_path / "sam.7z", "w") as z:
        z.writestr(b"seven = 7\n", f"sam/{MODULE}")
        z.writestr(b"x" * 100, "sam/notes.txt")
    s, data = load(tmp_path / "sam.7z")
    assert data == b"seven = 7\n" and s.ignored == ["sam/notes.txt"]


def test_two_different_copies_are_ambiguous_unless_the_others_are_backups(tmp_path):
    def folder(name, files):
        for rel, body in files.items():
            (tmp_path / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / rel).write_text(body)
        return tmp_path / name

    got = problem(folder("v", {f"v1/{MODULE}": "a = 1\n", f"v2/{MODULE}": "a = 2\n"}))
    assert got.status == "ambiguous_module" and "v1/xor_net.py" in got.message and "v2/xor_net.py" in got.message
    got = problem(folder("broken", {MODULE: "def f(:\n", f"final/{MODULE}": "a = 2\n"}))
    assert got.status == "ambiguous_module" and bilingual(got.message)
    s, data = load(folder("same", {MODULE: "a = 1\n", f"copy/{MODULE}": "a = 1\n"}))
    assert data == b"a = 1\n"
    s, data = load(folder("bak", {f"src/{MODULE}": "new = 1\n", f"backup/{MODULE}": "old = 1\n",
                                  f"旧版本/{MODULE}": "older = 1\n"}))
    assert data == b"new = 1\n" and any("backup" in n for n in s.notes)
    got = problem(folder("badbak", {f"src/{MODULE}": "def f(:\n", f"old/{MODULE}": "old = 1\n"}))
    assert got.status == "ambiguous_module"  # the one kept must at least compile


def test_big_zip_with_a_checkpoint_is_graded(tmp_path):
    path = tmp_path / "ckpt.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(f"ckpt/{MODULE}", "ok = True\n")
        with z.open("ckpt/model.pt", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(250):
                fh.write(chunk)
    s, data = load(path)
    assert data == b"ok = True\n" and "ckpt/model.pt" in s.ignored


def test_too_large_names_the_module(tmp_path):
    with zipfile.ZipFile(tmp_path / "huge.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr(f"h/{MODULE}", b"#" * (subs.MAX_MODULE_BYTES + 10))
    got = problem(tmp_path / "huge.zip")
    assert got.status == "too_large" and f"h/{MODULE}" in got.message and bilingual(got.message)


def test_source_decoding(tmp_path):
    gbk = "# 中文注释：训练网络\nx = '异或'\n".encode("gbk")
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / MODULE).write_bytes(gbk)
    s, data = load(tmp_path / "g")
    assert data.decode("utf-8") == "# 中文注释：训练网络\nx = '异或'\n"
    assert any("GBK" in n and "line 1" in n and bilingual(n) for n in s.notes)
    (tmp_path / "u16.py").write_bytes("x = '你好'\n".encode("utf-16"))
    s, data = load(tmp_path / "u16.py")
    assert data == "x = '你好'\n".encode("utf-8") and any("UTF-16" in n for n in s.notes)
    (tmp_path / "nul.py").write_bytes(b"x = 1\ny = 2\x00\n")
    got = problem(tmp_path / "nul.py")
    assert got.status == "syntax_error" and "line 2" in got.message and "None" not in got.message
    (tmp_path / "empty.py").write_bytes(b"\n  \n")
    got = problem(tmp_path / "empty.py")
    assert got.status == "empty" and bilingual(got.message)
    (tmp_path / "UPPER.PY").write_text("x = 1\n")
    assert load(tmp_path / "UPPER.PY")[1] == b"x = 1\n"


def test_unsupported_and_unreadable_entries(tmp_path, monkeypatch):
    from ailit_core.grade import archives

    (tmp_path / "doc.docx").write_bytes(b"PK")
    got = problem(tmp_path / "doc.docx")
    assert got.status == "unsupported_format" and bilingual(got.message)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / MODULE).write_text("x = 1\n")
    (tmp_path / "locked.py").write_text("x = 1\n")
    real_open, real_scandir = open, archives.os.scandir

    def denied_open(path, *args, **kwargs):  # the grader is root here: fake what a TA account meets
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(archives, "open", denied_open, raising=False)
    for path in (tmp_path / "locked", tmp_path / "locked.py"):
        got = problem(path)
        assert got.status == "unreadable" and "chmod" in got.message and bilingual(got.message)

    def denied_scandir(path):
        if "locked" in str(path):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(archives.os, "scandir", denied_scandir)
    assert problem(tmp_path / "locked").status == "unreadable"  # not "empty"
    (tmp_path / "dangling.zip").symlink_to(tmp_path / "gone.zip")
    got = problem(tmp_path / "dangling.zip")
    assert got.status == "unreadable" and "gone.zip" in got.message and bilingual(got.message)


def test_output_and_gradebook_folders_are_never_students(tmp_path):
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / MODULE).write_text("x = 1\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "old-out").mkdir()
    (tmp_path / "old-out" / ".ailit-tests.json").write_text("{}")
    (tmp_path / "alice.pdf").write_bytes(b"%PDF")
    found = discover(tmp_path, MODULE, out=tmp_path / "out")
    assert [s.student for s in found] == ["alice"]
    assert found[0].extra == [tmp_path / "alice.pdf"]  # rides along, listed as ignored
    skipped = subs.skipped_entries(tmp_path, tmp_path / "out")
    assert [e.split(" ")[0] for e in skipped] == ["old-out/", "out/"]


def test_zip_member_names_from_chinese_windows_and_macos_are_readable(tmp_path):
    path = tmp_path / "li.zip"
    names = [("作业/说明.txt", "gbk"), ("笔记/读我.md", "utf-8")]  # stored without the UTF-8 flag
    raw = [name.encode(encoding) for name, encoding in names]
    placeholders = [bytes([ord("a") + i]) * len(r) for i, r in enumerate(raw)]
    with zipfile.ZipFile(path, "w") as z:
        for placeholder in placeholders:
            z.writestr(placeholder.decode(), "x")
        z.writestr(f"src/{MODULE}", "ok = 1\n")
    data = path.read_bytes()
    for placeholder, name in zip(placeholders, raw):
        data = data.replace(placeholder, name)
    path.write_bytes(data)
    s, module = read(path)
    assert module == b"ok = 1\n" and s.ignored == ["作业/说明.txt", "笔记/读我.md"]


def test_an_archive_inside_the_submission_is_opened_once(tmp_path):
    import io

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(f"src/{MODULE}", "inner = 1\n")
        z.writestr("src/readme.md", "hi")
    (tmp_path / "amy").mkdir()  # an LMS bulk download: one folder per student, their zip inside
    (tmp_path / "amy" / "amy_hw1.zip").write_bytes(inner.getvalue())
    (tmp_path / "amy" / "comments.txt").write_text("x")
    s, data = load(tmp_path / "amy")
    assert data == b"inner = 1\n" and any("amy_hw1.zip" in n for n in s.notes)
    assert "comments.txt" in s.ignored and "src/readme.md" in s.ignored
    with zipfile.ZipFile(tmp_path / "bo.zip", "w") as z:  # a zip of a zip
        z.writestr("bo/hw.zip", inner.getvalue())
    assert load(tmp_path / "bo.zip")[1] == b"inner = 1\n"
    deeper = io.BytesIO()
    with zipfile.ZipFile(deeper, "w") as z:
        z.writestr("again.zip", (tmp_path / "bo.zip").read_bytes())
    (tmp_path / "cy.zip").write_bytes(deeper.getvalue())
    assert problem(tmp_path / "cy.zip").status == "missing_module"  # one level only


def test_names_that_are_not_utf8_on_disk_become_text(tmp_path):
    import os

    folder = os.path.join(os.fsencode(tmp_path), "张三".encode("gbk"))  # unzip restores GBK bytes as they are
    os.mkdir(folder)
    with open(os.path.join(folder, MODULE.encode()), "w") as fh:
        fh.write("x = 1\n")
    with open(os.path.join(folder, "说明.txt".encode("gbk")), "w") as fh:
        fh.write("x")
    found = discover(tmp_path, MODULE)
    assert [s.student for s in found] == ["张三"]
    s, data = load(found[0].path)
    assert data == b"x = 1\n" and s.ignored == ["说明.txt"]
    "".join(s.ignored + [s.name]).encode("utf-8")  # storable in every gradebook file


def test_hostile_notebooks_and_backup_copies_are_rows_not_crashes(tmp_path):
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    assert problem(tmp_path / "deep.ipynb").status == "syntax_error"
    (tmp_path / "odd.ipynb").write_text('{"cells": [{"cell_type": "code", "source": 42}]}')
    assert problem(tmp_path / "odd.ipynb").status == "syntax_error"
    (tmp_path / "nest" / "old").mkdir(parents=True)
    (tmp_path / "nest" / MODULE).write_text("x = " + "(" * 200_000 + ")" * 200_000 + "\n")
    (tmp_path / "nest" / "old" / MODULE).write_text("x = 1\n")
    assert problem(tmp_path / "nest").status == "ambiguous_module"  # the kept copy does not compile
