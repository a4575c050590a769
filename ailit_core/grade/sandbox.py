"""Isolating one submission's test run on Linux: namespaces, a minimal read-only root, a fresh
unprivileged identity, resource limits, and finding every process the run left behind.

Why hand-written: the usual tools (bubblewrap, nsjail, firejail, Docker) are not Python packages,
are missing from most graders' machines and from Gradescope's image, and Docker is exactly the
dependency that makes otter-grader slow. The handful of system calls needed (unshare, mount,
pivot_root, prctl, capset) are reached through ctypes.

Modes, best first (``AILIT_SANDBOX=full|userns|basic`` forces one; ``probe`` finds what works):

``full`` (grader runs as root, kernel allows namespaces)
    New mount, network and PID namespaces. The run sees a fresh root file system holding only the
    system folders, the Python installation, ``ailit_core`` and data folders, all read-only, plus a
    private size-capped ``/tmp`` and ``/dev/shm``: the rest of the disk (the repository with its
    reference solutions and git history, the submissions folder, the gradebook, home folders) does
    not exist there. Only a loopback interface, down: no network. A fresh random uid/gid per run, no
    capabilities, ``no_new_privs``. The run is PID 1 of its namespace, so when it ends the kernel
    kills every process it started, however it detached.
``userns`` (unprivileged grader, user namespaces allowed)
    The same file system, network and PID isolation inside a user namespace; capabilities are
    dropped once the root is built. Runs as the grader's own uid (no other uid is available).
``basic`` (no namespaces: Docker without CAP_SYS_ADMIN, macOS, locked-down kernels)
    Own session, resource limits, a fresh uid when the grader is root and the Python installation
    is readable by others, and Python-level guards (an audit hook refusing sockets and reads of the
    project's protected folders). Code that calls the C library directly can get past those guards.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import random
import resource
import signal
import stat
from dataclasses import dataclass, field
from pathlib import Path

MODES = ("full", "userns", "basic")
ENV_VAR = "AILIT_SANDBOX"

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWIPC = 0x08000000  # System V shared memory, semaphores, message queues of its own

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_NOATIME = 1024
MS_NODIRATIME = 2048
MS_RELATIME = 1 << 21
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38

_SYSCALLS = {  # only where glibc lacks a wrapper (pivot_root before 2.36)
    "x86_64": {"pivot_root": 155},
    "aarch64": {"pivot_root": 41},
}

# Folders every program needs; bound read-only when they exist. /etc is needed for the dynamic
# loader cache, locale and SSL data; it holds no course material.
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt/conda")
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
GPU_DEVICE_PREFIXES = ("nvidia", "dri")


class SandboxError(OSError):
    """Setting up isolation failed: a grader problem, never the submission's fault."""


_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise SandboxError(code, f"{what}: {os.strerror(code)}")


def _b(path) -> bytes | None:
    return None if path is None else os.fsencode(path)


def unshare(flags: int) -> None:
    _check(libc().unshare(flags), "unshare")


def mount(source, target, fstype, flags: int = 0, data: str | None = None) -> None:
    _check(libc().mount(_b(source), _b(target), _b(fstype), ctypes.c_ulong(flags), _b(data)), f"mount {target}")


def bind(source, target, *, readonly: bool = True, recursive: bool = True) -> None:
    mount(source, target, None, MS_BIND | (MS_REC if recursive else 0))
    if readonly:
        # A bind mount ignores MS_RDONLY on creation; it takes a remount to apply it.
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
        try:
            mount(None, target, None, flags)
        except SandboxError:
            # Mount flags locked by an outer namespace (noexec, nodev...) must be kept as they are.
            mount(None, target, None, flags | _locked_flags(target))


def _locked_flags(path) -> int:
    """The source mount's flags that a user namespace may not drop on a remount."""
    flag = os.statvfs(path).f_flag
    pairs = ((os.ST_NOEXEC, MS_NOEXEC), (getattr(os, "ST_NOATIME", 1024), MS_NOATIME),
             (getattr(os, "ST_NODIRATIME", 2048), MS_NODIRATIME), (getattr(os, "ST_RELATIME", 4096), MS_RELATIME))
    return sum(ms for st, ms in pairs if flag & st)


