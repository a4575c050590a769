"""benchmarks/interop.py's parts that need no Jupyter: its ten submissions, its refusal to time
fewer, where it finds the tools, and the native nbgrader assert cells (run here in-process: the
reference passes every one, the stub none, and a realistic mistake loses the cell naming it)."""

import importlib.util
import sys

import nbformat
import pytest

from ailit_core import assignments, paths
from ailit_core.mutate import catalogue

spec = importlib.util.spec_from_file_location("interop_benchmark", paths.project_root() / "benchmarks" / "interop.py")
interop = importlib.util.module_from_spec(spec)
spec.loader.exec_module(interop)

A1 = assignments.get("a1_xor_backprop")


def test_ten_submissions_and_refuses_fewer(monkeypatch):
    subs = interop.submissions(A1)
    assert len(subs) == interop.COUNT and {"reference", "stub"} <= set(subs)
    monkeypatch.setattr(interop, "COUNT", 10 + len(subs) + len(catalogue.load(A1.id).mutants))
    with pytest.raises(SystemExit, match="needed"):
        interop.submissions(A1)


def test_tools_found_without_the_venv_bin():
    cmd = interop.command("ailit")
    assert cmd[0].endswith("ailit") or cmd[1:] == ["-m", "ailit_core"]
    assert interop.command("no-such-tool-xyz") == [sys.executable, "-m", "no-such-tool-xyz"]


def passed_cells(module_source: str) -> set[str]:
    nb = interop.native_notebook(module_source)
    namespace: dict = {}
    exec(compile(module_source, "<module>", "exec"), namespace)  # noqa: S102 - the benchmark's own cells
    exec(compile(nb.cells[1].source, "<helpers>", "exec"), namespace)
    passed = set()
    for cell in nb.cells[2:]:
        try:
            exec(compile(cell.source, cell.metadata["nbgrader"]["grade_id"], "exec"), dict(namespace))
        except Exception:  # noqa: BLE001 - a failing assert cell is the outcome under test
            continue
        passed.add(cell.metadata["nbgrader"]["grade_id"])
    return passed


def test_native_cells_grade_like_the_hidden_checks():
    subs = interop.submissions(A1)
    all_cells = {grade_id for grade_id, _, _ in interop.NATIVE_TESTS}
    nbformat.validate(interop.native_notebook(subs["reference"]))
    assert passed_cells(subs["reference"]) == all_cells
    assert passed_cells(subs["stub"]) == set()
    sign = next(m for m in catalogue.load(A1.id).mutants if m.name == "step_ascends")
    failed = all_cells - passed_cells(sign.apply(subs["reference"]))
    assert {"backward_update_rule", "train_history_semantics"} <= failed and "gradients_match_oracle" not in failed
