"""`ailit release --format student`: OUT/<id>.zip installs and runs outside the repository with only
its own dependencies, and holds no solution, hidden test or grading code."""

import ast
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ailit_core import assignments
from ailit_core.release import main as release_main
from ailit_core.release.requirements import _normalise, _package_root
from ailit_core.release.stub import BEGIN, END, make_stub, solution_regions
from ailit_core.release.requirements import student_requirements as requirements
from ailit_core.release.student import GRADING_MODULES
from tests.ailit_core.release.student_venv import clean_env, fresh_venv, installed

LANDED = [a.id for a in assignments.landed()]
A1 = assignments.get("a1_xor_backprop")
EXPECTED = {  # the dependency sets; pillow comes with torchvision
    "a1_xor_backprop": {"numpy", "pytest"},
    "a2_iris": {"numpy", "pytest", "torch", "scikit-learn"},
    "a3_resnet_stem": {"numpy", "pytest", "torch", "torchvision", "pillow"},
    "a4_eval_loop": {"numpy", "pytest", "torch", "torchvision", "pillow"},
    "a5_qa_pipeline": {"pytest", "torch", "transformers", "tokenizers"},
}
# What another assignment needs and this one's venv must not get (it would hide a missing requirement).
OTHERS = {"torch", "torchvision", "scikit-learn", "transformers"}


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    return {p.stem: p for p in release_main(assignment_ids=[], out=out, fmt="student")}


def names(lines):
    return {_normalise(re.split(r"[<>=!~\[ ;]", line, maxsplit=1)[0]) for line in lines}


def solution_lines(assignment) -> set[str]:
    """Distinctive lines of the reference's solution regions (short ones like `return x` are everywhere)
    that the stub does not also hold outside its regions (a demo may repeat a line)."""
    lines = assignment.solution_path.read_text(encoding="utf-8").splitlines()
    found = set()
    for begin, end, _ in solution_regions(lines):
        found |= {l.strip() for l in lines[begin + 1:end] if len(l.strip()) > 25 and not l.strip().startswith("#")}
    stub = {l.strip() for l in make_stub("\n".join(lines)).splitlines()}
    return found - stub


