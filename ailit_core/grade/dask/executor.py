"""The coordinator side: ``DaskExecutor``, the ``Engine`` interface with the runs done by a Dask
cluster's workers (the package docstring says how and what is checked)."""

from __future__ import annotations

import dataclasses
import json
import os

from ailit_core.grade.dask.wire import LOCAL, INSTALL_HINT, UntrustedResult, decode_result, parse_address
from ailit_core.grade.engine import Engine, EngineError, Limits, Task
from ailit_core.grade.results import STATUS_GRADER_ERROR, SubmissionResult
from ailit_core.grade.suite import HiddenSuite


class DaskExecutor:
    """The ``Engine`` interface, the runs done by Dask workers (the package docstring says how)."""

    def __init__(self, address: str, assignment, *, profile: str | None = None, limits: Limits | None = None,
                 mode: str | None = None, hide=()):
        self.address, self.workers = parse_address(address)
        self.assignment = assignment
        self.profile = profile
        self.limits = limits or Limits.for_assignment(assignment, profile)
        self.forced_mode = mode
        self.hide = [str(h) for h in hide if h]
        self.client = None
        self.cluster = None
        self.plugin = None
        self._grade_task = None
        self._tests: list[dict] = []
        self._collect_errors: list[dict] = []
        self._mode = "?"

    @property
    def tests(self) -> list[dict]:
        return list(self._tests)

    @property
    def collect_errors(self) -> list[dict]:
        return list(self._collect_errors)

    @property
    def mode(self) -> str:
        """The coordinator's own isolation mode (what each worker's is compared with)."""
        return self._mode

    def start(self) -> "DaskExecutor":
        try:
            from distributed import Client, LocalCluster

            from ailit_core.grade.dask.worker import GraderPlugin, grade_task
        except ImportError:
            raise EngineError(INSTALL_HINT) from None
        self._grade_task = grade_task
        # The trusted list and the mode to compare with: collected here, by this machine's engine.
        with Engine(self.assignment, profile=self.profile, limits=self.limits, mode=self.forced_mode,
                    hide=self.hide, warm=False) as local:
            self._tests, self._collect_errors, self._mode = local.tests, local.collect_errors, local.mode
        if self._collect_errors or not self._tests:
            return self  # grade_batch reports the broken suite; no cluster is needed for that
        try:
            if self.address == LOCAL:
                workers = self.workers or max(1, os.cpu_count() or 1)
                # Processes, one thread each: a worker's engine grades one submission at a time.
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.address, timeout="60s")
            self.plugin = GraderPlugin(
                self.assignment.id, profile=self.profile, limits_json=json.dumps(dataclasses.asdict(self.limits)),
                mode=self.forced_mode, coordinator_mode=self._mode, digest=HiddenSuite.of(self.assignment).digest(),
                hide=[os.path.realpath(h) for h in self.hide])
            self.client.register_plugin(self.plugin, name=self.plugin.name)
        except EngineError:
            self.close()
            raise
        except Exception as exc:  # noqa: BLE001 - no scheduler, a refused connection: one line for the TA
            self.close()
            raise EngineError(f"could not use the Dask cluster at {address_label(self)}: {type(exc).__name__}: "
                              f"{exc} / 无法连接 Dask 集群") from None
        return self

    def run(self, tasks, on_start=None):
        """Send every task to the cluster; yields ``(task, SubmissionResult)`` as each comes back."""
        from distributed import as_completed

        tasks = list(tasks)
        futures = {}
        for task in tasks:
            key = f"ailit-{self.assignment.id}-{task.sha256[:16]}-{os.urandom(4).hex()}"  # never a cached result
            future = self.client.submit(self._grade_task, self.plugin.name, task.student, bytes(task.source),
                                        task.sha256, pure=False, key=key)
            futures[future] = task
        # The progress bar's "now": as many as the cluster runs at once, in the order Dask takes them.
        waiting = list(tasks)
        slots = max(1, sum(self.client.nthreads().values()) or 1)
        if on_start is not None:
            for task in waiting[:slots]:
                on_start(task)
        waiting = waiting[slots:]
        for future in as_completed(futures):
            task = futures.pop(future)
            yield task, self._result_of(future, task)
            if on_start is not None and waiting:
                on_start(waiting.pop(0))

    def _result_of(self, future, task: Task) -> SubmissionResult:
        try:
            data = future.result()
            return decode_result(data, task, self._tests)
        except UntrustedResult as exc:
            why = f"the Dask worker's result was rejected ({exc}); grade again / Dask 工作节点返回的结果无效，请重新评分"
        except Exception as exc:  # noqa: BLE001 - e.g. KilledWorker: the task failed on every worker tried
            why = (f"the Dask cluster could not grade this submission ({type(exc).__name__}: {str(exc)[:300]}); "
                   f"grade again / Dask 集群未能完成该提交的评分，请重新评分")
        listed = [{**t, "outcome": "not run", "message": "", "duration": 0.0} for t in self._tests]
        return SubmissionResult(task.student, STATUS_GRADER_ERROR, listed, why, sha256=task.sha256)

    def close(self) -> None:
        if self.client is not None:
            try:
                if self.plugin is not None and self.cluster is None:
                    self.client.unregister_worker_plugin(self.plugin.name)  # a shared cluster: free the engines
            except Exception:  # noqa: BLE001 - closing anyway
                pass
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def __enter__(self) -> "DaskExecutor":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def address_label(executor: DaskExecutor) -> str:
    return f"local:{executor.workers or os.cpu_count()}" if executor.address == LOCAL else executor.address
