"""The same a1 batch graded locally (``-j 2``) and on Dask (``--dask local:2``): scores identical, and
the overhead ratio of the Dask run (its wall time over the local run's).

The batch is N copies (default 200) of a1's sample submissions (examples/submissions/a1_xor_backprop,
folders only), each made distinct by a trailing comment, so the scores vary (full, partial, zero,
syntax error) and every copy is graded. The Dask run pays a ``LocalCluster`` start and one warm
engine per worker once per batch; per submission it adds a task round trip and the result's JSON.

Usage: PYTHONPATH="$(bash scripts/dask-overlay.sh):$PYTHONPATH" python benchmarks/dask_grading.py [--copies N]
Figures depend on the machine and its load; run it on an otherwise idle machine to compare.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ailit_core import assignments, grade, paths

A1 = "a1_xor_backprop"


def make_batch(folder: Path, copies: int) -> None:
    assignment = assignments.get(A1)
    samples = sorted(p for p in (paths.examples_dir() / "submissions" / A1).iterdir()
                     if (p / assignment.filename).is_file())
    for i in range(copies):
        source = (samples[i % len(samples)] / assignment.filename).read_text(encoding="utf-8")
        entry = folder / f"s{i:03d}-{samples[i % len(samples)].name}"
        entry.mkdir(parents=True)
        (entry / assignment.filename).write_text(f"{source}\n# copy {i}\n", encoding="utf-8")


def timed(subs: Path, out: Path, **options) -> tuple[float, dict]:
    started = time.perf_counter()
    results = grade.main(submissions_dir=subs, assignment_id=A1, out=out, quiet=True, **options)
    return time.perf_counter() - started, {r.student: (r.score, r.status) for r in results}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200, help="submissions in the batch (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="-j and local:N (default 2)")
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("Dask is not installed: pip install 'ailit[dask]', or put the folder printed by "
              "scripts/dask-overlay.sh first on PYTHONPATH", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ailit-bench-dask-") as tmp:
        subs = Path(tmp) / "subs"
        make_batch(subs, args.copies)
        print(f"machine: {os.cpu_count()} CPU(s), load {os.getloadavg()[0]:.1f}; {args.copies} a1 submissions")
        local_s, local = timed(subs, Path(tmp) / "local", jobs=args.workers)
        print(f"  local -j {args.workers}:          {local_s:7.1f} s  ({args.copies / local_s * 60:6.1f} submissions/minute)")
        dask_s, on_dask = timed(subs, Path(tmp) / "dask", dask=f"local:{args.workers}")
        print(f"  --dask local:{args.workers}:      {dask_s:7.1f} s  ({args.copies / dask_s * 60:6.1f} submissions/minute)")
        same = local == on_dask
        differ = sorted(s for s in local if local[s] != on_dask.get(s))
        print(f"  scores identical: {'yes' if same else 'NO'} ({len(local)} rows"
              + (f"; differ: {', '.join(differ[:10])}" if differ else "") + ")")
        print(f"  overhead ratio (dask / local): {dask_s / local_s:.2f}")
    return 0 if same else 1


if __name__ == "__main__":  # the LocalCluster's worker processes import this file again (spawn)
    sys.exit(main(sys.argv[1:]))
