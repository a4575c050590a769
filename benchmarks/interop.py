"""The same ten submissions of one assignment graded by ``ailit grade``, ``nbgrader autograde`` and
``otter run`` (all three run ailit's hidden suite through ailit's engine), and, for a1, by a NATIVE
nbgrader assignment: plain assert cells written here, no ailit in the kernel, generated into a
temporary course folder. Prints seconds per submission, the ratios, what each figure includes, and
every submission's score (the three ailit-engine columns should agree; the native column is out of
its own, smaller total).

The ten: the reference, the released stub and the sample submissions in
``examples/submissions/<id>/``, topped up with mutants from the assignment's mutation catalogue
(``ailit_core/mutate/catalogues/<id>.py``) when there are fewer; it stops with an error rather than
time fewer. For the notebook tools each becomes the released notebook with the module in its first
code cell (a student who pasted their file). Setup (``nbgrader generate_assignment``, ``otter
assign``) is not timed; each tool's timed part is its own CLI, as an instructor would run it (otter
grades one notebook per ``otter run``).

Usage (after ``source scripts/env.sh``): python benchmarks/interop.py [ID]   (default a1_xor_backprop)
"""

from __future__ import annotations

import csv
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
from ailit_core.mutate import catalogue  # noqa: E402
from ailit_core.release import main as release_main  # noqa: E402
from ailit_core.release.files import release_files  # noqa: E402

COUNT = 10
NATIVE_ID = "native_a1"  # the native nbgrader assignment's name in its own temporary course


def command(name: str) -> list[str]:
    """How to run a tool's CLI: the command on PATH (scripts/env.sh puts this clone's ``ailit``
    wrapper in ``<clone>/.ailit/bin``), else the one beside this interpreter, else ``python -m``."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return [found]
    return [sys.executable, "-m", {"ailit": "ailit_core"}.get(name, name)]


def env() -> dict[str, str]:
    # This clone's code first, whatever the caller had (the engine and the notebooks import ailit_core).
    root = str(paths.project_root())
    rest = os.environ.get("PYTHONPATH", "")
    e = dict(os.environ, PYTHONPATH=root + (os.pathsep + rest if rest else ""),
             PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
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
    # Realistic mistakes first; correct variants only if those run out.
    mutants = sorted(catalogue.load(assignment.id).mutants, key=lambda m: m.is_correct_variant)
    for mutant in mutants:
        if len(chosen) >= COUNT:
            break
        chosen[f"mutant_{mutant.name}"] = mutant.apply(chosen["reference"])
    if len(chosen) < COUNT:
        raise SystemExit(f"{assignment.id}: only {len(chosen)} submissions (reference, stub, samples, mutants), "
                         f"{COUNT} needed: add samples or mutants rather than time fewer")
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
    seconds = sh([*command("ailit"), "grade", str(folder), "-a", assignment.id, "-o", str(out), "-q"], cwd=work)
    with (out / "grades.csv").open(encoding="utf-8-sig") as fh:
        return seconds, {row["student"]: float(row["score"]) for row in csv.DictReader(fh)}


def grade_nbgrader(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    from nbgrader.api import Gradebook

    course = work / "nbgrader"
    release_main(assignment_ids=[assignment.id], out=course, fmt="nbgrader")
    sh([*command("nbgrader"), "generate_assignment", assignment.id, "--force"], cwd=course)
    released = course / "release" / assignment.id
    for student, source in subs.items():
        target = course / "submitted" / student / assignment.id
        shutil.copytree(released, target)
        nb = pasted(released / f"{assignment.id}.ipynb", source,
                    lambda c: not c.metadata.get("nbgrader", {}).get("grade") and "ailit_core" not in c.source)
        nbformat.write(nb, str(target / f"{assignment.id}.ipynb"))
    seconds = sh([*command("nbgrader"), "autograde", assignment.id, "--create"], cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return seconds, {s: gradebook.find_submission(assignment.id, s).score for s in subs}


def grade_otter(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    folder = work / "otter"
    release_main(assignment_ids=[assignment.id], out=folder, fmt="otter")
    master = folder / assignment.id
    sh([*command("otter"), "assign", f"{assignment.id}.ipynb", "dist"], cwd=master)
    (zip_path,) = (master / "dist" / "autograder").glob("*.zip")
    student_nb = master / "dist" / "student" / f"{assignment.id}.ipynb"
    seconds, scores = 0.0, {}
    for student, source in subs.items():
        out = folder / "runs" / student
        out.mkdir(parents=True)
        nb = pasted(student_nb, source, lambda c: "otter" not in c.source and "grader." not in c.source)
        nbformat.write(nb, str(out / f"{assignment.id}.ipynb"))
        seconds += sh([*command("otter"), "run", "-a", str(zip_path), "-o", str(out), str(out / f"{assignment.id}.ipynb")],
                      cwd=out)
        tests = json.loads((out / "results.json").read_text(encoding="utf-8"))["tests"]
        scores[student] = sum(t.get("score") or 0 for t in tests)
    return seconds, scores


# --- The native nbgrader assignment (a1 only) ------------------------------------------------------
# Plain assert cells equivalent to a subset of a1's hidden checks (same seeds, oracles and
# tolerances, without the hints): 90 of the 100 points. Left out: test_works_without_torch (it
# needs a second Python where torch cannot be imported, which a notebook cell cannot give).
NATIVE_HELPERS = """\
import numpy as np
NAMES = ("weights_input_hidden", "bias_hidden", "weights_hidden_output", "bias_output")
SIZES = [(2, 4, 1), (3, 5, 2), (5, 7, 3), (4, 2, 6)]

