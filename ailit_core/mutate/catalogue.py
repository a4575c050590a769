"""An assignment's catalogue of realistic mistakes ("mutants"), as data ``ailit mutate`` and the
project's own mutation proofs (``tests/autograder/``) read.

A catalogue is a Python module ``ailit_core/mutate/catalogues/<id>.py`` (or any file given with
``--catalogue``) defining:

- ``MUTANTS``: a list of ``Mutant`` -- the reference source with a few exact text replacements that
  make one realistic student mistake, plus the hidden test functions that must catch it. A mutant
  with no ``kills`` is a *correct variant*: a different way to write a right answer, which every
  hidden test must pass (it proves a test does not fail correct code).
- ``RUNNER_OPTIONS`` (optional): ``slow_tests`` (run only for the mutants they must catch, in the
  project's proofs) and ``env`` (environment for the grading process; a callable builds its value
  when the engine starts).
- ``EQUIVALENT`` (optional): generated-mutant id -> why it is equivalent to the reference or not a
  mistake a student makes; ``ailit mutate`` reports those apart and leaves them out of the score.
- ``ACCEPTED`` (optional): generated-mutant id -> why a realistic mistake is accepted although no
  hidden test catches it (e.g. a device move that a CPU-only grader cannot observe); reported apart
  with its reason, with the status ``accepted``, and not counted as a miss in the score.

Catalogues live inside the package, not under ``tests/``, so an installed ``ailit`` can read them.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable


@dataclass(frozen=True)
class Mutant:
    name: str
    replacements: tuple[tuple[str, str], ...]
    kills: tuple[str, ...]  # hidden test function names (without parameters) that must fail; () = correct variant
    why: str = ""
    # Tests that must still pass: the mistake is charged once, in the tests that name it (a wrong
    # gradient must not also fail the update-rule test, whose code is right).
    spares: tuple[str, ...] = ()

    def apply(self, source: str) -> str:
        for old, new in self.replacements:
            assert source.count(old) >= 1, f"mutant {self.name}: {old!r} not found in the reference"
            source = source.replace(old, new)
        return source

    @property
    def is_correct_variant(self) -> bool:
        return not self.kills


@dataclass
class Catalogue:
    assignment_id: str
    mutants: list[Mutant] = field(default_factory=list)
    slow_tests: tuple[str, ...] = ()
    env: dict[str, str | Callable[[], str]] = field(default_factory=dict)
    equivalent: dict[str, str] = field(default_factory=dict)
    accepted: dict[str, str] = field(default_factory=dict)
    origin: str = ""  # where it was read from, for reports

    @property
    def runner_options(self) -> dict:
        return {"slow_tests": self.slow_tests, "env": dict(self.env)}


def _from_module(module, assignment_id: str, origin: str) -> Catalogue:
    options = dict(getattr(module, "RUNNER_OPTIONS", {}) or {})
    mutants = list(getattr(module, "MUTANTS", []))
    bad = [m for m in mutants if not isinstance(m, Mutant)]
    if bad:
        raise ValueError(f"{origin}: MUTANTS holds something other than Mutant entries: {bad[0]!r}")
    names = [m.name for m in mutants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{origin}: mutant names used twice: {', '.join(duplicates)}")
    equivalent = dict(getattr(module, "EQUIVALENT", {}) or {})
    accepted = dict(getattr(module, "ACCEPTED", {}) or {})
    both = sorted(set(equivalent) & set(accepted))
    if both:
        raise ValueError(f"{origin}: ids both EQUIVALENT and ACCEPTED: {', '.join(both)}")
    return Catalogue(assignment_id, mutants, tuple(options.get("slow_tests", ())), dict(options.get("env", {})),
                     equivalent, accepted, origin)


def load(assignment_id: str) -> Catalogue:
    """The built-in catalogue of an assignment; an empty one when it has none."""
    name = f"{__package__}.catalogues.{assignment_id}"
    if importlib.util.find_spec(name) is None:
        return Catalogue(assignment_id, origin="(none)")
    return _from_module(importlib.import_module(name), assignment_id, name)


def load_file(path: Path, assignment_id: str) -> Catalogue:
    """An instructor's own catalogue file (same layout as the built-in ones)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no catalogue file {path}")
    spec = importlib.util.spec_from_file_location(f"ailit_catalogue_{assignment_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return _from_module(module, assignment_id, str(path))
