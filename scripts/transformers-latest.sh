#!/usr/bin/env bash
# The latest transformers as an overlay on the project's environment (a5 is graded on both sides of
# transformers 5.3, which removed the "question-answering" pipeline task). Prints the overlay folder:
#     PYTHONPATH="$(bash scripts/transformers-latest.sh):$PYTHONPATH" ailit verify a5_qa_pipeline
# It lives in ~/.cache/ailit/overlay-transformers-<hash of requirements/transformers-latest.txt> (about
# 140 MB): scripts/overlay.sh. tests/test_transformers_latest.py calls this.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/overlay.sh" transformers requirements/transformers-latest.txt