def oracle_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))

def oracle_forward(params, X):
    hidden = oracle_sigmoid(X @ params["weights_input_hidden"] + params["bias_hidden"])
    return hidden, oracle_sigmoid(hidden @ params["weights_hidden_output"] + params["bias_output"])

def oracle_gradients(params, X, y):
    hidden, out = oracle_forward(params, X)
    d_out = (out - y) * out * (1 - out)
    d_hidden = (d_out @ params["weights_hidden_output"].T) * hidden * (1 - hidden)
    return {"weights_input_hidden": X.T @ d_hidden, "bias_hidden": d_hidden.sum(0, keepdims=True),
            "weights_hidden_output": hidden.T @ d_out, "bias_output": d_out.sum(0, keepdims=True)}

def random_problem(seed, n_in, n_hidden, n_out, n_samples=None):
    rng = np.random.default_rng(seed)
    n = n_samples or int(rng.integers(3, 9))
    X, y = rng.normal(0, 1, (n, n_in)), rng.uniform(0, 1, (n, n_out))
    params = {"weights_input_hidden": rng.normal(0, 1, (n_in, n_hidden)), "bias_hidden": rng.normal(0, 0.5, (1, n_hidden)),
              "weights_hidden_output": rng.normal(0, 1, (n_hidden, n_out)), "bias_output": rng.normal(0, 0.5, (1, n_out))}
    return params, X, y

def make_net(params):
    n_in, n_hidden = params["weights_input_hidden"].shape
    net = NeuralNetwork(n_in, n_hidden, params["weights_hidden_output"].shape[1], seed=0)
    for name in NAMES:
        setattr(net, name, params[name].copy())
    return net
"""

NATIVE_TESTS = [  # (grade id, points, cell source)
    ("sigmoid_values", 8, """\
x = np.random.default_rng(11).normal(0, 4, (7, 3))
got = np.asarray(sigmoid(x))
assert got.shape == x.shape
assert np.allclose(got, oracle_sigmoid(x), rtol=1e-7, atol=1e-10)
assert np.isclose(float(np.asarray(sigmoid(np.array([0.0]))).ravel()[0]), 0.5)
"""),
    ("sigmoid_derivative_takes_output", 6, """\
s = np.random.default_rng(12).uniform(0.01, 0.99, (5, 4))
assert np.allclose(np.asarray(sigmoid_derivative(s)), s * (1 - s), rtol=1e-7)
"""),
    ("init_shapes_and_distribution", 8, """\
net = NeuralNetwork(60, 70, 50, seed=3)
w1, w2 = np.asarray(net.weights_input_hidden), np.asarray(net.weights_hidden_output)
b1, b2 = np.asarray(net.bias_hidden), np.asarray(net.bias_output)
assert w1.shape == (60, 70) and w2.shape == (70, 50) and b1.shape == (1, 70) and b2.shape == (1, 50)
assert not np.any(b1) and not np.any(b2)
for w in (w1, w2):
    assert abs(w.mean()) < 0.1 and 0.9 < w.std() < 1.1
"""),
    ("init_seed_reproducible", 2, """\
a, b, c = NeuralNetwork(3, 4, 2, seed=7), NeuralNetwork(3, 4, 2, seed=7), NeuralNetwork(3, 4, 2, seed=8)
assert np.array_equal(a.weights_input_hidden, b.weights_input_hidden)
assert np.array_equal(a.weights_hidden_output, b.weights_hidden_output)
assert not np.array_equal(a.weights_input_hidden, c.weights_input_hidden)
"""),
    ("feedforward_matches_math", 12, """\
