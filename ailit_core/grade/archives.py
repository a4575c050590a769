"""What a submission holds, listed the same way for a folder and every archive format.

Each source lists ``Member``s (name, size, time, kind) and reads one member into memory with a
size bound; nothing is ever extracted, so path traversal, links and decompression bombs cannot
reach the disk, and a 250 MB checkpoint next to the module costs a listing entry, not a read.
Formats: folders, ``.zip`` and ``.tar``/``.tar.gz``/``.tgz``/``.tar.bz2``/``.tar.xz`` (standard
library), ``.7z`` (py7zr) and ``.rar`` (rarfile, which needs an ``unrar``/``bsdtar`` tool for
compressed entries) when those are installed; otherwise a status that says what to do.
"""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ailit_core.grade.problems import SubmissionProblem
from ailit_core.grade.results import STATUS_BAD_ZIP, STATUS_TOO_LARGE, STATUS_UNREADABLE, STATUS_UNSUPPORTED

ARCHIVE_SUFFIXES = {".zip": "zip", ".tar": "tar", ".tar.gz": "tar", ".tgz": "tar", ".tar.bz2": "tar",
                    ".tbz2": "tar", ".tbz": "tar", ".tar.xz": "tar", ".txz": "tar", ".7z": "7z", ".rar": "rar"}
MAX_MEMBERS = 100_000  # listing more is a sign of a generated tree (a venv, a data set), not a submission
MAX_NESTED_BYTES = 256 * 1024 * 1024  # an archive inside the submission is read into memory
MAX_TAR_SCAN_BYTES = 4 * 1024 ** 3  # a compressed tar is read sequentially: bound the decompression
IGNORED_NAMES = {".DS_Store", "__MACOSX", "__pycache__", ".ipynb_checkpoints", ".git", "Thumbs.db", "desktop.ini",
                 ".venv", "venv", "node_modules", ".idea", ".vscode"}


@dataclass
class Member:
    name: str  # posix path inside the submission
    size: int
    kind: str  # "file", "link" (never followed), "unsafe" (absolute, "..", device), "unreadable"
    mtime: str = ""  # ISO time of the last change, "" if unknown
    ref: object = None  # the format's own handle (ZipInfo, TarInfo, Path, name)


def suffix_of(name: str) -> str:
    """The archive/notebook/.py suffix of a file name, lower-case ('' if none of ours)."""
    lower = name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    for suffix in (".py", ".ipynb"):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix
    return ""


