"""The mutation report: ``mutation.json`` (every mutant: origin, operator, location, diff, the
tests that kill it, its score) and the same findings to read, ``mutation.md`` and ``mutation.html``,
surviving mutants with their diffs first.

Both readable forms are rendered from one list of blocks, so they never say different things.
"""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

from ailit_core.mutate import analysis as an


def _score_text(score) -> str:
    return "–" if score is None else f"{score:.1f}%"


def _counts_row(label: str, counts: dict) -> list[str]:
    return [label, str(counts["mutants"]), str(counts[an.KILLED]), str(counts[an.SURVIVED]),
            str(counts[an.EQUIVALENT]), str(counts[an.ACCEPTED]),
            str(counts[an.NOT_GRADED] + counts[an.GRADER_ERROR]), _score_text(counts["score"])]


COUNT_HEADERS = ["", "mutants", "killed", "survived", "equivalent", "accepted", "not graded", "score"]


def summary(records, tests, baseline_status: str, fingerprint: str, assignment_id: str, *, graded_now: int,
            from_store: int, min_score: float | None) -> dict:
    mutants = [r for r in records if not r.is_correct_variant]
    return {
        "assignment": assignment_id,
        "suite_fingerprint": fingerprint,
        "reference_status": baseline_status,
        "score": an.score_of(mutants),
        "by_origin": {origin: an.score_of([r for r in mutants if r.origin == origin])
                      for origin in ("catalogue", "generated")},
        "by_function": an.per_function(records),
        "by_test": tests,
        "tests_killing_nothing_new": an.redundant_tests(tests),
        "correct_variants": {r.id: r.status for r in records if r.is_correct_variant},
        "graded_now": graded_now,
        "from_stored_results": from_store,
        "min_score": min_score,
    }


def mutant_json(r) -> dict:
    g = r.graded
    return {
        "id": r.id, "source": r.origin, "operator": r.operator, "description": r.description,
        "location": {"function": r.function, "line": r.line, "end_line": r.end_line},
        "diff": r.diff, "status": r.status, "killed_by": r.killed_by, "killed_by_tests": r.killed_by_functions,
        "expected_kills": list(r.expected_kills), "missed_expected_kills": r.missed_expected,
        "equivalent_reason": r.equivalent_reason or None,
        "accepted_reason": r.accepted_reason or None,
        "score": g.score if g else None, "max_score": g.max_score if g else None,
        "grading_status": g.status if g else None, "from_stored_result": g.cached if g else None,
    }