for sizes in SIZES:
    params, X, _ = random_problem(100 + sum(sizes), *sizes)
    got = np.asarray(make_net(params).feedforward(X))
    assert np.allclose(got, oracle_forward(params, X)[1], rtol=1e-6, atol=1e-9), sizes
"""),
    ("feedforward_keeps_activations", 4, """\
params, X, _ = random_problem(21, 3, 5, 2)
net = make_net(params)
net.feedforward(X)
hidden, out = oracle_forward(params, X)
assert np.allclose(np.asarray(net.hidden_output), hidden, rtol=1e-6)
assert np.allclose(np.asarray(net.predicted_output), out, rtol=1e-6)
"""),
    ("gradient_keys_and_shapes", 6, """\
params, X, y = random_problem(31, 4, 6, 3)
grads = make_net(params).compute_gradients(X, y)
assert isinstance(grads, dict) and set(grads) == set(NAMES)
for name in NAMES:
    assert np.shape(grads[name]) == params[name].shape, name
"""),
    ("gradients_match_oracle", 16, """\
for sizes in SIZES:
    params, X, y = random_problem(200 + sum(sizes), *sizes)
    net = make_net(params)
    net.feedforward(np.random.default_rng(7 + sum(sizes)).normal(0, 1, X.shape))  # compute_gradients runs its own
    grads, expected = net.compute_gradients(X, y), oracle_gradients(params, X, y)
    for name in NAMES:
        got = np.asarray(grads[name], dtype=np.float64).reshape(params[name].shape)
        assert np.allclose(got, expected[name], rtol=1e-5, atol=1e-8), (sizes, name)
"""),
    ("backward_update_rule", 10, """\
params, X, y = random_problem(41, 3, 4, 2, n_samples=6)
net = make_net(params)
net.backward(X, y, 0.37)
grads = oracle_gradients(params, X, y)
for name in NAMES:
    assert np.allclose(np.asarray(getattr(net, name)), params[name] - 0.37 * grads[name], rtol=1e-6, atol=1e-9), name
"""),
    ("train_history_semantics", 10, """\
params, X, y = random_problem(51, 2, 3, 1, n_samples=4)
history = make_net(params).train(X, y, 5, 0.8)
expected, current = [], {k: v.copy() for k, v in params.items()}
for _ in range(5):
    expected.append(float(np.mean((y - oracle_forward(current, X)[1]) ** 2)))
    grads = oracle_gradients(current, X, y)
    current = {k: current[k] - 0.8 * grads[k] for k in NAMES}
assert isinstance(history, list) and len(history) == 5
assert np.allclose([float(h) for h in history], expected, rtol=1e-6)
"""),
    ("xor_solved_from_good_start", 8, """\
X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
y = np.array([[0], [1], [1], [0]], dtype=float)
rng = np.random.default_rng(2024)
net = make_net({"weights_input_hidden": rng.standard_normal((2, 4)), "bias_hidden": np.zeros((1, 4)),
                "weights_hidden_output": rng.standard_normal((4, 1)), "bias_output": np.zeros((1, 1))})
