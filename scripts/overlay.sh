#!/usr/bin/env bash
# Usage: bash scripts/overlay.sh NAME requirements/FILE.txt -- prints the overlay folder.
# Packages the main environment does not have (or has at another version), installed beside it rather
# than in it, so requirements/env.txt and the shared venv stay as they are: the overlay goes first on
# PYTHONPATH only where it is wanted. Like the main venv it lives outside the clone, in
# ~/.cache/ailit/overlay-NAME-<hash of the requirements file>, built once (seconds, from PyPI) and
# reused by every clone; AILIT_OVERLAY overrides the location. Used by scripts/transformers-latest.sh
# and scripts/dask-overlay.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
name="$1"
req="$repo_root/$2"
key="$(sha256sum "$req" | cut -c1-12)"
overlay="${AILIT_OVERLAY:-${XDG_CACHE_HOME:-$HOME/.cache}/ailit/overlay-$name-$key}"

if [ ! -f "$overlay/.ailit-complete" ]; then
  mkdir -p "$(dirname "$overlay")"
  (
    flock 9  # clones testing at once build it once
    if [ ! -f "$overlay/.ailit-complete" ]; then
      echo "ailit: installing the $name overlay in $overlay (first time only)" >&2
      rm -rf "$overlay" "$overlay.partial"
      # --no-deps: only what the file lists; the check below proves the rest comes from the main venv.
      python -m pip install --quiet --disable-pip-version-check --no-deps --target "$overlay.partial" -r "$req" >&2
      touch "$overlay.partial/.ailit-complete"
      mv "$overlay.partial" "$overlay"
    fi
  ) 9>"$overlay.lock"
fi

# Every requirement of what the overlay holds, met by the overlay or the main venv (checked on each
# use: a new requirements/env.txt can change the venv under a kept overlay).
PYTHONPATH="$overlay${PYTHONPATH:+:$PYTHONPATH}" python - "$overlay" "$req" "$name" >&2 <<'PY'
import importlib.metadata as md
import sys
from pathlib import Path

from packaging.requirements import Requirement

overlay, req_file, name = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
problems = []
for info in sorted(overlay.glob("*.dist-info")):
    dist = md.Distribution.at(info)
    for text in dist.requires or []:
        req = Requirement(text)
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        try:
            found = md.version(req.name)
        except md.PackageNotFoundError:
            found = None
        if found is None or not req.specifier.contains(found, prereleases=True):
            problems.append(f"{dist.metadata['Name']} {dist.version} needs {req}, the environment has "
                            f"{found or 'nothing'}")
if problems:
    sys.exit(f"ailit: the {name} overlay is incomplete; add these to " + req_file + ":\n  "
             + "\n  ".join(problems))
PY
echo "$overlay"
