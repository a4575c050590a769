"""What an autograder installs: only what grading the assignment imports, with ailit's version ranges."""

import pytest

from ailit_core import assignments
from ailit_core.release.requirements import _declared, requirements, third_party_imports

LANDED = [a.id for a in assignments.landed()]


def test_a1_is_numpy_only():
    pypi, torch_cpu = requirements(assignments.get("a1_xor_backprop"))
    assert torch_cpu == []
    assert [r.split(">")[0] for r in pypi] == ["numpy", "pytest", "tqdm"]


@pytest.mark.parametrize("assignment_id", LANDED)
def test_requirements_are_declared_ranges_and_never_local_helpers(assignment_id):
    assignment = assignments.get(assignment_id)
    pypi, torch_cpu = requirements(assignment)
    local = {p.stem for p in assignment.hidden_tests_dir.glob("*.py")}
    names = {r.split(">")[0].split("<")[0].split("=")[0] for r in pypi + torch_cpu}
    assert not names & local
    declared = _declared()
    for line in pypi + torch_cpu:
        name = line.split(">")[0].split("<")[0].split("=")[0]
        if name.lower() in declared:
            assert line == declared[name.lower()]
    assert all(n.startswith("torch") for n in (r.split(">")[0] for r in torch_cpu))


def test_lazy_imports_of_engine_modules_do_not_count(tmp_path):
    root = tmp_path / "root.py"
    root.write_text("import numpy\n")
    engine = tmp_path / "engine.py"
    engine.write_text("import json\n\ndef later():\n    import torch\n")
    assert third_party_imports([root], [engine]) == {"numpy"}
    optional = tmp_path / "optional.py"
    optional.write_text("try:\n    import IPython\nexcept ImportError:\n    IPython = None\n")
    assert third_party_imports([optional]) == set()
