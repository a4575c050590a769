#!/usr/bin/env bash
# Quick start, command 1: grade the bundled sample submissions of every landed assignment.
# Usage: bash scripts/grade-examples.sh [OUT]   (default OUT: ./gradebook)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
out="${1:-$repo_root/gradebook}"
cd "$repo_root"
for dir in examples/submissions/*/; do
  id="$(basename "$dir")"
  ailit grade "$dir" --assignment "$id" --out "$out/$id"
done
echo "gradebooks written under $out (grades.csv, summary.md and students/<student>/ per assignment)"
