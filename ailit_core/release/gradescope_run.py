"""What ``run_autograder`` runs inside Gradescope: grade ``/autograder/submission`` with the hidden
suite through ``ailit_core.grade`` and write ``/autograder/results/results.json``.

The submission folder is graded as one folder submission (the module at any depth, other files
listed as ignored). A notebook-only submission (from the nbgrader or otter release) is graded as
the module its code cells make, as inside Jupyter. Whatever happens, a results.json is written:
Gradescope shows "autograder failed" without one, and the student learns nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from ailit_core import assignments


def _notebook_module(submission: Path, filename: str) -> str | None:
    """The module source of the submission's only notebook, when it holds no ``filename``."""
    from ailit_core.notebook import notebook_module

    if any(p.is_file() for p in submission.rglob(filename)):
        return None
    notebooks = [p for p in submission.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    if len(notebooks) != 1:
        return None
    return notebook_module(notebooks[0])


def grade(assignment_id: str, submission: Path, results: Path) -> dict:
    """The Gradescope payload for ``submission`` (a folder), graded like one entry of ``ailit grade``."""
    from ailit_core.grade.batch import grade_one
    from ailit_core.grade.results import to_gradescope
    from ailit_core.grade.runner import run_hidden_tests
    from ailit_core.grade.submissions import Submission

    assignment = assignments.get(assignment_id)
    source = _notebook_module(submission, assignment.filename) if submission.is_dir() else None
    if source is not None:
        result = run_hidden_tests(assignment, source.encode("utf-8"), student="submission")
    else:
        result = grade_one(assignment, Submission("submission", submission.resolve(), assignment.filename))
    payload = to_gradescope(result)
    if source is not None:
        payload["output"] = ("Graded the code cells of your notebook. / 已按 notebook 的代码单元评分。\n"
                             + payload.get("output", "")).strip()
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", required=True)
    parser.add_argument("--submission", type=Path, required=True)
    parser.add_argument("--results", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        payload = grade(args.assignment, args.submission, args.results)
    except Exception:  # noqa: BLE001 -- the student must get a result whatever went wrong
        traceback.print_exc()
        payload = {"score": 0.0, "output": "The autograder could not grade this submission; please tell your "
                                            "instructor. / 自动评分出错，请联系教师。", "tests": [],
                   "extra_data": {"status": "error", "error": traceback.format_exc()[-4000:]}}
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"score {payload['score']:g} / {payload.get('max_score', 0):g}; results: {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
