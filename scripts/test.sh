#!/usr/bin/env bash
# Quick start, command 2: run the whole test suite (builds the environment first if needed).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k a1 -x`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$repo_root"
python -m pytest "$@"
