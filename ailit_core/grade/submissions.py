"""Finding submissions in a folder and reading exactly one module file out of each.

A submission is a folder holding the module (at any depth), a ``.zip`` of such a folder, or a bare
``<student>.py``. Only the module's bytes are taken; everything else a submission ships is listed
as ignored so the TA sees it. Zips are never extracted: the one member is read into memory after
checking sizes and counts, so path traversal and links cannot reach the disk.
"""

from __future__ import annotations

import hashlib
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_MODULE_BYTES = 2 * 1024 * 1024
MAX_ZIP_MEMBERS = 2000
MAX_ZIP_TOTAL_BYTES = 200 * 1024 * 1024
IGNORED_NAMES = {".DS_Store", "__MACOSX", "__pycache__", ".ipynb_checkpoints"}


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

    def read_module(self) -> bytes:
        """The module's bytes; raises SubmissionProblem with a clear status and message."""
        if self.path.is_file() and self.path.suffix == ".py":
            data = _read_bounded(self.path)
        elif self.path.is_file() and self.path.suffix.lower() == ".zip":
            data = self._read_from_zip()
        elif self.path.is_dir():
            data = self._read_from_folder()
        else:
            raise SubmissionProblem("missing_module", f"{self.path.name} is not a folder, .zip or .py file")
        return data

    def _missing(self, where: str) -> SubmissionProblem:
        return SubmissionProblem(
            "missing_module",
            f"no {self.module_filename} in {where}; the file must be named exactly {self.module_filename} "
            f"/ 提交中没有 {self.module_filename}，文件名必须完全一致",
        )

    def _read_from_folder(self) -> bytes:
        matches = sorted(
            p for p in self.path.rglob(self.module_filename)
            if p.is_file() and not p.is_symlink() and not (set(p.relative_to(self.path).parts) & IGNORED_NAMES)
        )
        if not matches:
            raise self._missing(f"folder {self.path.name}/")
        chosen = min(matches, key=lambda p: len(p.parts))
        self.ignored = sorted(
            str(p.relative_to(self.path)) for p in self.path.rglob("*")
            if p.is_file() and p != chosen and not (set(p.relative_to(self.path).parts) & IGNORED_NAMES)
        )
        return _read_bounded(chosen)

    def _read_from_zip(self) -> bytes:
        try:
            with zipfile.ZipFile(self.path) as archive:
                infos = archive.infolist()
                if len(infos) > MAX_ZIP_MEMBERS:
                    raise SubmissionProblem("bad_zip", f"zip has {len(infos)} entries (limit {MAX_ZIP_MEMBERS})")
                if sum(i.file_size for i in infos) > MAX_ZIP_TOTAL_BYTES:
                    raise SubmissionProblem("bad_zip", "zip expands to more than 200 MB")
                candidates = []
                for info in infos:
                    parts = Path(info.filename).parts
                    if info.is_dir() or set(parts) & IGNORED_NAMES:
                        continue
                    is_link = stat.S_ISLNK(info.external_attr >> 16)
                    if parts and parts[-1] == self.module_filename and not is_link and ".." not in parts:
                        candidates.append(info)
                    else:
                        self.ignored.append(info.filename)
                if not candidates:
                    raise self._missing(f"zip {self.path.name}")
                chosen = min(candidates, key=lambda i: len(Path(i.filename).parts))
                self.ignored += [i.filename for i in candidates if i is not chosen]
                if chosen.file_size > MAX_MODULE_BYTES:
                    raise SubmissionProblem("bad_zip", f"{chosen.filename} is larger than 2 MB")
                with archive.open(chosen) as member:
                    data = member.read(MAX_MODULE_BYTES + 1)
                if len(data) > MAX_MODULE_BYTES:
                    raise SubmissionProblem("bad_zip", f"{chosen.filename} is larger than 2 MB")
                return data
        except SubmissionProblem:
            raise
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, NotImplementedError, ValueError) as exc:
            raise SubmissionProblem("bad_zip", f"cannot read {self.path.name} as a zip file ({exc}) / 压缩包损坏") from None


def _read_bounded(path: Path) -> bytes:
    if path.stat().st_size > MAX_MODULE_BYTES:
        raise SubmissionProblem("too_large", f"{path.name} is larger than 2 MB")
    return path.read_bytes()


def check_source(data: bytes, filename: str) -> str:
    """Decode and compile the module; raises SubmissionProblem for bad encoding or syntax."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SubmissionProblem(
            "bad_encoding",
            f"{filename} is not UTF-8 text (byte {exc.start}); save it as UTF-8 / 请以 UTF-8 编码保存文件",
        ) from None
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
    """Every submission in ``folder``, sorted by student; hidden files are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionProblem("missing_folder", f"{folder} is not a folder of submissions / 提交目录不存在")
    found = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith(".") or entry.name in IGNORED_NAMES:
            continue
        if entry.is_dir() or entry.suffix.lower() in (".zip", ".py"):
            found.append(Submission(student_name(entry, module_filename), entry, module_filename))
    return found
