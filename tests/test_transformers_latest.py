"""a5 on the latest transformers, which has no "question-answering" pipeline task (removed in 5.3).

The main environment pins transformers 5.2.0 (the library's pipeline); here the overlay of
``requirements/transformers-latest.txt`` (built once by ``scripts/transformers-latest.sh`` into
``~/.cache/ailit/``, like the main venv) goes first on ``PYTHONPATH`` and one pytest run, in a
subprocess, repeats on it the a5 public tests (against the reference), ``ailit verify
a5_qa_pipeline`` (``tests/ailit_core/verify``) and the a5 sample submissions
(``tests/test_examples.py``): the same checks, so both sides of 5.3 are proved by one suite.
"""

import os
import shutil
import subprocess
import sys

import pytest

from ailit_core import assignments, paths

A5 = "a5_qa_pipeline"
SAME_CHECKS = (f"tests/test_examples.py::test_sample_submissions_grade_as_intended[{A5}]",
               f"tests/ailit_core/verify/test_verify.py::test_reference_full_marks_and_stub_zero[{A5}]")


def overlay() -> str:
    root = paths.project_root()
    proc = subprocess.run(["bash", str(root / "scripts" / "transformers-latest.sh")], capture_output=True,
                          text=True, cwd=root)
    assert proc.returncode == 0, f"the transformers overlay could not be built:\n{proc.stderr[-3000:]}"
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a5_on_the_latest_transformers(tmp_path):
    assignment = assignments.get(A5)
    # The public tests as a student runs them: the module (here the reference) beside its tests.
    public = tmp_path / "public"
    public.mkdir()
    shutil.copy(assignment.solution_path, public / assignment.filename)
    for test_file in (assignment.solution_dir / "public_tests").glob("test_*.py"):
        shutil.copy(test_file, public / test_file.name)
    folder = overlay()
    root = paths.project_root()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (folder, str(root), os.environ.get("PYTHONPATH"))
                                                       if p))
    env.pop("AILIT_IMPL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(root),
         "-c", str(root / "pyproject.toml"), str(public), *SAME_CHECKS,
         "-o", "python_files=test_*.py"],
        capture_output=True, text=True, cwd=root, env=env)
    check = subprocess.run([sys.executable, "-c", "import transformers; print(transformers.__version__)"],
                           capture_output=True, text=True, env=env)
    wanted = next(line.split("==")[1] for line in (root / "requirements" / "transformers-latest.txt")
                  .read_text().splitlines() if line.startswith("transformers=="))
    assert check.stdout.strip() == wanted, f"the overlay gives transformers {check.stdout!r}, not {wanted}"
    assert proc.returncode == 0, f"a5 on transformers {wanted}:\n{proc.stdout[-6000:]}\n{proc.stderr[-2000:]}"
    assert "8 passed" in proc.stdout, proc.stdout[-2000:]  # 6 public tests, verify, the samples
