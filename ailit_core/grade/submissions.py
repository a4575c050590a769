"""Finding submissions in a folder and reading exactly one module out of each.

Every entry of the submissions folder is a submission with a row in the gradebook: a folder, an
archive (``archives``: zip, tar, 7z, rar), a bare ``<student>.py`` or ``.ipynb``; any other file is
one too, with the status ``unsupported_format``. Hidden files, OS clutter (``__MACOSX``) and
gradebook folders (ours, even when ``-o`` points inside the submissions folder) are skipped and
listed in the summary.

Inside a submission only the module's bytes are taken; everything else is listed as ignored, with
a note for files that would have changed the test run had they been used (``conftest.py``,
``sitecustomize.py``, modules named like installed libraries). Which copy of the module is graded
(GRADING.md, "Grading a batch"):

- one file named exactly like the module (links are never followed): that one;
- several identical copies: the shallowest;
- several different copies: ``ambiguous_module``, listing them, unless all but one sit in folders
  named like backups (``backup``, ``old``, ``bak``, ``archive``, ``copy``, 备份, 旧...) and that one
  compiles;
- no module but exactly one notebook: the module its code cells make (``ailit_core.notebook``);
- no module or notebook but exactly one archive (``alice/alice_hw1.zip``): the same, inside it, once.

The module is decoded (``decoding``) but never run here: that happens in the isolated run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ailit_core.grade import archives, decoding
from ailit_core.grade.archives import IGNORED_NAMES, Member, suffix_of
from ailit_core.grade.problems import SubmissionProblem
from ailit_core.grade.results import (
    STATUS_AMBIGUOUS, STATUS_EMPTY, STATUS_MISSING, STATUS_SYNTAX, STATUS_TOO_LARGE,
    STATUS_UNREADABLE, STATUS_UNSUPPORTED,
)

__all__ = ["Submission", "SubmissionProblem", "discover", "skipped_entries", "group", "sha256_of", "check_encoding",
           "check_source", "student_name", "MAX_MODULE_BYTES"]

MAX_MODULE_BYTES = 2 * 1024 * 1024
MAX_NOTEBOOK_BYTES = 64 * 1024 * 1024  # saved outputs (plots) make notebooks large; the module they make is bounded
MAX_FOLDER_ENTRIES = 20_000
MAX_LISTED = 200  # ignored files kept in the record
CONFIG_FILES = {
    "conftest.py": "pytest configuration", "pytest.ini": "pytest configuration", "tox.ini": "pytest configuration",
    "setup.cfg": "pytest configuration", "pyproject.toml": "pytest configuration",
    "sitecustomize.py": "interpreter start-up hook", "usercustomize.py": "interpreter start-up hook",
}
BACKUP_FOLDER = re.compile(
    r"(?i)^(.*[\W_])?(backups?|bak|old|olds|orig|original|archived?|archives|prev|previous|copy|copies|drafts?|"
    r"trash|deprecated|unused|attic)([\W_\d].*)?$|备份|旧|副本|草稿|废弃")
GRADEBOOK_MARKERS = (".ailit-tests.json",)


@dataclass
class Submission:
    student: str
    path: Path
    module_filename: str
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # bilingual: how the module was found or decoded
    submitted_at: str = ""
    extra: list[Path] = field(default_factory=list)  # same student's entries we do not grade (alice.pdf)
    module_path: str = ""

    @property
    def name(self) -> str:
        """The entry's name as text (see ``archives.display_name``)."""
        return archives.display_name(self.path.name)

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "folder"
        suffix = suffix_of(self.path.name)
        if suffix in archives.ARCHIVE_SUFFIXES:
            return archives.ARCHIVE_SUFFIXES[suffix]
        return {".py": "file", ".ipynb": "notebook"}.get(suffix, "other")

    # -- reading -------------------------------------------------------------------------------

    def read_module(self) -> bytes:
        """The module's raw bytes (a notebook's: the module its code cells make); raises
        SubmissionProblem with a clear status and message."""
        self.ignored, self.notes, self.submitted_at, self.module_path = [], [], "", ""
        self._read_cache: dict[str, bytes] = {}
        self.ignored += [f"{archives.display_name(p.name)} (not a submission format / 非提交格式)" for p in self.extra]
        if self.path.is_symlink() and not self.path.exists():
            raise SubmissionProblem(STATUS_UNREADABLE, f"{self.name} is a link to something that does not exist "
                                                       f"({_link_target(self.path)}); put the student's file or folder "
                                                       f"itself here / {self.name} 是指向不存在位置的链接，"
                                                       f"请放入学生提交的文件或文件夹本身")
        kind = self.kind
        if kind == "folder":
            source = archives.FolderSource(self.path, MAX_FOLDER_ENTRIES)
            return self._choose(source)
        if kind in ("zip", "tar", "7z", "rar"):
            with archives.open_source(self.path, kind) as source:
                return self._choose(source)
        if kind in ("file", "notebook"):
            member = self._bare_member()
            source = archives.FolderSource(self.path.parent, 1)
            if kind == "notebook":
                return self._from_notebook(source, member)
            if member.name != self.module_filename and _stem(self.name) != self.student:
                raise self._missing(self.name)
            self.submitted_at, self.module_path = member.mtime, self.name
            return source.read(member, MAX_MODULE_BYTES)
        raise SubmissionProblem(
            STATUS_UNSUPPORTED,
            f"{self.name}: this file type is not graded; upload a folder, a .zip/.tar.gz/.7z/.rar, "
            f"{self.module_filename} or a .ipynb notebook / {self.name}：不支持此文件格式，请提交文件夹、"
            f"压缩包（.zip/.tar.gz/.7z/.rar）、{self.module_filename} 或 .ipynb 笔记本")

    def load(self) -> bytes:
        """The UTF-8 source to grade: ``read_module`` then ``decoding.decode`` (notes kept)."""
        data = self.read_module()
        source, note = decoding.decode(data, self.module_filename)
        if note:
            self.notes.append(note)
        return source

    def ignored_notes(self) -> list[str]:
        """The ignored files, each with why it matters when it would have changed the run."""
        return [f"{name} ({why})" if (why := ignored_reason(name)) else name for name in self.ignored]

    def _bare_member(self) -> Member:
        try:
            info = self.path.stat()
        except OSError as exc:
            raise archives._unreadable(self.path, exc) from None
        return Member(self.name, info.st_size, "file", archives._iso(info.st_mtime), self.path)

    def _missing(self, where: str, contents: list[str] | None = None, hint: str = "") -> SubmissionProblem:
        seen = ""
        if contents:
            shown = ", ".join(contents[:10]) + (" …" if len(contents) > 10 else "")
            seen = f" (it holds: {shown})"
        return SubmissionProblem(
            STATUS_MISSING,
            f"no {self.module_filename} in {where}{seen}{hint}; the file must be named exactly {self.module_filename} "
            f"/ 提交中没有 {self.module_filename}，文件名必须完全一致",
        )

    def _choose(self, source: archives.Source, depth: int = 0) -> bytes:
        members = source.members()
        if not members:
            raise SubmissionProblem(STATUS_EMPTY, f"{source.where()} is empty / 提交的{_zh(source)}是空的")
        named = [m for m in members if m.name.rsplit("/", 1)[-1] == self.module_filename]
        usable = [m for m in named if m.kind == "file"]
        if not usable:
            return self._without_module(source, members, named, depth)
        chosen = self._pick(source, usable)
        self.ignored += _listed([m.name + _kind_note(m) for m in members if m is not chosen])
        self.submitted_at, self.module_path = chosen.mtime, chosen.name
        return self._data_of(source, chosen)

    def _data_of(self, source, member: Member) -> bytes:
        if member.name in self._read_cache:
            return self._read_cache[member.name]
        return source.read(member, MAX_MODULE_BYTES)

    def _without_module(self, source, members: list[Member], named: list[Member], depth: int = 0) -> bytes:
        where = source.where()
        if named:  # only links, unsafe paths or unreadable copies
            first = named[0]
            if first.kind == "unreadable":
                raise SubmissionProblem(STATUS_UNREADABLE, f"{first.name} in {where} cannot be read by the grader; "
                                                           f"make it readable (chmod a+r) / {first.name} 无法读取，请修改权限")
            what = ("a symbolic link; links are never followed, so upload the file itself"
                    if first.kind == "link" else "stored with a path outside the submission (absolute or ..)")
            zh = "是符号链接（不会被跟随），请上传文件本身" if first.kind == "link" else "路径指向提交之外"
            raise SubmissionProblem(STATUS_MISSING, f"{first.name} in {where} is {what} / {first.name} {zh}")
        notebooks = [m for m in members if m.kind == "file" and m.name.lower().endswith(".ipynb")]
        if len(notebooks) == 1:
            self.ignored += _listed([m.name + _kind_note(m) for m in members if m is not notebooks[0]])
            return self._from_notebook(source, notebooks[0])
        if len(notebooks) > 1:
            listed = ", ".join(m.name for m in notebooks[:10])
            raise SubmissionProblem(STATUS_AMBIGUOUS, f"no {self.module_filename} and {len(notebooks)} notebooks in "
                                                      f"{where} ({listed}); keep one and upload again / 没有 "
                                                      f"{self.module_filename}，且有 {len(notebooks)} 个 notebook"
                                                      f"（{listed}），请只保留一个后重新提交")
        nested = [m for m in members
                  if m.kind == "file" and suffix_of(m.name.rsplit("/", 1)[-1]) in archives.ARCHIVE_SUFFIXES]
        if len(nested) == 1 and depth == 0:  # alice/alice.zip, as LMS bulk downloads leave them
            self.ignored += _listed([m.name + _kind_note(m) for m in members if m is not nested[0]])
            with archives.open_nested(source, nested[0]) as inner:
                data = self._choose(inner, depth + 1)
            self.notes.append(f"graded {self.module_path} found inside {nested[0].name} / 已评分 {nested[0].name} "
                              f"中的 {self.module_path}")
            self.module_path = f"{nested[0].name}/{self.module_path}"
            return data
        unreadable = [m.name for m in members if m.kind == "unreadable"]
        if unreadable:
            raise SubmissionProblem(STATUS_UNREADABLE, f"no {self.module_filename} found in {where}, and the grader "
                                                       f"cannot read {', '.join(unreadable[:5])}; make it readable "
                                                       f"(chmod -R a+rX) and grade again / 找不到 {self.module_filename}，"
                                                       f"且无法读取 {', '.join(unreadable[:5])}，请修改权限后重新评分")
        near = [m.name for m in members if m.name.rsplit("/", 1)[-1].lower() == self.module_filename.lower()
                or m.name.rsplit("/", 1)[-1].lower().replace(" ", "") in _near_names(self.module_filename)]
        hint = f"; found {', '.join(near[:3])}: rename it to {self.module_filename}" if near else ""
        if getattr(source, "truncated", False):
            hint += f"; only the first {MAX_FOLDER_ENTRIES} files were searched"
        raise self._missing(where, [m.name for m in members], hint)

    def _pick(self, source, usable: list[Member]) -> Member:
        if len(usable) == 1:
            return usable[0]
        by_depth = sorted(usable, key=lambda m: (m.name.count("/"), m.name))
        if len(usable) > 20:
            raise self._ambiguous(source, by_depth)
        self._read_cache = {m.name: source.read(m, MAX_MODULE_BYTES) for m in by_depth}
        if len(set(self._read_cache.values())) == 1:
            return by_depth[0]  # identical copies: any of them grades the same
        kept = [m for m in by_depth if not _in_backup_folder(m.name)]
        if len(kept) == 1 and _compiles(self._read_cache[kept[0].name], self.module_filename):
            self.notes.append(f"graded {kept[0].name}; the other copies are in backup folders and were not graded "
                              f"/ 已评分 {kept[0].name}，备份文件夹中的其他副本未评分")
            return kept[0]
        raise self._ambiguous(source, by_depth)

    def _ambiguous(self, source, copies: list[Member]) -> SubmissionProblem:
        listed = ", ".join(m.name for m in copies[:10]) + (" …" if len(copies) > 10 else "")
        return SubmissionProblem(
            STATUS_AMBIGUOUS,
            f"{len(copies)} different copies of {self.module_filename} in {source.where()}: {listed}; keep only the one "
            f"to grade (or move the others into a folder named backup/) and upload again / 提交中有 {len(copies)} 份"
            f"不同的 {self.module_filename}（{listed}），请只保留要评分的一份（或将其余移入 backup/ 文件夹）后重新提交")

    def _from_notebook(self, source, member: Member) -> bytes:
        from ailit_core import notebook

        raw = source.read(member, MAX_NOTEBOOK_BYTES)
        try:
            parsed = json.loads(raw.decode("utf-8-sig"))
            if not isinstance(parsed, dict):
                raise ValueError("not a notebook object")
            text = notebook.module_source(notebook.notebook_cells(parsed))
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError, RecursionError) as exc:
            line = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
            raise SubmissionProblem(STATUS_SYNTAX, f"{member.name} is not a readable Jupyter notebook{line}: {exc}; "
                                                   f"save it again in Jupyter, or upload {self.module_filename} / "
                                                   f"{member.name} 不是有效的 Jupyter notebook，请在 Jupyter 中重新保存"
                                                   f"或提交 {self.module_filename}") from None
        data = text.encode("utf-8")
        if len(data) > MAX_MODULE_BYTES:
            raise SubmissionProblem(STATUS_TOO_LARGE, f"the code cells of {member.name} exceed 2 MB / notebook 代码超过 2 MB")
        self.notes.append(f"graded the code cells of {member.name}, in order, as {self.module_filename} "
                          f"/ 已将 {member.name} 的代码单元按顺序合成为 {self.module_filename} 评分")
        self.submitted_at, self.module_path = member.mtime, member.name
        return data


