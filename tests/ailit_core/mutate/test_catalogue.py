"""Catalogues are package data: the built-in ones load and apply to their references; an
instructor's own file loads the same way."""

import pytest

from ailit_core import assignments
from ailit_core.mutate import catalogue


@pytest.mark.parametrize("assignment", assignments.landed(), ids=lambda a: a.id)
def test_builtin_catalogue_applies_to_the_reference(assignment):
    found = catalogue.load(assignment.id)
    assert found.mutants, assignment.id
    reference = assignment.solution_path.read_text(encoding="utf-8")
    for mutant in found.mutants:
        assert mutant.apply(reference) != reference, mutant.name


def test_missing_catalogue_is_empty():
    assert catalogue.load("a9_not_an_assignment").mutants == []


def test_catalogue_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text('from ailit_core.mutate.catalogue import Mutant\n'
                    'MUTANTS = [Mutant("m", (("a", "b"),), kills=("test_x",)), Mutant("ok", (("a", "A"),), kills=())]\n'
                    'EQUIVALENT = {"f/arith/1": "same result"}\n'
                    'ACCEPTED = {"f/drop_to/1": "not observable on a CPU"}\n', encoding="utf-8")
    found = catalogue.load_file(path, "a1_xor_backprop")
    assert [m.name for m in found.mutants] == ["m", "ok"] and found.equivalent == {"f/arith/1": "same result"}
    assert found.accepted == {"f/drop_to/1": "not observable on a CPU"}
    assert found.mutants[1].is_correct_variant and not found.mutants[0].is_correct_variant


def test_duplicate_names_are_refused(tmp_path):
    path = tmp_path / "dup.py"
    path.write_text('from ailit_core.mutate.catalogue import Mutant\n'
                    'MUTANTS = [Mutant("m", (("a", "b"),), kills=("t",)), Mutant("m", (("a", "c"),), kills=("t",))]\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="used twice"):
        catalogue.load_file(path, "x")


def test_an_id_both_equivalent_and_accepted_is_refused(tmp_path):
    path = tmp_path / "both.py"
    path.write_text('EQUIVALENT = {"f/arith/1": "same"}\nACCEPTED = {"f/arith/1": "cpu"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="both EQUIVALENT and ACCEPTED"):
        catalogue.load_file(path, "x")
