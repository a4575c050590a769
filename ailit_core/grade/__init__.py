"""``ailit grade``: grade a folder of submissions with an assignment's hidden tests.

Writes ``OUT/grades.csv``, ``OUT/students/<student>/results.json`` (Gradescope schema),
``feedback.md`` and ``feedback.html`` (en/zh) and ``output.txt`` per student, and ``OUT/summary.md``,
``summary.html``, ``histogram.png`` for the batch. How: ``submissions`` + ``archives`` +
``decoding`` (one module out of any upload), ``batch`` (files, reuse of unchanged results),
``gradebook`` + ``summary`` + ``overrides`` + ``export`` (what the TA reads and imports), ``engine``
(warm parent, N runs at once, deadlines, memory), ``child`` + ``sandbox`` + ``isolation`` (what a
run may see and do), ``integrity`` + ``channel`` (results a submission cannot forge through files
or a generic attack on pytest). GRADING.md "Grading a batch" is the instructor's guide.

Threat model, in short. Suites that declare ``remote.module_fixture`` (a1, a2) run behind the trust
boundary: the hidden tests, oracles, points and results writer live in a trusted process
(``trusted``) that never imports the submission; the submission runs in a sandboxed student server
(``server``, forked from a warm parent that never saw the hidden suite); only plain data crosses
(``codec``, ``protocol``), and a malformed reply makes that submission ``tampered``. The process
boundary (``sandbox``, ``isolation``) protects the reference solutions and the repository, other
students' submissions, the gradebook, the network, the machine's other processes, IPC objects and
the grader's time and memory. Suites not yet ported (a3-a5) import the submission beside the tests
and rely on in-process fingerprints (``integrity``), which only raise the bar. The ``basic`` mode (no
namespaces) only guards Python-level file and socket access. GRADING.md has the whole picture.
"""

from __future__ import annotations


from ailit_core.grade.batch import HiddenTestsBroken, grade_batch, grade_one
from ailit_core.grade.options import GradeOptions
from ailit_core.grade.results import SubmissionResult, to_gradescope
from ailit_core.grade.runner import run_hidden_tests
from ailit_core.grade.submissions import Submission, SubmissionProblem

__all__ = ["main", "GradeOptions", "grade_submission", "run_hidden_tests", "SubmissionResult", "Submission", "SubmissionProblem",
           "HiddenTestsBroken", "to_gradescope"]


def grade_submission(assignment, submission: Submission, *, profile: str | None = None, engine=None) -> SubmissionResult:
    """Grade one submission (no files written); ``engine``: a started ``Engine`` to reuse."""
    return grade_one(assignment, submission, profile=profile, engine=engine)


def main(options: GradeOptions | None = None, **fields) -> list[SubmissionResult]:
    """Grade every submission of a batch; ``options`` (or its fields as keywords: ``GradeOptions``)."""
    return grade_batch(options if options is not None else GradeOptions(**fields))