def _link_target(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return "?"


def _zh(source) -> str:
    return "文件夹" if isinstance(source, archives.FolderSource) else "压缩包"


def _kind_note(member: Member) -> str:
    return {"link": " (link: never followed)", "unsafe": " (unsafe path or link: never extracted)",
            "unreadable": " (unreadable)"}.get(member.kind, "")


def _listed(names: list[str]) -> list[str]:
    names = sorted(names)
    if len(names) > MAX_LISTED:
        return names[:MAX_LISTED] + [f"… and {len(names) - MAX_LISTED} more / 另有 {len(names) - MAX_LISTED} 个"]
    return names


def _near_names(module: str) -> set[str]:
    stem = module[:-3]
    return {f"{stem}(1).py", f"{stem}(2).py", f"{stem}.py.txt", f"{stem}.txt", f"{stem}.ipynb.py", f"{stem}-1.py",
            f"{stem}_1.py", f"{stem}copy.py", f"{stem}.py.py"}


def _in_backup_folder(name: str) -> bool:
    return any(BACKUP_FOLDER.search(part) for part in name.split("/")[:-1])


def _compiles(data: bytes, filename: str) -> bool:
    try:
        source, _ = decoding.decode(data, filename)
        compile(source, filename, "exec", dont_inherit=True)
    except (SubmissionProblem, SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def ignored_reason(name: str) -> str:
    base = name.rstrip("/").rsplit("/", 1)[-1].split(" (", 1)[0]
    if base in CONFIG_FILES:
        return f"{CONFIG_FILES[base]}: ignored, it cannot change grading"
    if base.endswith(".pth"):
        return "interpreter start-up hook: ignored"
    if base.endswith(".py") and shadows_library(base[:-3]):
        return f"named like the installed module {base[:-3]}: ignored"
    return ""


def shadows_library(module: str) -> bool:
    if not module.isidentifier():
        return False
    if module in sys.stdlib_module_names or module in sys.builtin_module_names:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_encoding(data: bytes, filename: str) -> None:
    """Raise SubmissionProblem unless the source can be decoded (see ``decoding.decode``)."""
    decoding.decode(data, filename)


def check_source(data: bytes, filename: str) -> str:
    """Decode and compile the module (for tools; the grader leaves compiling to the isolated run)."""
    source, _ = decoding.decode(data, filename)
    text = source.decode("utf-8-sig")
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SubmissionProblem(
            STATUS_SYNTAX, f"{filename} line {exc.lineno}: SyntaxError: {exc.msg} / 第 {exc.lineno} 行语法错误"
        ) from None
    except ValueError as exc:
        raise SubmissionProblem(STATUS_SYNTAX, f"{filename}: {exc} / 源代码无法编译") from None
    return text


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _stem(name: str) -> str:
    suffix = suffix_of(name)
    if suffix:
        return name[: -len(suffix)]
    return Path(name).stem or name


def student_name(path: Path, module_filename: str = "") -> str:
    return archives.display_name(path.name if path.is_dir() else _stem(path.name))


def _is_gradebook(entry: Path, out: Path | None) -> bool:
    try:
        if out is not None and entry.resolve() == Path(out).resolve():
            return True
        return entry.is_dir() and any((entry / m).exists() for m in GRADEBOOK_MARKERS)
    except OSError:
        return False


def _skipped(entry: Path, out: Path | None) -> str | None:
    """Why an entry of the submissions folder is not a submission, or None when it is one."""
    if entry.name.startswith(".") or entry.name in IGNORED_NAMES or entry.name.startswith("~$"):
        return "hidden or system file / 隐藏或系统文件"
    if _is_gradebook(entry, out):
        return "a gradebook folder (grading output), never a student / 评分输出文件夹，不是学生提交"
    return None


def discover(folder: Path, module_filename: str, *, out: Path | None = None) -> list[Submission]:
    """Every submission in ``folder``, sorted by student. A student's entries that we do not grade
    (``alice.pdf`` next to ``alice.zip``) ride along as ``extra``; two gradable entries for one
    student stay separate (``group`` makes them a ``duplicate``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionProblem("missing_folder", f"{folder} is not a folder of submissions (missing) / 提交目录不存在")
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise SubmissionProblem("missing_folder", f"cannot list {folder}: {exc.strerror or exc} / 无法读取提交目录") from None
    found: list[Submission] = []
    for entry in entries:
        if _skipped(entry, out) is None:
            found.append(Submission(student_name(entry, module_filename), entry, module_filename))
    by_student: dict[str, list[Submission]] = {}
    for s in found:
        by_student.setdefault(s.student, []).append(s)
    kept = []
    for subs in by_student.values():
        gradable = [s for s in subs if s.kind != "other"]
        if gradable and len(gradable) < len(subs):
            for s in gradable:
                s.extra = [o.path for o in subs if o.kind == "other"]
            subs = gradable
        kept += subs
    kept.sort(key=lambda s: (s.student, s.path.name))
    return kept


def skipped_entries(folder: Path, out: Path | None = None) -> list[str]:
    """Entries of the submissions folder that are not submissions, each with why (for the summary)."""
    listed = []
    for entry in sorted(Path(folder).iterdir()):
        why = _skipped(entry, out)
        if why is not None and entry.name not in (".", ".."):
            listed.append(f"{archives.display_name(entry.name)}{'/' if entry.is_dir() else ''} — {why}")
    return listed


def group(submissions: list[Submission]) -> dict[str, list[Submission]]:
    """Submissions by student; more than one for a student is a ``duplicate``."""
    by_student: dict[str, list[Submission]] = {}
    for s in submissions:
        by_student.setdefault(s.student, []).append(s)
    return by_student
