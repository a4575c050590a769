"""The one exception every reading step raises for a submission that cannot be graded as it is."""

from __future__ import annotations


class SubmissionProblem(Exception):
    """A submission that cannot be graded as it is; ``status`` goes in the gradebook, ``message``
    (bilingual) tells the student and the TA what to do."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status
        self.message = message
