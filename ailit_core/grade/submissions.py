"""Finding submissions in a folder and reading exactly one module file out of each.

A submission is a folder holding the module (at any depth), a ``.zip`` of such a folder, or a bare
``<student>.py``. Only the module's bytes are taken; everything else a submission ships is listed
as ignored, with a note for files that would have changed the test run had they been used
(``conftest.py``, ``pytest.ini``, ``sitecustomize.py``, modules named like installed libraries).
Zips are never extracted: the one member is read into memory after checking sizes and counts, so
path traversal, links and zip bombs cannot reach the disk. Inside a folder, links are not followed.

The module is never compiled or run here: that happens in the isolated run (``engine``).
"""

from __future__ import annotations

import codecs
import hashlib
import importlib.util
import io
import stat
import sys
import tokenize
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ailit_core.grade.results import (
    STATUS_BAD_ZIP, STATUS_EMPTY, STATUS_ENCODING, STATUS_MISSING, STATUS_TOO_LARGE,
)

MAX_MODULE_BYTES = 2 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
MAX_FOLDER_ENTRIES = 5000
IGNORED_NAMES = {".DS_Store", "__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "Thumbs.db"}
CONFIG_FILES = {
    "conftest.py": "pytest configuration", "pytest.ini": "pytest configuration", "tox.ini": "pytest configuration",
    "setup.cfg": "pytest configuration", "pyproject.toml": "pytest configuration",
    "sitecustomize.py": "interpreter start-up hook", "usercustomize.py": "interpreter start-up hook",
}


class SubmissionProblem(Exception):
    """A submission that cannot be graded as it is; ``status`` goes in the gradebook."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Submission:
    student: str
    path: Path
    module_filename: str
    ignored: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.path.is_dir():
            return "folder"
        return "zip" if self.path.suffix.lower() == ".zip" else "file"

    def read_module(self) -> bytes:
        """The module's bytes; raises SubmissionProblem with a clear status and message."""
        self.ignored = []
        if self.path.is_file() and self.path.suffix == ".py":
            if self.path.name != self.module_filename and self.path.stem != self.student:
                raise self._missing(self.path.name)
            data = _read_bounded(self.path)
        elif self.path.is_file() and self.path.suffix.lower() == ".zip":
            data = self._read_from_zip()
        elif self.path.is_dir():
            data = self._read_from_folder()
        else:
            raise SubmissionProblem(STATUS_MISSING, f"{self.path.name} is not a folder, .zip or .py file")
        return data

    def ignored_notes(self) -> list[str]:
        """The ignored files, each with why it matters when it would have changed the run."""
        return [f"{name} ({why})" if (why := ignored_reason(name)) else name for name in self.ignored]

    def _missing(self, where: str, contents: list[str] | None = None) -> SubmissionProblem:
        seen = ""
        if contents:
            shown = ", ".join(contents[:10]) + (" …" if len(contents) > 10 else "")
            seen = f" (it holds: {shown})"
        return SubmissionProblem(
            STATUS_MISSING,
            f"no {self.module_filename} in {where}{seen}; the file must be named exactly {self.module_filename} "
            f"/ 提交中没有 {self.module_filename}，文件名必须完全一致",
        )

    def _read_from_folder(self) -> bytes:
        files = []
        for count, p in enumerate(_walk(self.path)):
            if count >= MAX_FOLDER_ENTRIES:
                raise SubmissionProblem(STATUS_TOO_LARGE, f"folder {self.path.name}/ holds more than "
                                                          f"{MAX_FOLDER_ENTRIES} files / 文件过多")
            files.append(p)
        if not files:
            raise SubmissionProblem(STATUS_EMPTY, f"folder {self.path.name}/ is empty / 提交的文件夹是空的")
        matches = [p for p in files if p.name == self.module_filename and not p.is_symlink()]
        rel = lambda p: p.relative_to(self.path).as_posix()  # noqa: E731
        if not matches:
            raise self._missing(f"folder {self.path.name}/", [rel(p) for p in files])
        chosen = min(matches, key=lambda p: (len(p.parts), str(p)))
        self.ignored = sorted(rel(p) for p in files if p != chosen)
        return _read_bounded(chosen)

    def _read_from_zip(self) -> bytes:
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
                if len(infos) > MAX_ZIP_MEMBERS:
                    raise SubmissionProblem(STATUS_BAD_ZIP, f"zip has {len(infos)} entries (limit {MAX_ZIP_MEMBERS})")
                if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL_BYTES:
                    raise SubmissionProblem(STATUS_BAD_ZIP, "zip expands to more than 200 MB / 压缩包解压后过大")
                candidates, members = [], []
                for info in infos:
                    name = info.filename.replace("\\", "/")
                    parts = [p for p in name.split("/") if p]
                    if info.is_dir() or not parts or set(parts) & IGNORED_NAMES:
                        continue
                    members.append(name)
                    unsafe = ".." in parts or name.startswith("/") or stat.S_ISLNK(info.external_attr >> 16)
                    if parts[-1] == self.module_filename and not unsafe:
                        candidates.append(info)
                    elif unsafe:
                        self.ignored.append(f"{name} (unsafe path or link: never extracted)")
                    else:
                        self.ignored.append(name)
                if not members:
                    raise SubmissionProblem(STATUS_EMPTY, f"zip {self.path.name} is empty / 压缩包是空的")
                if not candidates:
                    raise self._missing(f"zip {self.path.name}", members)
                chosen = min(candidates, key=lambda i: (i.filename.count("/"), i.filename))
                self.ignored += [i.filename for i in candidates if i is not chosen]
                if chosen.file_size > MAX_MODULE_BYTES:
                    raise SubmissionProblem(STATUS_TOO_LARGE, f"{chosen.filename} is larger than 2 MB / 文件超过 2 MB")
                with archive.open(chosen) as member:
                    data = member.read(MAX_MODULE_BYTES + 1)
                if len(data) > MAX_MODULE_BYTES:
                    raise SubmissionProblem(STATUS_TOO_LARGE, f"{chosen.filename} is larger than 2 MB / 文件超过 2 MB")
                return data
        except SubmissionProblem:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, ValueError,
                RuntimeError, KeyError) as exc:
            raise SubmissionProblem(STATUS_BAD_ZIP, f"cannot read {self.path.name} as a zip file ({exc}) "
                                                    f"/ 压缩包损坏或无法读取") from None


