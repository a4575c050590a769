#!/usr/bin/env bash
# The latest transformers as an overlay on the project's environment (a5 is graded on both sides of
# transformers 5.3, which removed the "question-answering" pipeline task). Prints the overlay folder:
#     PYTHONPATH="$(bash scripts/transformers-latest.sh):$PYTHONPATH" ailit verify a5_qa_pipeline
# Like the main venv it lives outside the clone, in ~/.cache/ailit/overlay-transformers-<hash of
# requirements/transformers-latest.txt> (about 140 MB), built once (seconds, from PyPI) and reused by
# every clone; AILIT_OVERLAY overrides the location. tests/test_transformers_latest.py calls this.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
req="$repo_root/requirements/transformers-latest.txt"
key="$(sha256sum "$req" | cut -c1-12)"
overlay="${AILIT_OVERLAY:-${XDG_CACHE_HOME:-$HOME/.cache}/ailit/overlay-transformers-$key}"

if [ ! -f "$overlay/.ailit-complete" ]; then
  mkdir -p "$(dirname "$overlay")"
  (
    flock 9  # clones testing at once build it once
    if [ ! -f "$overlay/.ailit-complete" ]; then
      echo "ailit: installing the latest transformers overlay in $overlay (first time only)" >&2
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
PYTHONPATH="$overlay${PYTHONPATH:+:$PYTHONPATH}" python - "$overlay" "$req" >&2 <<'PY'
import importlib.metadata as md
import sys
from pathlib import Path

from packaging.requirements import Requirement

overlay, req_file = Path(sys.argv[1]), sys.argv[2]
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
    sys.exit("ailit: the transformers overlay is incomplete; add these to " + req_file + ":\n  "
             + "\n  ".join(problems))
PY
echo "$overlay"