def pivot_root(new_root: str) -> None:
    """Make ``new_root`` the root and drop every trace of the old one from this namespace."""
    os.chdir(new_root)
    lib = libc()
    if hasattr(lib, "pivot_root"):
        result = lib.pivot_root(b".", b".")
    else:
        number = _SYSCALLS.get(platform.machine(), {}).get("pivot_root")
        if number is None:
            raise SandboxError(errno.ENOSYS, f"pivot_root: unknown system call number on {platform.machine()}")
        result = lib.syscall(number, b".", b".")
    _check(result, "pivot_root")
    _check(lib.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")


def prctl(option: int, value: int) -> None:
    function = getattr(libc(), "prctl", None)
    if function is None:  # not Linux
        raise SandboxError(errno.ENOSYS, "prctl is not available on this system")
    _check(function(option, ctypes.c_ulong(value), 0, 0, 0), f"prctl({option})")


def set_parent_death_signal(sig: int = signal.SIGKILL) -> None:
    prctl(PR_SET_PDEATHSIG, int(sig))


def set_no_new_privs() -> None:
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def set_child_subreaper() -> None:
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def set_dumpable(value: bool) -> None:
    prctl(PR_SET_DUMPABLE, 1 if value else 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty every capability set of this process (they stay empty across execve with no_new_privs)."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")


def write_id_maps(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    """Map one uid and gid into a fresh user namespace (the only mapping an unprivileged user may write)."""
    try:
        Path("/proc/self/setgroups").write_text("deny")
    except OSError:
        pass  # kernels before 3.19 have no such file
    Path("/proc/self/uid_map").write_text(f"{inside_uid} {outside_uid} 1")
    Path("/proc/self/gid_map").write_text(f"{inside_gid} {outside_gid} 1")


def become(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def pick_unused_uid(rng: random.Random | None = None) -> int:
    """A uid no account owns and no process runs as: it identifies one run's processes exactly."""
    import pwd

    rng = rng or random.SystemRandom()
    in_use = {_proc_uid(pid) for pid in _pids()}
    while True:
        uid = rng.randrange(1 << 20, (1 << 31) - 2)
        try:
            pwd.getpwuid(uid)
            continue
        except KeyError:
            pass
        if uid not in in_use:
            return uid


@dataclass
class Limits:
    memory_bytes: int  # growth of the data segment allowed beyond what the warm process already has
    file_bytes: int = 1 << 30
    processes: int | None = None  # RLIMIT_NPROC: only meaningful with a uid of our own
    open_files: int = 4096


def data_segment_bytes() -> int:
    return _status_kb("VmData") * 1024


def apply_limits(limits: Limits, data_now: int | None = None) -> None:
    """``data_now``: the data segment size to grow from (read it before /proc disappears)."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    data_now = data_segment_bytes() if data_now is None else data_now
    if limits.memory_bytes:
        cap = data_now + limits.memory_bytes
        resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(limits.open_files, hard) if hard != resource.RLIM_INFINITY else limits.open_files
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
    if limits.processes:
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    # Writing past RLIMIT_FSIZE then fails with EFBIG instead of killing the run outright.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _status_kb(key: str, pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# The root file system a run sees


@dataclass
class RootPlan:
    """What the run's fresh root holds: read-only binds of existing paths, the module, and limits."""

    binds: list[str] = field(default_factory=list)  # absolute host paths, bound at the same path
    masks: list[str] = field(default_factory=list)  # paths inside binds to cover with an empty folder
    late_binds: list[str] = field(default_factory=list)  # bound after the masks (allowed inside them)
    tmp_mb: int = 1024
    shm_mb: int = 512
    gpu: bool = True


def traversable_by_others(path: str) -> bool:
    """True when a uid with no relation to the owner can reach and read ``path``."""
    current = Path("/")
    for part in Path(path).resolve().parts[1:]:
        try:
            st = current.stat()
        except OSError:
            return False
        if not st.st_mode & stat.S_IXOTH:
            return False
        current = current / part
    try:
        return bool(current.stat().st_mode & stat.S_IROTH)
    except OSError:
        return False


SCRATCH_CANDIDATES = ("/mnt", "/media", "/srv", "/run", "/var/tmp", "/tmp", "/boot")


def _scratch_dir(paths: list[str]) -> str:
    for candidate in SCRATCH_CANDIDATES:
        if not os.path.isdir(candidate) or os.path.islink(candidate):
            continue
        prefix = candidate + "/"
        if not any(p == candidate or p.startswith(prefix) for p in paths):
            return candidate
    raise SandboxError(errno.ENOENT, "no folder to build the sandbox root in (tried " + ", ".join(SCRATCH_CANDIDATES) + ")")


def _mkdirs(root: str, path: str) -> str:
    target = root + path
    os.makedirs(target, exist_ok=True)
    return target


def _mkfile(root: str, path: str) -> str:
    target = root + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if not os.path.exists(target):
        with open(target, "w"):
            pass
    return target


def build_root(plan: RootPlan, *, owner_uid: int, owner_gid: int, proc_required: bool = True,
               writable: tuple[str, ...] = ()) -> bool:
    """In a private mount namespace: assemble the new root and pivot into it.

    Must run with CAP_SYS_ADMIN over the current mount namespace (real root, or inside a user
    namespace). ``writable``: host folders bound read-write at the same path (a run's exchange
    folder, shared with the trusted run). Afterwards ``/tmp/work`` and ``/tmp/home`` exist, owned by ``owner_uid``. Returns
    whether ``/proc`` could be mounted: inside a user namespace the kernel refuses when the host's
    /proc has mounts over parts of it, and the run then has no /proc rather than the host's (whose
    other processes would be reachable).
    """
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    # A scratch tmpfs (private to this namespace) holds the new root's mount point, so nothing is
    # created on the host's disk; it must not hide a path the root binds.
    scratch = _scratch_dir(plan.binds + plan.masks + plan.late_binds)
    mount("tmpfs", scratch, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=700")
    root = scratch + "/ailit-root"
    os.mkdir(root)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    # The private /tmp comes first, so that binds below /tmp (a clone, a venv or fixtures kept under
    # /tmp) are mounted inside it rather than hidden by it.
    tmp = _mkdirs(root, "/tmp")
    mount("tmpfs", tmp, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan.tmp_mb}m,mode=1777")
    for sub in ("work", "home"):
        os.mkdir(f"{tmp}/{sub}", 0o700)
        os.chown(f"{tmp}/{sub}", owner_uid, owner_gid)
    for path in plan.binds:
        if not os.path.exists(path):
            continue
        if os.path.isdir(path):
            target = _mkdirs(root, path)
        else:
            target = _mkfile(root, path)
        bind(path, target, readonly=True)
    masked = []
    for path in plan.masks:
        target = root + path
        if os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
            masked.append(target)
        elif os.path.exists(target):
            bind("/dev/null", target, readonly=True, recursive=False)
    for path in plan.late_binds:
        if os.path.exists(path):
            target = _mkdirs(root, path) if os.path.isdir(path) else _mkfile(root, path)
            bind(path, target, readonly=True)
    for target in masked:
        mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    for path in writable:
        if os.path.isdir(path):
            bind(path, _mkdirs(root, path), readonly=False)
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        link = "/" + name
        if os.path.islink(link) and not os.path.lexists(root + link):
            os.symlink(os.readlink(link), root + link)
    _build_dev(root, plan)
    os.makedirs(root + "/proc", exist_ok=True)
    if os.path.isdir("/sys"):
        bind("/sys", _mkdirs(root, "/sys"), readonly=True)
    pivot_root(root)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        return True
    except SandboxError:
        if proc_required:
            raise
        return False


def _build_dev(root: str, plan: RootPlan) -> None:
    dev = _mkdirs(root, "/dev")
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, "size=64k,mode=755")
    for name in DEVICES:
        if os.path.exists("/dev/" + name):
            bind("/dev/" + name, _mkfile(root, "/dev/" + name), readonly=False, recursive=False)
    if plan.gpu:
        for name in sorted(os.listdir("/dev")):
            if name.startswith(GPU_DEVICE_PREFIXES):
                source = "/dev/" + name
                target = _mkdirs(root, "/dev/" + name) if os.path.isdir(source) else _mkfile(root, "/dev/" + name)
                bind(source, target, readonly=False, recursive=True)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    shm = _mkdirs(root, "/dev/shm")
    mount("tmpfs", shm, "tmpfs", MS_NOSUID | MS_NODEV, f"size={plan.shm_mb}m,mode=1777")


# ---------------------------------------------------------------------------------------------
# Finding and ending a run's processes (used by the grader, outside the sandbox)


def _pids() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return []


def _proc_uid(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def _ppid(pid: int) -> int | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
        return int(text.rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def descendants(root_pid: int) -> list[int]:
    """``root_pid`` and every process below it (the parent links as they are now)."""
    children: dict[int, list[int]] = {}
    for pid in _pids():
        parent = _ppid(pid)
        if parent is not None:
            children.setdefault(parent, []).append(pid)
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, ()))
    return found


def processes_of_uid(uid: int) -> list[int]:
    return [pid for pid in _pids() if _proc_uid(pid) == uid]


def _has_tag(pid: int, tag: str) -> bool:
    try:
        return f"AILIT_RUN={tag}".encode() + b"\0" in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def processes_tagged(tag: str) -> list[int]:
    """Processes whose environment carries ``AILIT_RUN=<tag>`` (readable for our own uid only)."""
    return [pid for pid in _pids() if _has_tag(pid, tag)]


def kill_uid(uid: int) -> int:
    """SIGKILL every process running as ``uid``; returns how many were found."""
    pids = processes_of_uid(uid)
    kill_pids(pids, still=lambda pid: _proc_uid(pid) == uid)
    return len(pids)


def kill_tagged(tag: str) -> int:
    pids = processes_tagged(tag)
    kill_pids(pids, still=lambda pid: _has_tag(pid, tag))
    return len(pids)


def private_memory_bytes(pids: list[int]) -> int:
    """Memory the processes hold privately (not pages still shared with the warm parent)."""
    total = 0
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            total += _status_kb("VmRSS", pid) * 1024 if os.path.exists(f"/proc/{pid}") else 0
            continue
        for line in text.splitlines():
            if line.startswith(("Private_Clean:", "Private_Dirty:", "Swap:")):
                total += int(line.split()[1]) * 1024
    return total


def kill_pids(pids: list[int], still=None) -> None:
    """SIGKILL ``pids``. With ``still`` (pid -> bool), each is checked again through a pidfd, which
    pins the process: a pid freed and reused by an unrelated process in between is never hit."""
    for pid in pids:
        if pid <= 1 or pid == os.getpid():
            continue
        if still is not None and hasattr(os, "pidfd_open"):
            try:
                fd = os.pidfd_open(pid)
            except OSError:
                continue  # gone already
            try:
                if still(pid):
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(fd)
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
