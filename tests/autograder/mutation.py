"""Proving hidden tests can fail: buggy variants ("mutants") of a reference solution.

A mutant is the reference source with a few exact text replacements that make a realistic student
mistake (wrong gradient sign, missing ``zero_grad``, ...), plus the names of the hidden test
functions that must catch it; a mutant that names none is a correct variant every test must pass.
The catalogues are data of the package (``ailit_core/mutate/catalogues/<id>.py``, also read by
``ailit mutate``); ``test_mutants.py`` checks them with one ``MutationRunner`` per assignment: its
warm grading engines pay the assignment's imports (torch, transformers, fixtures) once, so a
mutant costs only its tests' time.

Tests named in ``slow_tests`` (a training run, say) run in a second engine, only for the mutants
that must be caught or spared (``spares``) by them; every other mutant, and every correct variant
(a rewrite of one small function the slow run does not single out), runs the rest of the suite.

``prefetch`` grades a whole catalogue up front, ``JOBS`` submissions at a time (graded runs are
single-threaded, so one at a time left a core idle); the checks then read its outcomes.
"""

from __future__ import annotations

import hashlib
from contextlib import ExitStack
from typing import Callable

from ailit_core import assignments
from ailit_core.grade.engine import Engine, Task
from ailit_core.mutate.catalogue import Mutant
from ailit_core.mutate.grading import environment, resolve_env
from ailit_core.release.files import release_files

__all__ = ["Mutant", "MutationRunner", "function_name"]

JOBS = 2


def function_name(test_name: str) -> str:
    return test_name.split("[", 1)[0]


class MutationRunner:
    """Warm engines for one assignment's mutation proofs; use as a context manager."""

    def __init__(self, assignment_id: str, *, slow_tests: tuple[str, ...] = (),
                 env: dict[str, str | Callable[[], str]] | None = None):
        self.assignment = assignments.get(assignment_id)
        self.slow_tests = tuple(slow_tests)
        self.env = dict(env or {})
        self._engines: dict[bool, Engine] = {}
        self._stack = ExitStack()
        self._graded: dict[tuple[str, bool], object] = {}  # (student, with_slow) -> SubmissionResult

    def __enter__(self) -> "MutationRunner":
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _engine(self, with_slow: bool) -> Engine:
        with_slow = with_slow or not self.slow_tests
        if with_slow not in self._engines:
            args = [] if with_slow else ["-k", " and ".join(f"not {t}" for t in self.slow_tests)]
            # the warm parent inherits them when it starts; a callable builds its value only now
            with environment(resolve_env(self.env)):
                engine = Engine(self.assignment, extra_pytest_args=args, jobs=JOBS)
                self._engines[with_slow] = self._stack.enter_context(engine)
        return self._engines[with_slow]

    @property
    def reference(self) -> str:
        return self.assignment.solution_path.read_text(encoding="utf-8")

    def _task(self, source: str, student: str) -> Task:
        data = source.encode("utf-8")
        return Task(student=student, source=data, sha256=hashlib.sha256(data).hexdigest())

    def _needs_slow(self, mutant: Mutant) -> bool:
        return not mutant.is_correct_variant and bool((set(mutant.kills) | set(mutant.spares)) & set(self.slow_tests))

    @property
    def stub(self) -> str:
        return release_files(self.assignment)[self.assignment.filename].decode("utf-8")

    def prefetch(self, mutants: list[Mutant], *, reference: bool = True, stub: bool = True) -> None:
        """Grade the reference, the stub and these mutants now, in parallel, for the checks below."""
        cases = [(self.reference, "reference", True)] if reference else []
        cases += [(self.stub, "stub", True)] if stub else []
        cases += [(m.apply(self.reference), m.name, self._needs_slow(m)) for m in mutants]
        for with_slow in (True, False):
            tasks = [self._task(src, name) for src, name, slow in cases if (slow or not self.slow_tests) == with_slow]
            if tasks:
                for task, result in self._engine(with_slow).run(tasks):
                    self._graded[task.student, with_slow or not self.slow_tests] = result

    def outcomes(self, source: str, student: str, *, with_slow: bool = True) -> dict[str, set[str]]:
        """Hidden test function names by outcome (passed, failed, skipped, not run)."""
        key = (student, with_slow or not self.slow_tests)
        result = self._graded.pop(key, None)
        if result is None:
            result = next(iter(self._engine(with_slow).run([self._task(source, student)])))[1]
        assert result.tests, f"{student}: no test results ({result.status}): {result.message[:500]}"
        by_outcome: dict[str, set[str]] = {}
        for t in result.tests:
            by_outcome.setdefault(t["outcome"], set()).add(function_name(t["name"]))
        return by_outcome

    def check_reference_passes(self) -> None:
        outcomes = self.outcomes(self.reference, "reference")
        assert set(outcomes) == {"passed"}, f"reference outcomes: {outcomes}"

    def check_mutant(self, mutant: Mutant) -> None:
        if mutant.is_correct_variant:
            outcomes = self.outcomes(mutant.apply(self.reference), mutant.name, with_slow=False)
            assert set(outcomes) == {"passed"}, f"{mutant.name} ({mutant.why}) is correct but got {outcomes}"
            return
        outcomes = self.outcomes(mutant.apply(self.reference), mutant.name, with_slow=self._needs_slow(mutant))
        missing = set(mutant.kills) - set().union(*outcomes.values())
        assert not missing, f"{mutant.name}: no hidden tests named {sorted(missing)}"
        failed = outcomes.get("failed", set()) | outcomes.get("not run", set())
        survived = set(mutant.kills) - failed
        assert not survived, f"{mutant.name} ({mutant.why}) passed {sorted(survived)}; those tests cannot see this bug"
        charged_twice = set(mutant.spares) & failed
        assert not charged_twice, (f"{mutant.name} ({mutant.why}) also failed {sorted(charged_twice)}, "
                                   "whose code is right: the mistake is charged more than once")

    def check_every_test_is_killed(self, mutants: list[Mutant], *, may_skip: tuple[str, ...] = ()) -> None:
        """Every hidden test fails on the released stub and is listed as a kill of some mutant.

        ``may_skip``: tests this machine cannot run (a CUDA check without a GPU) are not required
        to fail on the stub, but must still be listed as some mutant's kill.
        """
        outcomes = self.outcomes(self.stub, "stub")
        names = set().union(*outcomes.values())
        assert not outcomes.get("passed"), f"hidden tests that pass on the stub: {sorted(outcomes['passed'])}"
        skipped = outcomes.get("skipped", set()) - set(may_skip)
        assert not skipped, f"hidden tests skipped on the stub: {sorted(skipped)}"
        killed = {k for m in mutants for k in m.kills}
        assert names <= killed, f"hidden tests no mutant proves able to fail: {sorted(names - killed)}"
