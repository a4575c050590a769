"""Every ``AILIT_*`` environment variable, in one place (``tests/ailit_core/test_environment.py``
checks that the code uses no other and that the README documents each one a user sets).

Users set the first group; the grader sets the second for the processes it starts (a user never
needs them). Inside ailit, options travel as objects (``Limits``, ``Settings``): these variables are
read only where a process starts or where a student-facing helper must work without ailit's CLI.
"""

from __future__ import annotations

USER = {
    "AILIT_PROFILE": "fast (default: reduced data, few epochs) or full (the course's real data and epochs)",
    "AILIT_DEVICE": "force a device (cpu, cuda:1, mps); otherwise CUDA, then Apple MPS, then CPU",
    "AILIT_DATA": "folder with the real datasets for the full profile (default ~/.cache/ailit/data)",
    "AILIT_FIXTURES": "where generated fast-profile fixtures are cached (default ~/.cache/ailit/fixtures)",
    "AILIT_QA_MODEL": "a real extractive-QA model folder for a5's 0-point course-example check",
    "AILIT_VENV": "where the scripts keep the shared environment",
    "AILIT_OVERLAY": "where the scripts keep the latest-transformers overlay",
    "AILIT_FULL_INTEROP": "1: the test suite also runs the real Gradescope/nbgrader round trips for a2-a5",
    "AILIT_SANDBOX": "force an isolation mode for grading: full, userns or basic",
    "AILIT_GRADE_ALLOW": "more folders (os.pathsep-separated) a graded run may read",
    "AILIT_GRADE_THREADS": "CPU threads per graded run (default 1; -j uses the cores)",
    "AILIT_GRADE_START": "fork (default on Linux) or spawn: how the warm parent starts runs",
    "AILIT_GRADESCOPE_ROOT": "the Gradescope root folder (default /autograder), for local tests",
    "AILIT_PYTHON": "the interpreter the Gradescope run_autograder script uses",
}
GRADER = {
    "AILIT_IMPL": "the module file the tests exercise (set by ailit verify/grade; public tests use the file beside them)",
    "AILIT_ROOT": "the project root, for a graded run's own subprocesses",
    "AILIT_RUN": "the tag that marks a basic-mode run's processes",
}
ALL = {**USER, **GRADER}
