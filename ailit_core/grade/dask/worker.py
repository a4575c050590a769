"""The worker side: ``GraderPlugin`` (a Dask worker plugin: one warm ``Engine`` per worker for one
assignment, with the coordinator's settings) and ``grade_task`` (the Dask task: bytes in, bytes out).
Imported by the workers and by the coordinator's ``start`` (it needs ``distributed``)."""

from __future__ import annotations

import hashlib
import json
import os
import queue
import secrets
import threading
from concurrent.futures import Future

from distributed import get_worker
from distributed.diagnostics.plugin import WorkerPlugin

from ailit_core.grade.dask.wire import PLUGIN_PREFIX, encode_result, refused, weaker
from ailit_core.grade.engine import Engine, EngineError, Limits, Task
from ailit_core.grade.suite import HiddenSuite


class GraderPlugin(WorkerPlugin):
    """On each worker: one warm ``Engine`` for one assignment, with the coordinator's settings."""

    def __init__(self, assignment_id: str, *, profile: str | None, limits_json: str, mode: str | None,
                 coordinator_mode: str, digest: str, hide: list[str]):
        self.assignment_id = assignment_id
        self.profile = profile
        self.limits_json = limits_json
        self.forced_mode = mode
        self.coordinator_mode = coordinator_mode
        self.digest = digest
        self.hide = list(hide)
        key = hashlib.sha256(json.dumps([assignment_id, profile, limits_json, mode, digest]).encode()).hexdigest()
        # One plugin per batch: two coordinators sharing a cluster never replace each other's engines.
        self.name = PLUGIN_PREFIX + f"{assignment_id}-{key[:12]}-{secrets.token_hex(4)}"
        self._engine: Engine | None = None
        self._refusal: str | None = None
        self._jobs: queue.Queue | None = None
        self._thread: threading.Thread | None = None

    def __getstate__(self):  # only the settings travel to the workers
        state = dict(self.__dict__)
        state.update(_engine=None, _refusal=None, _jobs=None, _thread=None)
        return state

    def setup(self, worker=None):
        """Once per worker: check the suite and start the warm engine in a thread of its own, which
        then runs every submission through it. One long-lived thread because the warm parent dies
        with the thread that started it (its parent-death signal), and the worker's event loop keeps
        answering the scheduler meanwhile; the first task waits for the start."""
        self._jobs = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name=f"ailit-engine-{self.assignment_id}", daemon=True)
        self._thread.start()

    def teardown(self, worker=None):
        thread, self._thread = self._thread, None  # from now on grade() refuses
        if thread is not None:
            self._jobs.put(None)
            thread.join(timeout=60)

    def grade(self, student: str, source: bytes, sha256: str) -> bytes:
        """One submission (from a Dask task thread): its result as the bytes of ``encode_result``."""
        if self._thread is None:
            return encode_result(refused(student, sha256, "the grader plugin is not set up on this worker",
                                          self._where()))
        reply: Future = Future()
        self._jobs.put((student, source, sha256, reply))
        return reply.result()

    def _serve(self) -> None:
        self._start()
        try:
            while (job := self._jobs.get()) is not None:
                student, source, sha256, reply = job
                try:
                    reply.set_result(self._grade(student, source, sha256))
                except BaseException as exc:  # noqa: BLE001 - handed to the task, which Dask reports
                    reply.set_exception(exc)
        finally:
            if self._engine is not None:
                self._engine.close()
                self._engine = None
            while True:  # tasks that arrived after the stop: their rows say grade again (Dask may retry)
                try:
                    job = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if job is not None:
                    job[3].set_result(encode_result(refused(job[0], job[2], "the grader plugin was stopped",
                                                            self._where())))

    def _start(self) -> None:
        from ailit_core import assignments

        try:
            assignment = assignments.get(self.assignment_id)
            here = HiddenSuite.of(assignment).digest()
            if here != self.digest:
                self._refusal = (f"this worker's hidden suite of {self.assignment_id} differs from the coordinator's "
                                 f"(digest {here}, expected {self.digest}): it refuses to grade; update its checkout")
                return
            limits = Limits(**json.loads(self.limits_json))
            self._engine = Engine(assignment, profile=self.profile, limits=limits, mode=self.forced_mode,
                                  hide=[h for h in self.hide if os.path.exists(h)], warm=True).start()
        except Exception as exc:  # noqa: BLE001 - this worker cannot grade: its rows say why ("grade again")
            self._refusal = f"the grading engine did not start on this worker ({type(exc).__name__}: {exc})"

    def _grade(self, student: str, source: bytes, sha256: str) -> bytes:
        if self._refusal is not None:
            return encode_result(refused(student, sha256, self._refusal, self._where()))
        try:
            [(_, result)] = list(self._engine.run([Task(student, source, sha256)]))
        except EngineError as exc:  # the warm parent keeps stopping: this row says grade again
            return encode_result(refused(student, sha256, str(exc), self._where()))
        if weaker(self._engine.mode, self.coordinator_mode):
            note = (f"graded on Dask worker {self._where()} in isolation mode {self._engine.mode}, weaker than "
                    f"the coordinator's {self.coordinator_mode} / 在 Dask 工作节点 {self._where()} 上以较弱的隔离模式 "
                    f"{self._engine.mode} 评分（协调端为 {self.coordinator_mode}）")
            result.message = "\n".join(p for p in (result.message, note) if p)
        return encode_result(result)

    @staticmethod
    def _where() -> str:
        try:
            return get_worker().address
        except ValueError:
            return "?"


def grade_task(plugin_name: str, student: str, source: bytes, sha256: str) -> bytes:
    """The Dask task: find this worker's plugin and grade one submission (bytes in, bytes out)."""
    plugin = get_worker().plugins.get(plugin_name)
    if plugin is None:
        return encode_result(refused(student, sha256, "the grader plugin is not set up on this worker",
                                      GraderPlugin._where()))
    return plugin.grade(student, source, sha256)
