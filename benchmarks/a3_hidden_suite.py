"""a3_resnet_stem: what one submission's hidden suite costs, on the reference solution.

Prints, separately: the imports a3 needs (paid once by the grader's warm parent), building the MNIST
digits stand-in (once per machine; 0 when cached), the hidden suite's test time per submission (what
the 60 s budget is about) with the slowest tests, and a batch's wall time per submission with one
warm engine. Timings on a shared machine vary; run it when the machine is otherwise idle.
Usage: python benchmarks/a3_hidden_suite.py [RUNS]   (default 2 runs in the batch)
"""

from __future__ import annotations

import subprocess
import sys
import time

from ailit_core import assignments
from ailit_core.grade.engine import Engine
from ailit_core.grade.runner import run_hidden_tests

IMPORTS = "import torch, torchvision, sklearn.datasets"
SLOWEST = 6


def main(runs: int) -> None:
    a3 = assignments.get("a3_resnet_stem")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    print(f"imports (torch, torchvision, scikit-learn):  {time.perf_counter() - started:6.1f} s")

    from ailit_core.data import mnist
    from ailit_core.data.cache import fixtures_root

    cached = (fixtures_root() / mnist.FIXTURE_NAME).is_dir()
    started = time.perf_counter()
    mnist.fixture_root()
    print(f"MNIST digits fixture ({'cached' if cached else 'built now'}):  {time.perf_counter() - started:6.1f} s")

    source = a3.solution_path.read_bytes()
    with Engine(a3) as engine:
        started = time.perf_counter()
        results = [run_hidden_tests(a3, source, student=f"reference-{i}", engine=engine) for i in range(runs)]
        batch = time.perf_counter() - started
    for r in results:
        test_time = sum(t["duration"] for t in r.tests)
        print(f"{r.student}: score {r.score:g}/{r.max_score:g}, hidden-suite test time {test_time:5.1f} s, "
              f"run wall {r.duration:5.1f} s (budget {a3.budget_s} s)")
    slowest = sorted(results[-1].tests, key=lambda t: t["duration"], reverse=True)[:SLOWEST]
    print("slowest tests: " + ", ".join(f"{t['name']} {t['duration']:.1f} s" for t in slowest))
    print(f"batch of {runs} with one warm engine: {batch / runs:5.1f} s wall per submission")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
