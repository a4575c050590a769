"""a5_qa_pipeline: what one submission's hidden suite costs, on the reference solution.

Prints, separately: the imports a5 needs (paid once by the grader's warm parent), building the
tiny QA fixture (once per machine; 0 when cached), the hidden suite's test time per submission (what
the 40 s budget is about), and a batch's wall time per submission with one warm engine.
Usage: python benchmarks/a5_hidden_suite.py [RUNS]   (default 3 runs in the batch)
"""

from __future__ import annotations

import subprocess
import sys
import time

from ailit_core import assignments
from ailit_core.grade.engine import Engine
from ailit_core.grade.runner import run_hidden_tests

IMPORTS = "import torch, transformers; from transformers import BertForQuestionAnswering, pipeline"


def main(runs: int) -> None:
    a5 = assignments.get("a5_qa_pipeline")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", IMPORTS], check=True)
    print(f"imports (torch, transformers, model class, pipeline): {time.perf_counter() - started:6.1f} s")

    from ailit_core.models import tiny_qa

    cached = (tiny_qa.fixtures_root() / tiny_qa.FIXTURE_NAME).is_dir()
    started = time.perf_counter()
    tiny_qa.model_dir()
    print(f"tiny QA fixture ({'cached' if cached else 'built now'}):          {time.perf_counter() - started:6.1f} s")

    source = a5.solution_path.read_bytes()
    with Engine(a5) as engine:
        started = time.perf_counter()
        results = [run_hidden_tests(a5, source, student=f"reference-{i}", engine=engine) for i in range(runs)]
        batch = time.perf_counter() - started
    for r in results:
        test_time = sum(t["duration"] for t in r.tests)
        print(f"{r.student}: score {r.score:g}/{r.max_score:g}, hidden-suite test time {test_time:5.1f} s, "
              f"run wall {r.duration:5.1f} s (budget {a5.budget_s} s)")
    print(f"batch of {runs} with one warm engine: {batch / runs:5.1f} s wall per submission")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
