"""Grading-engine cost per submission, in one run, for a1 and a2 (or the ids given).

Prints, per assignment:
- a bare ``python -m pytest`` of the hidden tests on the reference (interpreter start, imports,
  collection and tests: what a naive grader pays per submission), and the tests' own time in it;
- the engine, warm: wall time per submission once its warm parent is up, the tests' own time
  in it, and the difference: the harness overhead per submission (fork, namespaces, the new
  root, privilege drop, tamper checks, streaming). Goal: under 1 s;
- a whole ``ailit grade`` batch of N copies of the reference with -j 1 and -j 2 (warm-parent start
  included): submissions per minute.

Usage: python benchmarks/grading_engine.py [--copies N] [ID ...]   (default: a1, and a2 if landed)
Figures depend on the machine and its load; run it on an otherwise idle machine to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ailit_core import assignments, grade, paths
from ailit_core.grade.engine import Engine, Task


def bare_pytest(assignment, repeats: int) -> tuple[float, float]:
    """Median wall time of one cold ``python -m pytest`` run, and its tests' own time."""
    walls, tests = [], []
    with tempfile.TemporaryDirectory(prefix="ailit-bench-") as tmp:
        results = Path(tmp) / "r.json"
        env = dict(os.environ, AILIT_IMPL=str(assignment.solution_path), PYTHONDONTWRITEBYTECODE="1")
        cmd = [sys.executable, "-m", "pytest", str(assignment.hidden_tests_dir), "-c",
               str(paths.autograder_dir() / "pytest.ini"), "--rootdir", str(paths.autograder_dir()),
               "-p", "ailit_core.grade.plugin", "--ailit-results", str(results), "-q", "-p", "no:cacheprovider"]
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run(cmd, cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            walls.append(time.perf_counter() - started)
            tests.append(sum(t["duration"] for t in json.loads(results.read_text())["tests"]))
    return statistics.median(walls), statistics.median(tests)


def warm_engine(assignment, repeats: int) -> tuple[float, float, float, str]:
    """Engine start, median wall per submission once warm, median tests' own time, isolation mode."""
    source = assignment.solution_path.read_bytes()
    walls, tests = [], []
    started = time.perf_counter()
    with Engine(assignment) as engine:
        start = time.perf_counter() - started
        for i in range(repeats):
            t0 = time.perf_counter()
            (_, result), = list(engine.run([Task(f"ref{i}", source)]))
            walls.append(time.perf_counter() - t0)
            tests.append(sum(t["duration"] for t in result.tests))
            assert result.score == result.max_score, f"reference scored {result.score}: {result.message}"
        mode = engine.mode
    return start, statistics.median(walls), statistics.median(tests), mode


def batch_rate(assignment, copies: int, jobs: int) -> float:
    """Submissions per minute of a whole `ailit grade` batch (warm-parent start included)."""
    with tempfile.TemporaryDirectory(prefix="ailit-bench-") as tmp:
        subs = Path(tmp) / "subs"
        source = assignment.solution_path.read_text(encoding="utf-8")
        for i in range(copies):
            (subs / f"s{i:03d}").mkdir(parents=True)
            (subs / f"s{i:03d}" / assignment.filename).write_text(f"{source}\n# copy {i}\n", encoding="utf-8")
        started = time.perf_counter()
        grade.main(submissions_dir=subs, assignment_id=assignment.id, out=Path(tmp) / "out", quiet=True, jobs=jobs)
        return copies / (time.perf_counter() - started) * 60


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*")
    parser.add_argument("--copies", type=int, default=8, help="submissions per batch (default 8)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per single-submission figure (default 3)")
    args = parser.parse_args(argv)
    default = [a for a in ("a1_xor_backprop", "a2_iris") if assignments.get(a).is_landed()]
    chosen = [assignments.get(i) for i in (args.ids or default)]
    print(f"machine: {os.cpu_count()} CPU(s); repeats {args.repeats}; batches of {args.copies} copies of the reference")
    for a in chosen:
        bare_wall, bare_tests = bare_pytest(a, args.repeats)
        start, warm_wall, warm_tests, mode = warm_engine(a, args.repeats)
        overhead = warm_wall - warm_tests
        print(f"\n{a.id} (isolation: {mode})")
        print(f"  bare pytest per submission      {bare_wall:7.2f} s  (tests {bare_tests:.2f} s, start+imports+collect "
              f"{bare_wall - bare_tests:.2f} s)")
        print(f"  engine start (once per batch)   {start:7.2f} s")
        print(f"  engine per submission, warm     {warm_wall:7.2f} s  (tests {warm_tests:.2f} s)")
        print(f"  harness overhead per submission {overhead:7.2f} s  "
              f"({'under' if overhead < 1 else 'OVER'} the 1 s goal; bare pytest's is {bare_wall - bare_tests:.2f} s)")
        for jobs in (1, 2):
            rate = batch_rate(a, args.copies, jobs)
            print(f"  batch -j {jobs}: {rate:6.1f} submissions/minute")


if __name__ == "__main__":
    main(sys.argv[1:])
