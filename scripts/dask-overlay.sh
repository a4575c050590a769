#!/usr/bin/env bash
# Dask distributed as an overlay on the project's environment, for `ailit grade --dask` here without
# `pip install ailit[dask]`. Prints the overlay folder:
#     PYTHONPATH="$(bash scripts/dask-overlay.sh):$PYTHONPATH" ailit grade SUBS -a a1_xor_backprop -o OUT --dask local:2
# It lives in ~/.cache/ailit/overlay-dask-<hash of requirements/dask.txt> (about 15 MB): scripts/overlay.sh.
# tests/ailit_core/grade/test_dask.py calls this.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/overlay.sh" dask requirements/dask.txt