def display_name(name: str) -> str:
    """A file name as text: names a Windows zip tool wrote in GBK and unzip restored byte for byte
    are not UTF-8, so Python holds them with surrogates, which no file or CSV can store."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        raw = os.fsencode(name)
    try:
        return raw.decode("gbk")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _iso(timestamp: float | None) -> str:
    if not timestamp:
        return ""
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        return ""


def _ignored(parts: list[str]) -> bool:
    return bool(set(parts) & IGNORED_NAMES) or any(p.startswith("._") for p in parts)  # macOS resource forks


def _unreadable(path: Path, exc: OSError) -> SubmissionProblem:
    who, name, why = _account(), display_name(path.name), exc.strerror or exc
    return SubmissionProblem(
        STATUS_UNREADABLE,
        f"cannot read {name} ({why}); the grader runs as {who}: make the file readable (chmod -R a+rX) or ask "
        f"the student to upload it again / 无法读取 {name}（{why}），评分账户 {who} 没有读取权限：请修改权限"
        f"（chmod -R a+rX）或请学生重新上传")


def _account() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, OSError):
        return "this account"


def _too_large(name: str, limit: int) -> SubmissionProblem:
    return SubmissionProblem(STATUS_TOO_LARGE, f"{name} is larger than {limit // (1024 * 1024)} MB: only the "
                                               f"module is graded and it must stay under that / {name} 超过 "
                                               f"{limit // (1024 * 1024)} MB，模块文件不能超过此大小")


class Source:
    """A context manager: ``members()`` then ``read(member, limit)``."""

    label = "archive"

    def __init__(self, path: Path, fileobj=None):
        self.path = Path(path)
        self.fileobj = fileobj  # an archive read from inside another one (bytes in memory)
        self.source = fileobj if fileobj is not None else self.path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        pass

    def members(self) -> list[Member]:
        raise NotImplementedError

    def read(self, member: Member, limit: int) -> bytes:
        """The member's bytes; ``too_large`` past ``limit`` (checked on the listed size first, so a
        big member is never decompressed, and again on what was read)."""
        if member.size > limit:
            raise _too_large(member.name, limit)
        data = self._read(member, limit + 1)
        if len(data) > limit:
            raise _too_large(member.name, limit)
        return data

    def _read(self, member: Member, at_most: int) -> bytes:
        raise NotImplementedError

    @property
    def name(self) -> str:
        return display_name(self.path.name)

    def where(self) -> str:
        return f"{self.label} {self.name}"


class FolderSource(Source):
    label = "folder"

    def __init__(self, path: Path, max_entries: int):
        super().__init__(path)
        self.max_entries = max_entries
        self.truncated = False

    def where(self) -> str:
        return f"folder {self.name}/"

    def members(self) -> list[Member]:
        """Breadth first (so the shallowest module is listed even in a huge tree), links not followed."""
        found: list[Member] = []
        queue = deque([self.path])
        while queue:
            current = queue.popleft()
            try:
                entries = sorted(os.scandir(current), key=lambda e: e.name)
            except OSError as exc:
                if current == self.path:
                    raise _unreadable(self.path, exc) from None
                found.append(Member(display_name(Path(current).relative_to(self.path).as_posix()) + "/", 0,
                                    "unreadable"))
                continue
            for entry in entries:
                if entry.name in IGNORED_NAMES or entry.name.startswith("._"):
                    continue
                rel = display_name(Path(entry.path).relative_to(self.path).as_posix())
                try:
                    if entry.is_symlink():
                        found.append(Member(rel, 0, "link", ref=Path(entry.path)))
                    elif entry.is_dir():
                        queue.append(entry.path)
                    elif entry.is_file():
                        info = entry.stat(follow_symlinks=False)
                        found.append(Member(rel, info.st_size, "file", _iso(info.st_mtime), Path(entry.path)))
                    else:
                        found.append(Member(rel, 0, "unsafe"))
                except OSError:
                    found.append(Member(rel, 0, "unreadable"))
                if len(found) >= self.max_entries:
                    self.truncated = True
                    return found
        return found

    def _read(self, member: Member, at_most: int) -> bytes:
        try:
            with open(member.ref, "rb") as fh:
                return fh.read(at_most)
        except OSError as exc:
            raise _unreadable(Path(member.ref), exc) from None


class ZipSource(Source):
    label = "zip"

    def __init__(self, path: Path, fileobj=None):
        super().__init__(path, fileobj)
        try:
            self.archive = zipfile.ZipFile(self.source)
        except PermissionError as exc:
            raise _unreadable(self.path, exc) from None
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as exc:
            raise _bad_archive(self.path, exc) from None

    def close(self) -> None:
        self.archive.close()

    def members(self) -> list[Member]:
        found = []
        infos = self.archive.infolist()
        if len(infos) > MAX_MEMBERS:
            raise SubmissionProblem(STATUS_TOO_LARGE, _too_big(self.path, sorted(
                (Member(i.filename, i.file_size, "file") for i in infos), key=lambda m: -m.size)[:3]))
        for info in infos:
            name = _zip_name(info).replace("\\", "/")
            parts = [p for p in name.split("/") if p]
            if info.is_dir() or not parts or _ignored(parts):
                continue
            unsafe = ".." in parts or name.startswith("/") or (len(parts[0]) == 2 and parts[0][1] == ":")
            link = stat.S_ISLNK(info.external_attr >> 16)
            try:
                when = datetime(*info.date_time).isoformat(timespec="seconds")  # local time of the zipping machine
            except ValueError:
                when = ""
            found.append(Member("/".join(parts), info.file_size,
                                "unsafe" if unsafe else "link" if link else "file", when, info))
        return found

    def _read(self, member: Member, at_most: int) -> bytes:
        if member.ref.flag_bits & 0x1:
            raise _password(self.path)
        try:
            with self.archive.open(member.ref) as fh:
                return fh.read(at_most)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError, RuntimeError) as exc:
            raise _bad_archive(self.path, exc) from None


def _zip_name(info: zipfile.ZipInfo) -> str:
    """Names without the UTF-8 flag are UTF-8 anyway (macOS) or GBK (Chinese Windows zip tools),
    rarely the CP437 zipfile assumes: show them readably."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gbk"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return info.filename


