"""Cost of the trust boundary: the grading engine before it and now, side by side in one run.

For each assignment, grades N copies of the reference with a warm engine of each version and
prints, per submission: wall time, the tests' own time, the harness overhead (the difference), and
the ratio now/before. "Before" is the last commit before the boundary (checked out in a temporary
worktree of this repository; ``--base REV`` picks another), "now" is this checkout. Both run in
the same interpreter environment, one after the other, so the ratio compares like with like.

Usage: python benchmarks/trust_boundary.py [--copies N] [--base REV] [ID ...]   (default: a1, a2)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUNDARY_COMMIT_GREP = "trust boundary — hidden suites that declare"

# Run inside each version's checkout: a warm engine, N submissions, figures as JSON on stdout.
PROBE = r"""
import json, sys, time
from ailit_core import assignments
from ailit_core.grade.engine import Engine, Task
assignment = assignments.get(sys.argv[1])
copies = int(sys.argv[2])
source = assignment.solution_path.read_bytes()
with Engine(assignment, jobs=1) as engine:
    next(iter(engine.run([Task("warm", source)])))  # first run pays lazy imports
    walls, tests, scores = [], [], []
    for i in range(copies):
        started = time.monotonic()
        _, result = next(iter(engine.run([Task(f"s{i}", source)])))
        walls.append(time.monotonic() - started)
        tests.append(sum(t.get("duration", 0.0) for t in result.tests))
        scores.append(result.score)
print(json.dumps({"wall": walls, "tests": tests, "scores": scores, "mode": engine.mode}))
"""


def base_commit(rev: str | None) -> str:
    if rev:
        return rev
    first = subprocess.run(["git", "-C", str(ROOT), "log", "--format=%H", f"--grep={BOUNDARY_COMMIT_GREP}", "--reverse"],
                           capture_output=True, text=True, check=True).stdout.split()
    if not first:
        sys.exit("cannot find the trust-boundary commit; pass --base REV")
    return first[0] + "^"


def measure(checkout: Path, assignment_id: str, copies: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    proc = subprocess.run([sys.executable, "-c", PROBE, assignment_id, str(copies)], cwd=checkout, env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"{checkout}: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", default=["a1_xor_backprop", "a2_iris"])
    parser.add_argument("--copies", type=int, default=5)
    parser.add_argument("--base", default=None, help="the version to compare with (default: before the boundary)")
    args = parser.parse_args()
    base = base_commit(args.base)
    with tempfile.TemporaryDirectory(prefix="ailit-before-") as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(before), base], check=True)
        try:
            print(f"machine: {os.cpu_count()} CPU(s); {args.copies} submissions per figure; before = {base}")
            for assignment_id in args.ids:
                old, new = measure(before, assignment_id, args.copies), measure(ROOT, assignment_id, args.copies)
                print(f"\n{assignment_id} (isolation: before {old['mode']}, now {new['mode']}; "
                      f"scores {sorted(set(old['scores']))} / {sorted(set(new['scores']))})")
                print(f"  {'per submission':28s} {'before':>8s} {'now':>8s} {'now/before':>10s}")
                for label, key in (("wall time (s)", "wall"), ("tests' own time (s)", "tests")):
                    a, b = median(old[key]), median(new[key])
                    print(f"  {label:28s} {a:8.2f} {b:8.2f} {b / a if a else float('nan'):10.2f}")
                oa = median([w - t for w, t in zip(old["wall"], old["tests"])])
                ob = median([w - t for w, t in zip(new["wall"], new["tests"])])
                print(f"  {'harness overhead (s)':28s} {oa:8.2f} {ob:8.2f} {ob / oa if oa else float('nan'):10.2f}"
                      f"   (goal: under 1 s)")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], check=False)


if __name__ == "__main__":
    main()
