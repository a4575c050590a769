"""`ailit release --format gradescope`: autograder.zip, and run_autograder in a folder laid out like
Gradescope's /autograder/ (setup.sh's installs replaced by this venv's python on PATH)."""

import json
import os
import shutil
import sys
import stat
import zipfile
from pathlib import Path

import pytest

from ailit_core import assignments
from ailit_core.release import gradescope, main as release_main
from ailit_core.release.files import release_files
from ailit_core.release.requirements import requirements
from tests.ailit_core.release.interop_helpers import buggy_source, every_assignment, run

LANDED = [a.id for a in assignments.landed()]
A1 = assignments.get("a1_xor_backprop")


@pytest.fixture(scope="module")
def zips(tmp_path_factory):
    out = tmp_path_factory.mktemp("gradescope")
    written = release_main(assignment_ids=[], out=out, fmt="gradescope")
    return {path.parent.name: path for path in written}


def unpack(zip_path: Path, root: Path) -> Path:
    """Lay the zip out as Gradescope does: /autograder/source + /autograder/run_autograder."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    (root / "results").mkdir()
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # extractall drops the modes
            (root / "source" / info.filename).chmod((info.external_attr >> 16) & 0o777)
    shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
    return root


def grade(root: Path, files: dict[str, bytes]) -> dict:
    shutil.rmtree(root / "submission")
    (root / "submission").mkdir()
    for name, data in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_bytes(data)
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    run(["bash", str(root / "run_autograder")], cwd=root, AILIT_GRADESCOPE_ROOT=str(root))
    return json.loads(results.read_text(encoding="utf-8"))


@pytest.mark.parametrize("assignment_id", LANDED)
def test_zip_has_the_scripts_at_its_root_and_the_hidden_suite(zips, assignment_id):
    with zipfile.ZipFile(zips[assignment_id]) as archive:
        infos = {i.filename: i for i in archive.infolist()}
    for script in ("setup.sh", "run_autograder"):
        assert script in infos
        assert (infos[script].external_attr >> 16) & stat.S_IXUSR, f"{script} must be executable"
    assert f"autograder/{assignment_id}/conftest.py" in infos and "autograder/pytest.ini" in infos
    assert "ailit_core/grade/__init__.py" in infos and "requirements.txt" in infos
    assert not any(name.startswith(("solutions/", "examples/")) for name in infos), "no reference solution inside"
    pypi, torch_cpu = requirements(assignments.get(assignment_id))
    assert ("requirements-torch.txt" in infos) == bool(torch_cpu)


def test_a1_installs_numpy_only_and_torch_comes_from_the_cpu_index(zips):
    pypi, torch_cpu = requirements(A1)
    assert not torch_cpu and any(r.startswith("numpy") for r in pypi)
    with zipfile.ZipFile(zips[A1.id]) as archive:
        setup = archive.read("setup.sh").decode()
    assert "download.pytorch.org" not in setup
    torch_ids = [i for i in LANDED if requirements(assignments.get(i))[1]]
    for assignment_id in torch_ids:
        with zipfile.ZipFile(zips[assignment_id]) as archive:
            assert "--index-url https://download.pytorch.org/whl/cpu" in archive.read("setup.sh").decode()


def test_setup_sh_installs_then_warms_the_fixture_cache(zips, tmp_path):
    """setup.sh with pip replaced by a logger (no network here): it installs the CPU torch wheels
    first when needed, the rest from PyPI, makes ailit_core importable and grades the stub once."""
    root = unpack(zips[A1.id], tmp_path / "autograder")
    fake_bin, site = tmp_path / "bin", tmp_path / "site"
    fake_bin.mkdir()
    site.mkdir()
    log = tmp_path / "pip.log"
    (fake_bin / "python3").write_text(
        "#!/usr/bin/env bash\n"
        f'if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> {log}; exit 0; fi\n'
        f'if [ "$1" = "-c" ]; then echo {site}; exit 0; fi\n'
        f'exec {sys.executable} "$@"\n')
    (fake_bin / "python3").chmod(0o755)
    run(["bash", str(root / "source" / "setup.sh")], cwd=root, AILIT_GRADESCOPE_ROOT=str(root), TMPDIR=str(tmp_path),
        PATH=f"{fake_bin}:{os.environ['PATH']}")
    assert "install --no-cache-dir -r requirements.txt" in log.read_text()
    assert (site / "ailit-autograder.pth").read_text().strip() == str(root / "source")
    warm = json.loads((tmp_path / "ailit-warm-results.json").read_text())
    assert warm["score"] == 0 and warm["tests"], "the stub was graded"


def test_the_zip_is_reproducible(tmp_path):
    first = gradescope.write_autograder_zip(A1, tmp_path / "1.zip").read_bytes()
    assert gradescope.write_autograder_zip(A1, tmp_path / "2.zip").read_bytes() == first


def test_a1_reference_full_stub_zero_buggy_partial(zips, tmp_path):
    root = unpack(zips[A1.id], tmp_path / "autograder")
    reference = grade(root, {A1.filename: A1.solution_path.read_bytes()})
    assert reference["score"] == reference["max_score"] == 100, json.dumps(reference, ensure_ascii=False)[:3000]
    assert all(t["status"] == "passed" for t in reference["tests"])
    assert {t["visibility"] for t in reference["tests"]} == {"after_published"}
    assert all(set(t) >= {"name", "score", "max_score", "status", "output", "visibility"} for t in reference["tests"])

    stub = grade(root, {A1.filename: release_files(A1)[A1.filename]})
    assert stub["score"] == 0 and stub["max_score"] == 100
    assert all("NotImplementedError" in t["output"] for t in stub["tests"])

    buggy = grade(root, {f"nested/{A1.filename}": buggy_source(A1).encode(), "notes.txt": b"x"})
    assert 0 < buggy["score"] < 100
    assert "notes.txt" in buggy["output"], "ignored files are reported"


def test_a1_missing_module_and_notebook_submissions(zips, tmp_path):
    from ailit_core.release.nbgrader import build_notebook
    from ailit_core.release import hidden
    import nbformat

    root = unpack(zips[A1.id], tmp_path / "autograder")
    missing = grade(root, {"readme.txt": b"oops"})
    assert missing["score"] == 0 and A1.filename in missing["output"]

    notebook = build_notebook(A1, A1.solution_path.read_text(encoding="utf-8"), hidden.collect(A1),
                              hidden.digest(A1), [])
    notebook.cells.insert(3, nbformat.v4.new_code_cell("raise ValueError('trying things out')"))
    graded = grade(root, {"a1.ipynb": nbformat.writes(notebook).encode()})
    assert graded["score"] == 100 and "notebook" in graded["output"], "a scratch cell that raises costs nothing"


@pytest.mark.slow
@every_assignment
@pytest.mark.parametrize("assignment_id", [i for i in LANDED if i != A1.id])
def test_every_landed_assignment_reference_full_stub_zero(zips, tmp_path, assignment_id):
    assignment = assignments.get(assignment_id)
    root = unpack(zips[assignment_id], tmp_path / "autograder")
    reference = grade(root, {assignment.filename: assignment.solution_path.read_bytes()})
    assert reference["score"] == pytest.approx(100) and reference["max_score"] == pytest.approx(100), reference["output"]
    stub = grade(root, {assignment.filename: release_files(assignment)[assignment.filename]})
    assert stub["score"] == 0
