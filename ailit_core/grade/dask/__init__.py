"""``ailit grade --dask``: the batch's submissions graded on a Dask cluster instead of this machine.

``DaskExecutor`` stands where ``grade_batch`` otherwise starts an ``Engine`` and offers the same
interface (``start``/``close``, ``tests``, ``collect_errors``, ``mode``, ``run(tasks, on_start)``
yielding ``(task, SubmissionResult)`` as each finishes), so discovery, resuming by content hash,
``--force``, the progress bar, every status and the one gradebook writer are the local run's own.

- The trusted test list is the coordinator's: it collects the hidden suite itself (a short local
  ``Engine`` start) and every worker result is checked against it test by test.
- Each worker keeps one warm ``Engine`` per assignment (``GraderPlugin``, a Dask worker plugin started
  once per worker with the coordinator's limits, forced mode and the hidden suite's digest). A worker
  whose suite digest differs (another checkout, an edited test) refuses: its tasks come back as
  ``grader_error`` rows ("grade again") rather than grades by other tests. A worker whose isolation
  mode is weaker than the coordinator's grades and says so in the result's message.
- Tasks travel as bytes (the module's bytes, the limits as JSON); results come back as bytes (the
  Gradescope ``results.json`` of ``results.to_gradescope`` and the captured output), parsed strictly
  here: only JSON, the student and hash must be the task's, the tests exactly the trusted ones (their
  names and points are taken from the coordinator's list, only outcomes and messages from the worker).
  No object a worker pickled is ever loaded by ailit. (Dask's own messages between its processes are
  Dask's protocol: run the scheduler and workers on machines you control, with TLS across networks.)
- A worker lost midway (killed, its machine gone): Dask runs its tasks again on another worker; each
  task's future completes once, so each student is written once.

Dask is an optional extra (``pip install ailit[dask]``): ``executor`` imports it only in ``start``;
``worker`` (the plugin and the task, imported by the workers) needs it; ``wire`` (the bytes both
ways, checked) does not.
GRADING.md "Grading on a cluster (Dask)" is the TA's guide.
"""

from __future__ import annotations

from ailit_core.grade.dask.executor import DaskExecutor

__all__ = ["DaskExecutor"]
