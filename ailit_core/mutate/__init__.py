"""``ailit mutate``: how good is a hidden suite? Grade mistakes and see which ones it misses.

Mutants come from the assignment's catalogue of realistic mistakes (``catalogue``) and from ML-aware
operators applied to the reference's solution regions (``operators``). Each is graded by the normal
grading engine (``grading``, resumable), compared with the reference test by test (``analysis``),
and the findings are written as ``mutation.json``, ``.md`` and ``.html`` (``report``).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ailit_core import assignments, paths


@dataclass
class Outcome:
    score: float | None  # mutation score in percent over graded, non-equivalent mutants
    written: list[Path]
    gate_failed: bool
    not_graded: int


def default_out(assignment_id: str) -> Path:
    return paths.project_root() / "dist" / "mutation" / assignment_id


def _interleaved(generated):
    """Round-robin over functions, so that a run cut short by --budget still covers every function."""
    by_function: dict[str, list] = {}
    for g in generated:
        by_function.setdefault(g.function, []).append(g)
    queues = list(by_function.values())
    out = []
    while queues:
        out.extend(q.pop(0) for q in queues)
        queues = [q for q in queues if q]
    return out


def main(*, assignment_id: str, out: Path | None = None, budget_s: float | None = None, jobs: int = 1,
         min_score: float | None = None, catalogue_file: Path | None = None, use_catalogue: bool = True,
         use_generated: bool = True, operators: list[str] | None = None, max_generated: int | None = None,
         quiet: bool = False) -> Outcome:
    from ailit_core.grade.engine import Limits
    from ailit_core.mutate import analysis, catalogue, grading, report
    from ailit_core.mutate import operators as ops

    started = time.monotonic()
    deadline = started + budget_s if budget_s else None
    assignment = assignments.get(assignment_id)
    if not assignment.is_landed():
        raise LookupError(f"{assignment_id} has no reference solution and hidden tests in this checkout")
    out = Path(out) if out is not None else default_out(assignment_id)
    reference = assignment.solution_path.read_text(encoding="utf-8")
    cat = catalogue.load_file(catalogue_file, assignment_id) if catalogue_file else catalogue.load(assignment_id)

    spans = ops.function_spans(reference)
    records = [analysis.from_catalogue(m, reference, spans) for m in cat.mutants] if use_catalogue else []
    stale: list[str] = []
    stale_accepted: list[str] = []
    if use_generated:
        generated = _interleaved(ops.generate(reference, operators))
        if operators is None:  # every operator ran: an EQUIVALENT/ACCEPTED id no mutant has is out of date
            ids = {g.id for g in generated}
            stale = sorted(set(cat.equivalent) - ids)
            stale_accepted = sorted(set(cat.accepted) - ids)
        if max_generated is not None:
            generated = generated[:max_generated]
        records += [analysis.from_generated(g, reference, cat.equivalent, cat.accepted) for g in generated]

    for r in records:  # trivially equivalent: nothing to grade
        if not r.is_correct_variant and analysis.same_code(reference, r.module):
            r.status, r.equivalent_reason = analysis.EQUIVALENT, "compiles to the reference's bytecode"
    env = grading.resolve_env(cat.env)
    limits = Limits.for_assignment(assignment)
    fingerprint = grading.suite_fingerprint(assignment, limits, {k: "set" for k in env})
    store = grading.ResultStore(out / "results", fingerprint)
    jobs_list = [grading.Job("reference", reference)] + [grading.Job(r.id, r.module) for r in records
                                                         if r.status == analysis.NOT_GRADED]
    by_id = {r.id: r for r in records}
    verdicts: dict[str, grading.Graded] = {}
    total, from_store = len(jobs_list), 0

    def say(text: str) -> None:
        if not quiet:
            print(text, file=sys.stderr, flush=True)

    say(f"ailit mutate {assignment_id}: {len(records)} mutant(s) "
        f"({sum(r.origin == 'catalogue' for r in records)} from the catalogue), -j {jobs}"
        + (f", budget {budget_s:g} s" if budget_s else ""))
    for job, graded in grading.grade(assignment, jobs_list, store=store, workers=jobs, limits=limits, env=env,
                                     deadline=deadline, must_finish=["reference"]):
        verdicts[job.key] = graded
        from_store += graded.cached
        say(f"[{len(verdicts)}/{total}] {job.key}: {graded.status} {graded.score:g}/{graded.max_score:g}"
            + (" (stored)" if graded.cached else ""))

    baseline_result = verdicts.get("reference")
    if baseline_result is None or baseline_result.status == "grader_error":
        detail = baseline_result.message[:500] if baseline_result else "not graded"
        raise RuntimeError(f"the reference of {assignment_id} could not be graded: {detail}")
    baseline = baseline_result.outcomes
    failing = sorted(t for t, o in baseline.items() if o != "passed")
    baseline_status = "all passed" if not failing else f"{len(failing)} not passed: {', '.join(failing[:5])}"
    for key, graded in verdicts.items():
        if key in by_id:
            analysis.classify(by_id[key], graded, baseline)

    points: dict[str, float] = {}
    for case, value in baseline_result.points.items():
        name = analysis.test_function(case)
        points[name] = points.get(name, 0.0) + value
    tests = analysis.per_test(records, baseline, points)
    info = report.summary(records, tests, baseline_status, fingerprint, assignment_id,
                          graded_now=len(verdicts) - from_store, from_store=from_store, min_score=min_score)
    info["stale_equivalent_ids"] = stale
    info["stale_accepted_ids"] = stale_accepted
    written = report.write(out, info, records)
    score = info["score"]["score"]
    gate_failed = min_score is not None and (score is None or score < min_score)
    return Outcome(score, written, gate_failed, info["score"][analysis.NOT_GRADED] + info["score"][analysis.GRADER_ERROR])
