"""Grading mutants with the hidden suite through the normal grading engine: warm, ``-j`` at once,
and resumable -- each finished result is stored under a key made of the mutant's bytes and
everything that can change its outcome, so a second run (after an interruption, a ``--budget``
stop, or a new catalogue entry) grades only what it has not seen.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import ailit_core
from ailit_core import paths
from ailit_core.grade.suite import HiddenSuite, hash_tree
from ailit_core.grade.engine import Engine, Limits, Task

CACHE_VERSION = "1"


@dataclass
class Graded:
    """One module's verdict, reduced to what the mutation report needs."""

    status: str  # the engine's submission status (graded, timeout, crashed, ...)
    score: float
    max_score: float
    outcomes: dict[str, str]  # test case name -> passed / failed / skipped / not run
    points: dict[str, float] = field(default_factory=dict)  # test case name -> its points
    message: str = ""
    duration: float = 0.0
    cached: bool = False

    def to_json(self) -> dict:
        return {"status": self.status, "score": self.score, "max_score": self.max_score, "outcomes": self.outcomes,
                "points": self.points, "message": self.message, "duration": self.duration}

    @classmethod
    def from_json(cls, data: dict, *, cached: bool = False) -> "Graded":
        return cls(data["status"], data["score"], data["max_score"], dict(data["outcomes"]), dict(data["points"]),
                   data.get("message", ""), data.get("duration", 0.0), cached)


@dataclass
class Job:
    key: str  # the mutant's id, for progress and results
    source: str
    data: dict = field(default_factory=dict)


def suite_fingerprint(assignment, limits: Limits, env: dict[str, str]) -> str:
    """Everything besides the module that decides a grade: the hidden tests, the grader's pytest.ini,
    the package (less this mutation tool, which only asks), the limits and the extra environment."""
    digest = hashlib.sha256(f"mutate {CACHE_VERSION}\0".encode())
    digest.update(f"suite {HiddenSuite.of(assignment).digest()}\0".encode())
    package = Path(ailit_core.__file__).resolve().parent
    hash_tree(digest, package, "ailit_core", skip=package / "mutate")
    settings = {"timeout": limits.timeout_s, "test_timeout": limits.test_timeout_s, "memory": limits.memory_mb,
                "env": env}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class ResultStore:
    """``DIR/<sha256 of fingerprint + module>.json``: one finished verdict each, written atomically."""

    def __init__(self, folder: Path, fingerprint: str):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.folder.mkdir(parents=True, exist_ok=True)

    def _path(self, source: str) -> Path:
        key = hashlib.sha256(self.fingerprint.encode() + b"\0" + source.encode("utf-8")).hexdigest()
        return self.folder / f"{key}.json"

    def get(self, source: str) -> Graded | None:
        try:
            return Graded.from_json(json.loads(self._path(source).read_text(encoding="utf-8")), cached=True)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, source: str, graded: Graded) -> None:
        path = self._path(source)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(graded.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)


def _graded(result) -> Graded:
    outcomes = {t["name"]: t["outcome"] for t in result.tests}
    points = {t["name"]: float(t["points"]) for t in result.tests}
    message = (result.message or "")[:2000]
    return Graded(result.status, float(result.score), float(result.max_score), outcomes, points, message,
                  float(getattr(result, "duration", 0.0) or 0.0))


@contextmanager
def environment(env: dict[str, str]):
    """The grading process inherits these when it starts; restored afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def resolve_env(env: dict[str, str | Callable[[], str]]) -> dict[str, str]:
    return {k: v() if callable(v) else v for k, v in env.items()}


def grade(assignment, jobs: Iterable[Job], *, store: ResultStore, workers: int, limits: Limits,
          env: dict[str, str], deadline: float | None = None,
          must_finish: Iterable[str] = ()) -> Iterator[tuple[Job, Graded]]:
    """Yield ``(job, verdict)`` for each job, stored ones first; the rest go through one warm engine,
    ``workers`` at once. Past ``deadline`` (a ``time.monotonic()`` value) no more results are
    waited for, except for the jobs named in ``must_finish`` (the reference)."""
    pending = []
    for job in jobs:
        stored = store.get(job.source)
        if stored is not None:
            yield job, stored
        else:
            pending.append(job)
    if not pending:
        return
    waiting = set(must_finish) & {job.key for job in pending}
    if deadline is not None and time.monotonic() >= deadline and not waiting:
        return
    by_student = {}
    tasks = []
    for i, job in enumerate(pending):
        student = f"m{i:05d}"
        by_student[student] = job
        data = job.source.encode("utf-8")
        tasks.append(Task(student=student, source=data, sha256=hashlib.sha256(data).hexdigest()))
    with environment(env), Engine(assignment, jobs=workers, limits=limits) as engine:
        for task, result in engine.run(tasks):
            job = by_student[task.student]
            graded = _graded(result)
            if graded.status != "grader_error":  # our failure, not the mutant's: grade it again next time
                store.put(job.source, graded)
            waiting.discard(job.key)
            yield job, graded
            if deadline is not None and time.monotonic() >= deadline and not waiting:
                break
