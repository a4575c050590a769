# Sourced by the other scripts: find or build the project's Python environment.
#
# The environment lives outside the clone, in ~/.cache/ailit/venv-<hash of requirements/env.txt>,
# so fresh clones (CI clones afresh every run) reuse one ~6.5 GB environment instead of refilling
# the disk. The first build takes about 5 minutes (torch and torchvision are most of it).
# AILIT_VENV overrides the location.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$repo_root/requirements/env.txt"
key="$(sha256sum "$req" | cut -c1-12)"
venv="${AILIT_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/ailit/venv-$key}"
python_bin="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.ailit-complete" ]; then
  echo "ailit: building the Python environment in $venv (first time: about 5 minutes)" >&2
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$python_bin" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet -r "$req" >&2
  touch "$venv/.ailit-complete"
fi
# The shared environment holds dependencies only. This clone's code is put on PYTHONPATH, with an
# `ailit` command of its own, so that several clones (CI's fresh ones, a developer's) can use the
# environment at once and each runs its own code.
bin_dir="$repo_root/.ailit/bin"
mkdir -p "$bin_dir"
printf '#!/bin/sh\nexec "%s" -m ailit_core "$@"\n' "$venv/bin/python" > "$bin_dir/ailit"
chmod +x "$bin_dir/ailit"
export PYTHONPATH="$repo_root${PYTHONPATH:+:$PYTHONPATH}"
export PATH="$bin_dir:$venv/bin:$PATH"
export MPLBACKEND="${MPLBACKEND:-Agg}"
