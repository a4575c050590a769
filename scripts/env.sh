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
# The package itself is installed editable from this clone each time (a second or two), so the
# shared environment always runs the code of the clone that called it.
"$venv/bin/python" -m pip install --quiet --no-deps --no-build-isolation -e "$repo_root" >&2
export PATH="$venv/bin:$PATH"
export MPLBACKEND="${MPLBACKEND:-Agg}"