def blocks(info: dict, records) -> list[tuple]:
    out: list[tuple] = []
    score = info["score"]
    out.append(("h1", f"Mutation report: {info['assignment']}"))
    out.append(("p", f"Mutation score {_score_text(score['score'])}: {score[an.KILLED]} of "
                     f"{score[an.KILLED] + score[an.SURVIVED]} graded, non-equivalent mutants fail at least one "
                     f"hidden test"
                     + (f"; {score[an.ACCEPTED]} accepted survivor(s) (listed below with the reason) are not "
                        "counted as misses" if score[an.ACCEPTED] else "")
                     + f". Hidden-suite fingerprint {info['suite_fingerprint']}; "
                     f"{info['graded_now']} graded now, {info['from_stored_results']} from stored results."))
    if info["reference_status"] != "all passed":
        out.append(("p", f"Warning: the reference does not pass every hidden test ({info['reference_status']}); "
                         "tests it does not pass cannot kill a mutant."))
    if info["min_score"] is not None:
        verdict = "met" if score["score"] is not None and score["score"] >= info["min_score"] else "NOT met"
        out.append(("p", f"Gate --min-score {info['min_score']:g}%: {verdict}."))
    out.append(("table", COUNT_HEADERS, [_counts_row("from the catalogue", info["by_origin"]["catalogue"]),
                                         _counts_row("generated", info["by_origin"]["generated"]),
                                         _counts_row("all", score)]))

    survivors = [r for r in records if r.status == an.SURVIVED]
    out.append(("h2", f"Surviving mutants ({len(survivors)})"))
    if survivors:
        out.append(("p", "The hidden suite cannot tell these from the reference. Each is either a mistake a "
                         "test should catch (add or sharpen one) or behaves like the reference (say why in the "
                         "catalogue's EQUIVALENT)."))
    for r in survivors:
        out.append(("h3", f"{r.id} — {r.function}, line {r.line}: {r.description}"))
        out.append(("diff", r.diff))

    accepted = [r for r in records if r.status == an.ACCEPTED]
    if accepted:
        out.append(("h2", f"Accepted survivors ({len(accepted)})"))
        out.append(("p", "Realistic mistakes no hidden test catches, accepted for the reason the catalogue's "
                         "ACCEPTED gives; not counted as misses in the score."))
        for r in accepted:
            out.append(("h3", f"{r.id} — {r.function}, line {r.line}: {r.description} — accepted: "
                              f"{r.accepted_reason}"))
            out.append(("diff", r.diff))

    false_failures = [r for r in records if r.status == an.FALSE_FAILURE]
    if false_failures:
        out.append(("h2", f"False failures: correct variants that lose points ({len(false_failures)})"))
        for r in false_failures:
            out.append(("h3", f"{r.id}: {r.description} — failed {', '.join(r.killed_by_functions)}"))
            out.append(("diff", r.diff))

    missed = [r for r in records if r.missed_expected]
    if missed:
        out.append(("h2", "Catalogue mutants that pass a test meant to catch them"))
        out.append(("list", [f"{r.id}: passes {', '.join(r.missed_expected)}" for r in missed]))

    out.append(("h2", "Score per function"))
    out.append(("table", ["function"] + COUNT_HEADERS[1:],
                [_counts_row(name, counts) for name, counts in info["by_function"].items()]))

    out.append(("h2", "Score per test"))
    out.append(("p", "kills: non-equivalent mutants the test fails on; only this test: of those, the ones no "
                     "other test fails on."))
    out.append(("table", ["test", "points", "kills", "only this test"],
                [[name + ("" if t["reference_passes"] else " (reference fails it)"), f"{t['points']:g}",
                  str(t["kills"]), str(t["unique_kills"])] for name, t in info["by_test"].items()]))
    redundant = info["tests_killing_nothing_new"]
    out.append(("h2", f"Tests that kill nothing the others do not ({len(redundant)})"))
    if redundant:
        out.append(("p", "Every mutant these fail on also fails another test. They may still be worth keeping "
                         "(a clearer message, points for a separate skill), but no mutant here needs them."))
        out.append(("list", [f"{name} (kills {info['by_test'][name]['kills']})" for name in redundant]))
    else:
        out.append(("p", "None: every test is the only one to catch at least one mutant."))

    equivalents = [r for r in records if r.status == an.EQUIVALENT]
    if equivalents:
        out.append(("h2", f"Equivalent mutants ({len(equivalents)})"))
        out.append(("list", [f"{r.id} ({r.description}): {r.equivalent_reason}" for r in equivalents]))
    for key, name in (("stale_equivalent_ids", "EQUIVALENT"), ("stale_accepted_ids", "ACCEPTED")):
        if info.get(key):
            out.append(("h2", f"{name} entries that match no generated mutant (out of date)"))
            out.append(("p", "The reference changed since they were written: check the surviving mutants above "
                             "and update the ids in the catalogue."))
            out.append(("list", info[key]))
    variants = [r for r in records if r.status == an.CORRECT]
    if variants:
        out.append(("h2", f"Correct variants that get full marks ({len(variants)})"))
        out.append(("list", [f"{r.id}: {r.description}" for r in variants]))
    waiting = [r for r in records if r.status in (an.NOT_GRADED, an.GRADER_ERROR)]
    if waiting:
        out.append(("h2", f"Not graded ({len(waiting)})"))
        out.append(("p", "Out of --budget, or a grader problem: run the same command again to grade them "
                         "(finished results are kept)."))
        out.append(("list", [f"{r.id} ({r.status})" for r in waiting]))

    killed = [r for r in records if r.status == an.KILLED]
    out.append(("h2", f"Killed mutants ({len(killed)})"))
    out.append(("table", ["mutant", "function", "what", "failed tests", "score"],
                [[r.id, r.function, r.description, ", ".join(r.killed_by_functions),
                  f"{r.graded.score:g}/{r.graded.max_score:g}"] for r in killed]))
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(items) -> str:
    out = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2", "h3"):
            out.append(f"{'#' * int(kind[1])} {item[1]}\n")
        elif kind == "p":
            out.append(item[1] + "\n")
        elif kind == "list":
            out.append("\n".join(f"- {_md_cell(x)}" for x in item[1]) + "\n")
        elif kind == "diff":
            out.append(f"```diff\n{item[1]}\n```\n")
        elif kind == "table":
            headers, rows = item[1], item[2]
            lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines) + "\n")
    return "\n".join(out)


CSS = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
       "pre{background:#f6f8fa;padding:.5em;overflow-x:auto}.add{color:#116329}.del{color:#82071e}")


def _diff_html(text: str) -> str:
    lines = []
    for line in text.splitlines():
        escaped = html.escape(line)
        if line.startswith("+") and not line.startswith("+++"):
            escaped = f'<span class="add">{escaped}</span>'
        elif line.startswith("-") and not line.startswith("---"):
            escaped = f'<span class="del">{escaped}</span>'
        lines.append(escaped)
    return "<pre>" + "\n".join(lines) + "</pre>"


def to_html(items, title: str) -> str:
    body = []
    for item in items:
        kind = item[0]
        if kind in ("h1", "h2", "h3"):
            body.append(f"<{kind}>{html.escape(item[1])}</{kind}>")
        elif kind == "p":
            body.append(f"<p>{html.escape(item[1])}</p>")
        elif kind == "list":
            body.append("<ul>" + "".join(f"<li>{html.escape(x)}</li>" for x in item[1]) + "</ul>")
        elif kind == "diff":
            body.append(_diff_html(item[1]))
        elif kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in item[1])
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in item[2])
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{CSS}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write(out: Path, info: dict, records) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    order = {an.SURVIVED: 0, an.FALSE_FAILURE: 1, an.NOT_GRADED: 2, an.GRADER_ERROR: 2, an.ACCEPTED: 3,
             an.KILLED: 4, an.EQUIVALENT: 5, an.CORRECT: 6}
    data = dict(info, mutants=[mutant_json(r) for r in sorted(records, key=lambda r: order.get(r.status, 9))])
    items = blocks(info, records)
    paths = [out / "mutation.json", out / "mutation.md", out / "mutation.html"]
    _write(paths[0], json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    _write(paths[1], to_markdown(items))
    _write(paths[2], to_html(items, f"Mutation report: {info['assignment']}"))
    return paths
