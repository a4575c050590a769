"""a5 on the latest transformers, which has no "question-answering" pipeline task (removed in 5.3).

The main environment pins transformers 5.2.0 (the library's pipeline); here the overlay of
``requirements/transformers-latest.txt`` (built once by ``scripts/transformers-latest.sh`` into
``~/.cache/ailit/``, like the main venv) goes first on ``PYTHONPATH`` and one pytest run, in a
subprocess, repeats on it the a5 public tests (against the reference), ``ailit verify
a5_qa_pipeline`` (``tests/ailit_core/verify``) and the a5 sample submissions
(``tests/test_examples.py``): the same checks, so both sides of 5.3 are proved by one suite.
"""

import importlib.util
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


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside transformers' pipeline code
def test_reference_by_hand_pipeline_answers_as_the_library_does():
    """The reference's ByHandPipeline (what load_qa gives on 5.3+) against the library's pipeline of the
    main environment: the same spans for top_k, the same empty answer and score for
    handle_impossible_answer (both keep [CLS] in the softmax then)."""
    from transformers import AutoModelForQuestionAnswering, AutoTokenizer, pipeline

    from ailit_core.models import qa_corpus, tiny_qa

    spec = importlib.util.spec_from_file_location("a5_reference_qa_pipeline", assignments.get(A5).solution_path)
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    folder = tiny_qa.model_dir()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForQuestionAnswering.from_pretrained(folder, local_files_only=True).eval()
    mine = reference.ByHandPipeline(model, tokenizer)
    library = pipeline("question-answering", model=model, tokenizer=tokenizer, device="cpu")
    for e in [qa_corpus.course_example()] + qa_corpus.generate(5, 3):
        ask = dict(question=e.question, context=e.context)
        assert mine(**ask) == reference.extract_answer(model, tokenizer, e.question, e.context)
        got, expected = mine(**ask, top_k=3), library(**ask, top_k=3, align_to_words=False)
        assert [(a["start"], a["end"]) for a in got] == [(a["start"], a["end"]) for a in expected]
        got = mine(**ask, handle_impossible_answer=True)
        expected = library(**ask, handle_impossible_answer=True, align_to_words=False)
        assert (got["answer"], got["start"], got["end"]) == (expected["answer"], expected["start"], expected["end"])
        assert got["score"] == pytest.approx(expected["score"], rel=1e-5)
    null = mine(question="谁？", context="今天天气很好。", handle_impossible_answer=True, top_k=50)
    assert {"answer": "", "start": 0, "end": 0}.items() <= next(a for a in null if not a["answer"]).items()
