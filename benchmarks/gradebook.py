"""What the gradebook costs around the grading: a real batch of N a1 submissions (copies of the
samples), then its bookkeeping alone, and grades.csv kept current over 3,000 instant results.

    python benchmarks/gradebook.py [--students 200] [--rows 3000] [--jobs 2]

Prints seconds and ratios (no assertion). Uses only the API both the first and the current
gradebook have, so the same script measures an older checkout (PYTHONPATH=<checkout>)."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from ailit_core import assignments, grade, paths
from ailit_core.grade import gradebook
from ailit_core.grade.results import SubmissionResult


def copies(dest: Path, n: int, assignment_id: str) -> None:
    samples = sorted((paths.examples_dir() / "submissions" / assignment_id).iterdir())
    for i in range(n):
        sample = samples[i % len(samples)]
        name = f"s{i:04d}_{sample.stem}"
        if sample.is_dir():
            shutil.copytree(sample, dest / name)
        else:
            shutil.copy(sample, dest / f"{name}{sample.suffix}")


def fake(i: int, tests: list[dict]) -> SubmissionResult:
    outcomes = [{**t, "outcome": "passed" if (i + k) % 3 else "failed", "message": "", "duration": 0.01}
                for k, t in enumerate(tests)]
    return SubmissionResult(f"student{i:05d}", "graded", outcomes, "", duration=1.0, sha256="ab" * 32)


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    a1 = assignments.get("a1_xor_backprop")
    title = f"{a1.id}: {a1.title_en} / {a1.title_zh}"
    with tempfile.TemporaryDirectory(prefix="ailit-bench-gb-") as tmp:
        subs, out = Path(tmp) / "subs", Path(tmp) / "out"
        subs.mkdir()
        copies(subs, args.students, a1.id)
        first = timed(lambda: grade.main(submissions_dir=subs, assignment_id=a1.id, out=out, quiet=True,
                                         jobs=args.jobs))
        results = []
        rerun = timed(lambda: results.extend(grade.main(submissions_dir=subs, assignment_id=a1.id, out=out,
                                                        quiet=True, jobs=args.jobs)))
        summary = min(timed(lambda: gradebook.write_summary(results, Path(tmp) / "s", title)) for _ in range(3))
        csv_once = min(timed(lambda: gradebook.write_csv(results, Path(tmp) / "g.csv")) for _ in range(3))
        print(f"{args.students} a1 submissions, -j {args.jobs}: first batch {first:.1f} s; "
              f"rerun (all reused: discovery, reuse, files, summary) {rerun:.1f} s")
        print(f"  summary (md + html + histogram) {summary * 1000:.0f} ms; grades.csv once {csv_once * 1000:.1f} ms")
        tests = results[0].tests
        rows = [fake(i, tests) for i in range(args.rows)]
        path = Path(tmp) / "big.csv"
        every = timed(lambda: [gradebook.write_csv(rows[: i + 1], path) for i in range(0, args.rows, 10)]) * 10
        print(f"{args.rows} rows, rewriting grades.csv after every row (the first gradebook), "
              f"extrapolated from every 10th: {every:.1f} s")
        if hasattr(gradebook, "CsvWriter"):
            writer = gradebook.CsvWriter(path)
            kept = timed(lambda: ([writer.add(r) for r in rows], writer.flush()))
            print(f"{args.rows} rows with CsvWriter (current): {kept:.2f} s, {writer.writes} rewrites; "
                  f"ratio {every / kept:.0f}x")


if __name__ == "__main__":
    main()