class TarSource(Source):
    label = "tar archive"

    def __init__(self, path: Path, fileobj=None):
        super().__init__(path, fileobj)
        try:
            self.archive = tarfile.open(name=None if fileobj else self.path, fileobj=fileobj, mode="r:*")
        except PermissionError as exc:
            raise _unreadable(self.path, exc) from None
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _bad_archive(self.path, exc) from None

    def close(self) -> None:
        self.archive.close()

    def members(self) -> list[Member]:
        found, biggest = [], []
        try:
            while (info := self.archive.next()) is not None:
                if self.archive.offset > MAX_TAR_SCAN_BYTES or len(found) > MAX_MEMBERS:
                    biggest = sorted(found, key=lambda m: -m.size)[:3]
                    raise SubmissionProblem(STATUS_TOO_LARGE, _too_big(self.path, biggest))
                parts = [p for p in display_name(info.name).replace("\\", "/").split("/") if p and p != "."]
                if info.isdir() or not parts or _ignored(parts):
                    continue
                unsafe = ".." in parts or info.name.startswith("/")
                kind = ("unsafe" if unsafe or not (info.isfile() or info.issym() or info.islnk())
                        else "link" if info.issym() or info.islnk() else "file")
                found.append(Member("/".join(parts), info.size, kind, _iso(info.mtime), info))
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _bad_archive(self.path, exc) from None
        return found

    def _read(self, member: Member, at_most: int) -> bytes:
        try:
            fh = self.archive.extractfile(member.ref)
            return fh.read(at_most) if fh else b""
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise _bad_archive(self.path, exc) from None


class SevenZipSource(Source):
    label = "7z archive"

    def __init__(self, path: Path, fileobj=None):
        super().__init__(path, fileobj)
        try:
            import py7zr
        except ImportError:
            raise _no_reader(self.path, "py7zr", "pip install py7zr") from None
        self._py7zr = py7zr
        try:
            self.archive = py7zr.SevenZipFile(self.source)
            if self.archive.needs_password():
                raise _password(self.path)
        except SubmissionProblem:
            raise
        except PermissionError as exc:
            raise _unreadable(self.path, exc) from None
        except Exception as exc:  # noqa: BLE001 - py7zr raises many types for a damaged archive
            raise _bad_archive(self.path, exc) from None

    def close(self) -> None:
        self.archive.close()

    def members(self) -> list[Member]:
        found = []
        for info in self.archive.list():
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p]
            if info.is_directory or not parts or _ignored(parts):
                continue
            unsafe = ".." in parts or info.filename.startswith("/")
            when = info.creationtime.isoformat(timespec="seconds") if info.creationtime else ""
            found.append(Member("/".join(parts), info.uncompressed or 0,
                                "unsafe" if unsafe else "link" if info.is_symlink else "file", when, info.filename))
        return found

    def _read(self, member: Member, at_most: int) -> bytes:
        try:
            self.archive.reset()
            factory = self._py7zr.io.BytesIOFactory(at_most)
            self.archive.extract(targets=[member.ref], factory=factory)
            product = factory.products.get(member.ref)
            if product is None:
                return b""
            product.seek(0)
            return product.read()
        except Exception as exc:  # noqa: BLE001
            raise _bad_archive(self.path, exc) from None