history = net.train(X, y, 4000, 1.0)
out = np.asarray(net.feedforward(X)).ravel()
assert history[-1] < history[0]
assert np.array_equal((out > 0.5).astype(int), [0, 1, 1, 0])
assert np.mean((y.ravel() - out) ** 2) < 0.05
"""),
]
NATIVE_TOTAL = sum(points for _, points, _ in NATIVE_TESTS)


def _nb_meta(grade_id: str, *, grade: bool, solution: bool, points: float | None = None) -> dict:
    meta = {"grade_id": grade_id, "grade": grade, "solution": solution, "locked": not solution, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return {"nbgrader": meta}


def native_notebook(stub: str) -> nbformat.NotebookNode:
    """The instructor's notebook of the native assignment: the released stub as one solution cell
    (each submission replaces it), the oracles (locked) and one locked, autograded assert cell per
    check. (The reference cannot be the solution cell: its own BEGIN SOLUTION markers would nest.)"""
    from nbformat import v4

    module = v4.new_code_cell(stub)
    module.metadata.update(_nb_meta("module", grade=False, solution=True))
    helpers = v4.new_code_cell(NATIVE_HELPERS)
    helpers.metadata.update(_nb_meta("helpers", grade=False, solution=False))
    cells = [module, helpers]
    for grade_id, points, code in NATIVE_TESTS:
        cell = v4.new_code_cell(f"### BEGIN HIDDEN TESTS\n{code}### END HIDDEN TESTS")
        cell.metadata.update(_nb_meta(grade_id, grade=True, solution=False, points=points))
        cells.append(cell)
    nb = v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    return nb


def grade_native(assignment, subs: dict[str, str], work: Path) -> tuple[float, dict[str, float]]:
    from nbgrader.api import Gradebook

    course = work / "native"
    source = course / "source" / NATIVE_ID
    source.mkdir(parents=True)
    nbformat.write(native_notebook(subs["stub"]), str(source / f"{NATIVE_ID}.ipynb"))
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nc.CourseDirectory.course_id = {NATIVE_ID!r}\n", encoding="utf-8")
    sh([*command("nbgrader"), "generate_assignment", NATIVE_ID, "--force"], cwd=course)
    released = course / "release" / NATIVE_ID / f"{NATIVE_ID}.ipynb"
    for student, code in subs.items():
        target = course / "submitted" / student / NATIVE_ID
        target.mkdir(parents=True)
        nb = nbformat.read(str(released), as_version=4)
        nb.cells[0].source = code
        nbformat.write(nb, str(target / f"{NATIVE_ID}.ipynb"))
    seconds = sh([*command("nbgrader"), "autograde", NATIVE_ID, "--create"], cwd=course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return seconds, {s: gradebook.find_submission(NATIVE_ID, s).score for s in subs}


# What each timed figure includes, printed with the figures so they are not read as like for like.
INCLUDES = {
    "ailit grade": "one `ailit grade` process for the batch (Python start, ailit import); per submission a "
                   "sandboxed student process importing the module and the whole hidden suite under pytest "
                   "(for a1 also a second student process with torch blocked); grades.csv and reports",
    "nbgrader autograde": "one `nbgrader autograde` process; per submission a Jupyter kernel start, every cell "
                          "run (module, public checks: pytest in a child process; first hidden cell: ailit import and "
                          "the whole hidden suite through ailit's engine, the other cells reuse its results), "
                          "gradebook writes",
    "otter run": "one `otter run` process per submission (Python start, otter import, unpacking the autograder "
                 "zip, a kernel running the notebook, then ailit's hidden suite through ailit's engine); results.json",
    "nbgrader native": f"one `nbgrader autograde` process; per submission a Jupyter kernel start, the module cell, a "
                       f"numpy oracle cell and {len(NATIVE_TESTS)} plain assert cells ({NATIVE_TOTAL} of 100 points; "
                       "no ailit, no pytest, no sandbox, no separate no-torch process), gradebook writes",
}


def main(assignment_id: str) -> None:
    assignment = assignments.get(assignment_id)
    subs = submissions(assignment)
    print(f"{assignment.id}: {len(subs)} submissions ({', '.join(subs)})")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at start")
    tools = [("ailit grade", grade_ailit), ("nbgrader autograde", grade_nbgrader), ("otter run", grade_otter)]
    if assignment.id == "a1_xor_backprop":
        tools.append(("nbgrader native", grade_native))
    else:
        print(f"  (no native nbgrader assignment for {assignment.id}: its assert cells are written for a1 only)")
    with tempfile.TemporaryDirectory(prefix="ailit-interop-") as tmp:
        work = Path(tmp)
        results = {}
        for tool, fn in tools:
            seconds, scores = fn(assignment, subs, work)
            results[tool] = (seconds / len(subs), scores)
            print(f"  {tool:20} {seconds / len(subs):6.2f} s/submission")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the end")
    base = results["ailit grade"][0]
    print("\nratios (tool / ailit grade): " + ", ".join(f"{t} {s / base:.1f}x" for t, (s, _) in results.items()))
    print("\nwhat each figure includes (setup such as generate_assignment / otter assign is not timed):")
    for tool in results:
        print(f"  {tool}: {INCLUDES[tool]}")
    header = {t: (f"{t} /{NATIVE_TOTAL}" if t == "nbgrader native" else t) for t in results}
    print(f"\n{'student':28}" + "".join(f"{header[t]:>22}" for t in results))
    engine_tools = [t for t in results if t != "nbgrader native"]
    disagreements = 0
    for student in subs:
        row = [results[t][1].get(student, float("nan")) for t in results]
        engine = [results[t][1].get(student, float("nan")) for t in engine_tools]
        disagreements += not (max(engine) - min(engine) <= 1e-6)
        print(f"{student:28}" + "".join(f"{v:22g}" for v in row))
    print(f"\nailit-engine scores ({', '.join(engine_tools)}) agree for {len(subs) - disagreements} of {len(subs)} submissions")

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "a1_xor_backprop")