def _walk(folder: Path):
    """Files under ``folder`` (sorted, no links followed, clutter such as __MACOSX skipped)."""
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            entries = sorted(current.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name in IGNORED_NAMES:
                continue
            if entry.is_symlink():
                yield entry  # listed (as ignored), never read
            elif entry.is_dir():
                stack.append(entry)
            elif entry.is_file():
                yield entry


def _read_bounded(path: Path) -> bytes:
    if path.stat().st_size > MAX_MODULE_BYTES:
        raise SubmissionProblem(STATUS_TOO_LARGE, f"{path.name} is larger than 2 MB / 文件超过 2 MB")
    with path.open("rb") as fh:
        data = fh.read(MAX_MODULE_BYTES + 1)
    if len(data) > MAX_MODULE_BYTES:
        raise SubmissionProblem(STATUS_TOO_LARGE, f"{path.name} is larger than 2 MB / 文件超过 2 MB")
    return data


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
    """Raise SubmissionProblem unless Python can decode the source (UTF-8, or a declared coding)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        codecs.lookup(encoding)
        data.decode(encoding)
    except (SyntaxError, LookupError):
        raise SubmissionProblem(STATUS_ENCODING, f"{filename} declares an unknown text encoding; save it as UTF-8 "
                                                 f"/ 请以 UTF-8 编码保存文件") from None
    except UnicodeDecodeError as exc:
        raise SubmissionProblem(
            STATUS_ENCODING,
            f"{filename} is not UTF-8 text (byte {exc.start}); save it as UTF-8 / 请以 UTF-8 编码保存文件",
        ) from None


def check_source(data: bytes, filename: str) -> str:
    """Decode and compile the module (for tools; the grader leaves compiling to the isolated run)."""
    check_encoding(data, filename)
    text = data.decode(tokenize.detect_encoding(io.BytesIO(data).readline)[0])
    try:
        compile(text, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SubmissionProblem(
            "syntax_error", f"{filename} line {exc.lineno}: SyntaxError: {exc.msg} / 第 {exc.lineno} 行语法错误"
        ) from None
    except ValueError as exc:  # e.g. null bytes
        raise SubmissionProblem("syntax_error", f"{filename}: {exc}") from None
    return text


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def student_name(path: Path, module_filename: str) -> str:
    if path.is_file() and path.suffix.lower() in (".zip", ".py"):
        return path.stem
    return path.name


def discover(folder: Path, module_filename: str) -> list[Submission]:
    """Every submission in ``folder``, sorted by student (duplicates included; see ``group``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionProblem("missing_folder", f"{folder} is not a folder of submissions (missing) / 提交目录不存在")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if entry.is_dir() or entry.suffix.lower() in (".zip", ".py"):
            found.append(Submission(student_name(entry, module_filename), entry, module_filename))
    found.sort(key=lambda s: (s.student, s.path.name))
    return found


def skipped_entries(folder: Path) -> list[str]:
    """Entries of the submissions folder that are not submissions (shown in the batch summary)."""
    return sorted(e.name for e in Path(folder).iterdir()
                  if not e.name.startswith(".") and e.name not in IGNORED_NAMES
                  and not (e.is_dir() or e.suffix.lower() in (".zip", ".py")))


def group(submissions: list[Submission]) -> dict[str, list[Submission]]:
    """Submissions by student; more than one for a student is a ``duplicate``."""
    by_student: dict[str, list[Submission]] = {}
    for s in submissions:
        by_student.setdefault(s.student, []).append(s)
    return by_student