class RarSource(Source):
    label = "rar archive"

    def __init__(self, path: Path, fileobj=None):
        super().__init__(path, fileobj)
        try:
            import rarfile
        except ImportError:
            raise _no_reader(self.path, "rarfile (with unrar or bsdtar)",
                             "pip install rarfile; apt install unrar or libarchive-tools") from None
        self._rarfile = rarfile
        try:
            self.archive = rarfile.RarFile(self.source)
        except PermissionError as exc:
            raise _unreadable(self.path, exc) from None
        except Exception as exc:  # noqa: BLE001
            raise _bad_archive(self.path, exc) from None

    def close(self) -> None:
        self.archive.close()

    def members(self) -> list[Member]:
        found = []
        for info in self.archive.infolist():
            parts = [p for p in info.filename.replace("\\", "/").split("/") if p]
            if info.is_dir() or not parts or _ignored(parts):
                continue
            unsafe = ".." in parts or info.filename.startswith("/")
            try:
                when = datetime(*info.date_time).isoformat(timespec="seconds")
            except (TypeError, ValueError):
                when = ""
            found.append(Member("/".join(parts), info.file_size or 0,
                                "unsafe" if unsafe else "link" if info.is_symlink() else "file", when, info))
        return found

    def _read(self, member: Member, at_most: int) -> bytes:
        try:
            with self.archive.open(member.ref) as fh:
                return fh.read(at_most)
        except self._rarfile.RarCannotExec:
            raise _no_reader(self.path, "an unrar or bsdtar tool", "apt install unrar or libarchive-tools") from None
        except SubmissionProblem:
            raise
        except Exception as exc:  # noqa: BLE001
            raise _bad_archive(self.path, exc) from None


def open_source(path: Path, kind: str, fileobj=None) -> Source:
    return {"zip": ZipSource, "tar": TarSource, "7z": SevenZipSource, "rar": RarSource}[kind](path, fileobj)


def open_nested(source: Source, member: Member) -> Source:
    """The archive ``member`` of ``source`` (a zip inside a zip, or inside the student's folder as an
    LMS bulk download leaves it), read into memory within ``MAX_NESTED_BYTES``."""
    kind = ARCHIVE_SUFFIXES[suffix_of(member.name.rsplit("/", 1)[-1])]
    if isinstance(source, FolderSource):
        return open_source(member.ref, kind)
    if member.size > MAX_NESTED_BYTES:
        raise _too_large(member.name, MAX_NESTED_BYTES)
    data = source.read(member, MAX_NESTED_BYTES)
    return open_source(Path(member.name.rsplit("/", 1)[-1]), kind, io.BytesIO(data))


def _bad_archive(path: Path, exc: BaseException) -> SubmissionProblem:
    name = display_name(path.name)
    return SubmissionProblem(STATUS_BAD_ZIP, f"cannot read {name} as an archive ({type(exc).__name__}: {exc}); "
                                             f"upload it again, or upload a .zip / 压缩包 {name} 损坏或无法读取，"
                                             f"请重新上传（建议使用 .zip）")


def _password(path: Path) -> SubmissionProblem:
    name = display_name(path.name)
    return SubmissionProblem(STATUS_BAD_ZIP, f"{name} is password-protected; upload it without a password "
                                             f"/ 压缩包 {name} 设有密码，请上传无密码的压缩包")


def _no_reader(path: Path, what: str, how: str) -> SubmissionProblem:
    name = display_name(path.name)
    return SubmissionProblem(
        STATUS_UNSUPPORTED,
        f"{name} needs {what} to be read, which this grading machine lacks. TA: {how}, then grade again; "
        f"or extract it into a folder named after the student / 读取 {name} 需要 {what}，评分机器上未安装。"
        f"助教：请安装（{how}）后重新评分，或将其解压为以学生命名的文件夹")


def _too_big(path: Path, biggest: list[Member]) -> str:
    name = display_name(path.name)
    named = ", ".join(f"{m.name} ({m.size / 1024 ** 2:.0f} MB)" for m in biggest)
    return (f"{name} is too large to search for the module (largest: {named}); upload only the module "
            f"/ {name} 过大（最大的文件：{named}），请只上传模块文件")
