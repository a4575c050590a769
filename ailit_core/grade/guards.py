"""Python-level guards for the ``basic`` isolation mode (no namespaces available).

An audit hook (PEP 578; it cannot be removed once installed) refuses network sockets and any file
access under the protected folders (the repository with its reference solutions, the submissions,
the gradebook). It stops code written in Python; code that calls the C library itself (ctypes, an
extension module) is not stopped, and neither is a subprocess started with a cleaned environment
(``sitecustomize`` carries the guards into Python subprocesses that keep ``PYTHONPATH``). The
isolated modes make these guards unnecessary.
"""

from __future__ import annotations

import inspect
import json
import os
import socket
import sys

_NETWORK_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                   "socket.gethostbyname", "socket.gethostbyaddr"}
_PATH_EVENTS = {"open": 0, "os.listdir": 0, "os.scandir": 0, "os.chdir": 0, "os.rename": 0, "os.remove": 0,
                "os.rmdir": 0, "os.mkdir": 0, "os.symlink": 0, "os.link": 0, "shutil.copyfile": 0}


def install(*, protected, allowed) -> None:
    protected = tuple(os.path.realpath(p).rstrip("/") for p in protected)
    allowed = tuple(os.path.realpath(p).rstrip("/") for p in allowed)

    def inside(path, roots) -> bool:
        return any(path == r or path.startswith(r + "/") for r in roots)

    def hook(event, args):
        if event in _NETWORK_EVENTS:
            if event.startswith("socket.") and args and isinstance(args[0], socket.socket):
                if args[0].family == getattr(socket, "AF_UNIX", None):
                    return
            raise PermissionError("network access is not allowed while grading / 评分时禁止联网")
        index = _PATH_EVENTS.get(event)
        if index is None or not args:
            return
        target = args[index]
        if isinstance(target, int) or target is None:
            return
        try:
            path = os.path.realpath(os.fsdecode(target))
        except (TypeError, ValueError):
            return
        if inside(path, protected) and not inside(path, allowed):
            raise PermissionError(f"{target}: not readable while grading / 评分时不可访问")

    sys.addaudithook(hook)


def write_sitecustomize(folder: str, *, protected, allowed) -> str:
    """A folder whose ``sitecustomize.py`` installs the same guards in Python subprocesses."""
    site = os.path.join(folder, ".ailit-site")
    os.makedirs(site, exist_ok=True)
    source = inspect.getsource(sys.modules[__name__])
    config = json.dumps({"protected": list(protected), "allowed": list(allowed)})
    with open(os.path.join(site, "sitecustomize.py"), "w", encoding="utf-8") as fh:
        fh.write(source + f"\n\n_config = {config!r}\n_cfg = json.loads(_config)\n"
                          "install(protected=_cfg['protected'], allowed=_cfg['allowed'])\n")
    return site
