"""Hidden-suite cost per submission, per assignment, on the reference solution (fast profile).

Prints, side by side in one run: the interpreter start + imports an assignment needs, the test
time pytest reports for the hidden suite, the whole child process's wall time, and the budget.
Usage: python benchmarks/hidden_suites.py [ID ...]   (default: every landed assignment)
"""

from __future__ import annotations

import subprocess
import sys
import time

from ailit_core import assignments
from ailit_core.grade.runner import run_hidden_tests

# What a hidden suite imports before any test runs (its share of start-up, paid once per process).
IMPORTS = {
    "a1_xor_backprop": "import numpy, pytest",
    "a2_iris": "import numpy, pytest, torch, sklearn.linear_model, sklearn.cluster, sklearn.decomposition",
    "a3_resnet_stem": "import numpy, pytest, torch, torchvision",
    "a4_eval_loop": "import numpy, pytest, torch, torchvision",
    "a5_qa_pipeline": "import numpy, pytest, torch, transformers; from transformers import BertForQuestionAnswering",
}


def import_seconds(statement: str, repeats: int = 2) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        best = min(best, time.perf_counter() - started)
    return best


def main(ids: list[str]) -> None:
    chosen = [assignments.get(i) for i in ids] if ids else assignments.landed()
    print(f"{'assignment':18} {'start+imports':>13} {'test time':>9} {'child wall':>10} {'budget':>6}  verdict")
    for a in chosen:
        imports = import_seconds(IMPORTS.get(a.id, "import pytest"))
        result = run_hidden_tests(a, a.solution_path.read_bytes(), student="reference")
        test_time = sum(t["duration"] for t in result.tests)
        verdict = "within budget" if test_time <= a.budget_s else "OVER BUDGET"
        print(f"{a.id:18} {imports:12.1f}s {test_time:8.1f}s {result.duration:9.1f}s {a.budget_s:5d}s  "
              f"{verdict} (score {result.score:g}/{result.max_score:g})")


if __name__ == "__main__":
    main(sys.argv[1:])
