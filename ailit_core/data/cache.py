"""Where generated fixtures and downloaded data live.

``AILIT_DATA`` is the data folder for real datasets (``full`` profile; default ``~/.cache/ailit/data``).
Generated fast-profile fixtures go in ``AILIT_FIXTURES`` (default ``~/.cache/ailit/fixtures``), one
sub-folder per fixture and version, written atomically (build in a temporary sibling, then rename)
so an interrupted build never leaves a half fixture that later runs would trust.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable


def data_root() -> Path:
    return Path(os.environ.get("AILIT_DATA") or Path.home() / ".cache" / "ailit" / "data")


def fixtures_root() -> Path:
    return Path(os.environ.get("AILIT_FIXTURES") or Path.home() / ".cache" / "ailit" / "fixtures")


def cached_fixture(name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``fixtures_root()/name``, built by ``build(folder)`` the first time.

    Put a version in ``name`` (e.g. ``mnist-digits-v1``) so a changed generator builds anew.
    """
    target = fixtures_root() / name
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        build(staging)
        # mkdtemp makes the folder 0700; graders read fixtures as another (unprivileged) user.
        staging.chmod(0o755)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # lost a race with another process only if it finished
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
