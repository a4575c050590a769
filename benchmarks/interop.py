"""The same ten submissions of one assignment graded three ways: ``ailit grade``, ``nbgrader
autograde`` and ``otter run``. Prints seconds per submission for each, the ratios, and every
submission's score under each tool (they should agree: all three run the same hidden suite).

The ten: the sample submissions in ``examples/submissions/<id>/`` plus the reference and the
released stub, topped up with mutants when there are fewer. For the notebook tools each becomes
the released notebook with the module in its first code cell (a student who pasted their file).
Setup (``nbgrader generate_assignment``, ``otter assign``) is not timed; each tool's timed part is
its own CLI, as an instructor would run it (otter grades one notebook per ``otter run``).

Usage: python benchmarks/interop.py [ID]   (default a1_xor_backprop)
"""

from __future__ import annotations

import csv
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ailit_core import assignments, paths  # noqa: E402
from ailit_core.release import main as release_main  # noqa: E402
from ailit_core.release.files import release_files  # noqa: E402

BIN = Path(sys.executable).parent
COUNT = 10


def env() -> dict[str, str]:
    e = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
             PYTHONPATH=str(paths.project_root()))
    e.pop("AILIT_IMPL", None)
    return e


def sh(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return time.perf_counter() - started


def module_of(entry: Path, filename: str) -> str:
    if entry.is_dir():
        return min(entry.rglob(filename), key=lambda p: len(p.parts)).read_text(encoding="utf-8")
    if entry.suffix == ".zip":
        with zipfile.ZipFile(entry) as archive:
            name = min((n for n in archive.namelist() if n.endswith(filename)), key=len)
            return archive.read(name).decode("utf-8")
    return entry.read_text(encoding="utf-8")


def submissions(assignment) -> dict[str, str]:
    """student -> module source, ten of them."""
    chosen = {"reference": assignment.solution_path.read_text(encoding="utf-8"),
              "stub": release_files(assignment)[assignment.filename].decode("utf-8")}
    samples = paths.examples_dir() / "submissions" / assignment.id
    for entry in sorted(samples.iterdir()) if samples.is_dir() else []:
        if len(chosen) < COUNT and not entry.name.startswith("."):
            chosen[entry.stem if entry.is_file() else entry.name] = module_of(entry, assignment.filename)
    try:
        mutants = importlib.import_module(f"tests.autograder.test_{assignment.id}_mutants").MUTANTS
    except ImportError:
        mutants = []
    for mutant in mutants:
        if len(chosen) >= COUNT:
            break
        chosen[f"mutant_{mutant.name}"] = mutant.apply(chosen["reference"])
    return chosen


def pasted(template: Path, source: str, is_module_cell) -> nbformat.NotebookNode:
    """The template notebook with ``source`` in its first module cell and the others emptied."""
    nb = nbformat.read(str(template), as_version=4)
    first = True
    for cell in nb.cells:
        if cell.cell_type == "code" and is_module_cell(cell):
            cell.source = source if first else "# (my code is in the first cell)"
            first = False
    return nb


def grade_ailit(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    folder = work / "ailit" / "submissions"
    for student, source in subs.items():
        (folder / student).mkdir(parents=True)
        (folder / student / assignment.filename).write_text(source, encoding="utf-8")
    out = work / "ailit" / "out"
    seconds = sh([str(BIN / "ailit"), "grade", str(folder), "-a", assignment.id, "-o", str(out), "-q"], cwd=work)
    with (out / "grades.csv").open(encoding="utf-8-sig") as fh:
        return seconds, {row["student"]: float(row["score"]) for row in csv.DictReader(fh)}


def grade_nbgrader(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    from nbgrader.api import Gradebook

    course = work / "nbgrader"
    release_main(assignment_ids=[assignment.id], out=course, fmt="nbgrader")
    sh([str(BIN / "nbgrader"), "generate_assignment", assignment.id, "--force"], cwd=course)
    released = course / "release" / assignment.id
    for student, source in subs.items():
        target = course / "submitted" / student / assignment.id
        shutil.copytree(released, target)
        nb = pasted(released / f"{assignment.id}.ipynb", source,
                    lambda c: not c.metadata.get("nbgrader", {}).get("grade") and "ailit_core" not in c.source)
        nbformat.write(nb, str(target / f"{assignment.id}.ipynb"))
    seconds = sh([str(BIN / "nbgrader"), "autograde", assignment.id, "--create"], cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return seconds, {s: gradebook.find_submission(assignment.id, s).score for s in subs}


def grade_otter(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    folder = work / "otter"
    release_main(assignment_ids=[assignment.id], out=folder, fmt="otter")
    master = folder / assignment.id
    sh([str(BIN / "otter"), "assign", f"{assignment.id}.ipynb", "dist"], cwd=master)
    (zip_path,) = (master / "dist" / "autograder").glob("*.zip")
    student_nb = master / "dist" / "student" / f"{assignment.id}.ipynb"
    seconds, scores = 0.0, {}
    for student, source in subs.items():
        out = folder / "runs" / student
        out.mkdir(parents=True)
        nb = pasted(student_nb, source, lambda c: "otter" not in c.source and "grader." not in c.source)
        nbformat.write(nb, str(out / f"{assignment.id}.ipynb"))
        seconds += sh([str(BIN / "otter"), "run", "-a", str(zip_path), "-o", str(out), str(out / f"{assignment.id}.ipynb")],
                      cwd=out)
        tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
        scores[student] = sum(t.get("score") or 0 for t in tests)
    return seconds, scores


def main(assignment_id: str) -> None:
    assignment = assignments.get(assignment_id)
    subs = submissions(assignment)
    print(f"{assignment.id}: {len(subs)} submissions ({', '.join(subs)})")
    with tempfile.TemporaryDirectory(prefix="ailit-interop-") as tmp:
        work = Path(tmp)
        results = {}
        for tool, fn in (("ailit grade", grade_ailit), ("nbgrader autograde", grade_nbgrader), ("otter run", grade_otter)):
            seconds, scores = fn(assignment, subs, work)
            results[tool] = (seconds / len(subs), scores)
            print(f"  {tool:20} {seconds / len(subs):6.2f} s/submission")
    base = results["ailit grade"][0]
    print("\nratios (tool / ailit grade): " + ", ".join(f"{t} {s / base:.1f}x" for t, (s, _) in results.items()))
    print(f"\n{'student':28}" + "".join(f"{t:>20}" for t in results))
    disagreements = 0
    for student in subs:
        row = [results[t][1].get(student, float("nan")) for t in results]
        disagreements += max(row) - min(row) > 1e-6
        print(f"{student:28}" + "".join(f"{v:20g}" for v in row))
    print(f"\nscores agree for {len(subs) - disagreements} of {len(subs)} submissions")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "a1_xor_backprop")
