"""``ailit grade``: grade a folder of submissions with an assignment's hidden tests.

Writes ``OUT/grades.csv``, ``OUT/students/<student>/results.json`` (Gradescope schema),
``feedback.md`` and ``feedback.html`` (en/zh) and ``output.txt`` per student, and ``OUT/summary.md``,
``summary.html``, ``histogram.png`` for the batch. GRADING.md §6 is the instructor's guide.

One submission, from the command line to its results.json:

1. ``cli`` builds the batch's ``options.GradeOptions``; ``batch`` finds the entries
   (``submissions``, ``archives``, ``decoding``: one module out of any upload) and reuses unchanged
   results (``resume``, keyed by ``suite.HiddenSuite``'s digest);
2. ``engine`` runs the rest, N at a time: per submission a *trusted run* forked by the tests' warm
   parent and one *student server* per variant forked by the student warm parent (``parents``,
   ``zygote``, ``child``); the server locks itself down (``sandbox``, ``isolation``, ``guards``)
   and imports the module (``server``);
3. in the trusted run (``trusted``) pytest runs the hidden tests, which call the student's code
   through ``remote`` proxies; only plain data crosses (``codec``, ``protocol``); helper objects
   the tests need there are built from allow-listed ``recipes``;
4. each test's outcome streams to the engine over ``channel``; ``plugin`` merges phases and shares
   points; ``verdict`` decides the status and the message;
5. ``gradebook``, ``feedback``, ``summary``, ``overrides`` and ``export`` write what the TA reads
   and imports. ``runner.run_hidden_tests`` and ``batch.grade_one`` grade a single module or
   submission the same way (``ailit verify``, Gradescope, notebooks).

Threat model, in short: the hidden tests, their oracles, the points and the results writer live in
the trusted run, which never imports the submission; the submission's process holds none of them
and can only send replies that are type-checked (a malformed one makes that submission
``tampered``). The sandbox protects the reference solutions and the repository, other students'
submissions, the gradebook, the network, the machine's other processes, IPC objects and the
grader's time and memory; the ``basic`` mode (no namespaces) only guards Python-level file and
socket access. Probes that can only watch beside student code carry 1 point. GRADING.md has the
whole picture.
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
