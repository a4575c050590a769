"""Fresh virtual environments holding only what a student zip's requirements.txt lists.

A student runs ``python -m pip install -r requirements.txt`` in a new venv. Doing exactly that for
the torch assignments copies about 5 GB per venv and takes minutes, so these tests use uv, which
resolves the same requirements from the same indexes as this machine's pip (its configuration is
read from ``pip config list``: index URLs, find-links, constraints) but hard-links every package from
one cache: after the first build on a machine (about a minute) a fresh venv with torch costs about
a second and no disk. a1's test keeps using pip itself, so pip's own route stays proved too.

uv comes from an overlay (scripts/overlay.sh uv requirements/uv.txt); its cache lives beside the
project's environment in ~/.cache/ailit/uv-cache, shared by every clone.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from ailit_core import paths


def clean_env(**extra: str) -> dict[str, str]:
    """No trace of this checkout or its environment: no PYTHONPATH, no AILIT_*, no active venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "AILIT_", "VIRTUAL_ENV", "UV_"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith((sys.prefix, str(paths.project_root()))))
    env.update(extra)
    return env


@lru_cache(maxsize=1)
def uv() -> str:
    """The uv executable of the overlay, built on first use."""
    script = paths.project_root() / "scripts" / "overlay.sh"
    proc = subprocess.run(["bash", str(script), "uv", "requirements/uv.txt"], capture_output=True, text=True,
                          cwd=paths.project_root(), timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the uv overlay could not be built:\n{proc.stderr[-3000:]}")
    return str(Path(proc.stdout.strip().splitlines()[-1]) / "bin" / "uv")


def pip_sources() -> list[str]:
    """uv options for the indexes, find-links and constraints this machine's pip uses."""
    listed = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            check=True).stdout
    config: dict[str, str] = {}
    for line in listed.splitlines():
        key, _, value = line.partition("=")
        config[key.rsplit(".", 1)[-1]] = " ".join(shlex.split(value))  # env (:env:) wins: listed last
    options = []
    for key, flag in (("index-url", "--index-url"), ("extra-index-url", "--extra-index-url"),
                      ("find-links", "--find-links"), ("constraint", "--constraint")):
        for value in config.get(key, "").split():
            options += [flag, value]
    # pip picks the best version across every index; uv's default takes the first index that has one.
    return options + ["--index-strategy", "unsafe-best-match"]


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ailit" / "uv-cache"


def fresh_venv(where: Path, requirements: Path) -> Path:
    """A new venv at ``where`` with ``requirements`` installed and nothing else; its python."""
    env = clean_env(UV_CACHE_DIR=str(cache_dir()), UV_NO_CONFIG="1", UV_PYTHON_DOWNLOADS="never")
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([uv(), "venv", "--quiet", "--python", base, str(where)], env=env, check=True,
                   capture_output=True, timeout=120)
    python = where / "bin" / "python"
    proc = subprocess.run([uv(), "pip", "install", "--quiet", "--python", str(python), "--link-mode", "hardlink",
                           "-r", str(requirements), *pip_sources()], env=env, capture_output=True, text=True,
                          timeout=900)
    if proc.returncode != 0:
        raise RuntimeError(f"installing {requirements} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return python


def installed(python: Path) -> set[str]:
    """Normalised names of the distributions in the venv of ``python``."""
    out = subprocess.run([uv(), "pip", "list", "--python", str(python), "--format", "freeze"], capture_output=True,
                         text=True, check=True, env=clean_env(UV_NO_CONFIG="1")).stdout
    return {line.split("==")[0].lower().replace("_", "-") for line in out.split()}
