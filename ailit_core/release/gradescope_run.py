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
import tempfile
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
    from ailit_core import grade as engine

    assignment = assignments.get(assignment_id)
    with tempfile.TemporaryDirectory(prefix="ailit-gs-") as tmp:
        batch = Path(tmp) / "submissions"
        batch.mkdir()
        source = _notebook_module(submission, assignment.filename) if submission.is_dir() else None
        if source is not None:
            (batch / "submission").mkdir()
            (batch / "submission" / assignment.filename).write_text(source, encoding="utf-8")
        else:
            (batch / "submission").symlink_to(submission.resolve(), target_is_directory=True)
        engine.main(submissions_dir=batch, assignment_id=assignment_id, out=Path(tmp) / "out", quiet=True)
        payload = json.loads((Path(tmp) / "out" / "students" / "submission" / "results.json").read_text(encoding="utf-8"))
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