@pytest.mark.parametrize("assignment_id", LANDED)
def test_zip_holds_the_release_and_nothing_of_grading(zips, assignment_id):
    assignment = assignments.get(assignment_id)
    with zipfile.ZipFile(zips[assignment_id]) as archive:
        files = {i.filename: archive.read(i) for i in archive.infolist()}
    assert all(n.startswith(f"{assignment_id}/") for n in files), "one folder per zip"
    rel = {n.split("/", 1)[1]: data for n, data in files.items()}
    for needed in (assignment.filename, "README.md", "requirements.txt", "pytest.ini", "ailit_core/testing.py"):
        assert needed in rel, needed
    assert any(n.startswith("test_") for n in rel)
    shipped = {n.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for n in rel if n.startswith("ailit_core/")}
    assert not {m for m in shipped for g in GRADING_MODULES if m == g or m.startswith(g + ".")}
    hidden_files = {p.name for p in assignment.hidden_tests_dir.rglob("*.py")}
    assert not hidden_files & {n.rsplit("/", 1)[-1] for n in rel}
    text = "\n".join(data.decode("utf-8", "replace") for data in rel.values())
    assert not any(BEGIN.match(l) or END.match(l) for l in text.splitlines()), "no solution marker"
    zipped_lines = {l.strip() for l in text.splitlines()}  # whole lines: a hint may quote a fragment
    leaked = sorted(solution_lines(assignment) & zipped_lines)
    assert not leaked, f"solution code in the student zip: {leaked[:3]}"
    # Every ailit_core import of the zipped code (lazy ones too) is a module of the zip.
    for name, data in rel.items():
        if name.endswith(".py"):
            tree = ast.parse(data.decode("utf-8"))
            imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
            imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            missing = {m for m in imported if m.split(".")[0] == "ailit_core" and m not in shipped}
            assert not missing, f"{name} imports {missing}, which the zip lacks"
    test_functions = {n.name for p in assignment.hidden_tests_dir.rglob("*.py")  # read, not imported: cheap
                      for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
                      if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")}
    assert not [f for f in test_functions if f"def {f}(" in text], "hidden test code in the student zip"


@pytest.mark.parametrize("assignment_id", [i for i in LANDED if i in EXPECTED])
def test_requirements_are_the_assignments_own_and_match_the_pyproject_extra(assignment_id):
    import tomllib

    required, optional = requirements(assignments.get(assignment_id))
    assert names(required) == EXPECTED[assignment_id]
    assert not names(optional) & names(required)
    pyproject = tomllib.loads((_package_root().parent / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"][assignment_id]
    assert names(extra) == names(required), f"pyproject.toml extra {assignment_id} must list {sorted(required)}"


def test_a_test_that_imports_grading_code_stops_the_release(tmp_path):
    from ailit_core.release.student import StudentReleaseError, helper_modules

    test = tmp_path / "test_x.py"
    test.write_text("from ailit_core.testing import implementation\n\ndef test_x():\n"
                    "    from ailit_core.grade import main\n", encoding="utf-8")
    with pytest.raises(StudentReleaseError, match="ailit_core.grade"):
        helper_modules([test])


def unpack(zip_path: Path, where: Path) -> Path:
    where.mkdir(parents=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(where)
    (folder,) = where.iterdir()
    assert not str(folder.resolve()).startswith(str(_package_root().parent))
    return folder


def test_a1_zip_installs_in_a_fresh_venv_and_the_public_tests_run(zips, tmp_path):
    folder = unpack(zips[A1.id], tmp_path / "unzipped")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    # This interpreter's pip installs into the fresh venv (pip --python): no pip inside it needed.
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "-r",
                              str(folder / "requirements.txt")], capture_output=True, text=True, env=clean_env())
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    listed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "list", "--format=freeze"],
                            capture_output=True, text=True, check=True).stdout
    installed = {_normalise(line.split("==")[0]) for line in listed.split()}
    assert "torch" not in installed and "numpy" in installed and "pytest" in installed

    stub = subprocess.run([str(python), "-m", "pytest"], cwd=folder, capture_output=True, text=True,
                          env=clean_env(), timeout=300)
    output = stub.stdout + stub.stderr
    assert stub.returncode == 1 and "4 failed" in output, output[-3000:]
    assert "TODO: implement this / 请在此处完成代码" in output
    assert "Derivation" not in output and "HINT" not in output, "short tracebacks: no docstrings or hints reprinted"
    assert len(output.splitlines()) < 60, "a stub run stays short"

    shutil.copy(A1.solution_path, folder / A1.filename)
    solved = subprocess.run([str(python), "-m", "pytest"], cwd=folder, capture_output=True, text=True,
                            env=clean_env(), timeout=300)
    assert solved.returncode == 0, solved.stdout[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("assignment_id", [i for i in LANDED if i in EXPECTED and i != A1.id])
def test_zip_installs_in_a_fresh_venv_and_the_public_tests_run(zips, tmp_path, assignment_id):
    """What the README tells a student, outside the checkout: unzip, a new venv, install the zip's
    requirements.txt (uv standing in for pip: tests/ailit_core/release/student_venv.py), pytest. The
    stub fails every public test with the stub's message (collection works: no errors); the reference
    passes them all, so every ailit_core module the tests need is in the zip."""
    assignment = assignments.get(assignment_id)
    folder = unpack(zips[assignment_id], tmp_path / "unzipped")
    python = fresh_venv(tmp_path / "venv", folder / "requirements.txt")
    got = installed(python)
    wanted = names(requirements(assignment)[0])
    assert wanted <= got and not (OTHERS - wanted) & got, sorted(got)

    stub = subprocess.run([str(python), "-m", "pytest"], cwd=folder, capture_output=True, text=True,
                          env=clean_env(MPLBACKEND="Agg"), timeout=600)
    output = stub.stdout + stub.stderr
    summary = output.strip().splitlines()[-1]
    assert stub.returncode == 1 and re.search(r"\d+ failed", summary) and "error" not in summary, output[-3000:]
    assert "passed" not in summary, f"a public test passes on the stub: {summary}"
    assert "请在此处完成代码" in output, output[-3000:]
    assert len(output.splitlines()) < 100, "a stub run stays short"

    shutil.copy(assignment.solution_path, folder / assignment.filename)
    solved = subprocess.run([str(python), "-m", "pytest"], cwd=folder, capture_output=True, text=True,
                            env=clean_env(MPLBACKEND="Agg"), timeout=600)
    assert solved.returncode == 0, (solved.stdout + solved.stderr)[-4000:]
