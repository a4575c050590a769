"""Kills are judged against the reference test by test; equivalents and correct variants stay out of the score."""

from ailit_core.mutate import analysis as an
from ailit_core.mutate.grading import Graded

BASELINE = {"test_a[0]": "passed", "test_a[1]": "passed", "test_b": "passed", "test_gpu": "skipped"}


def record(name, **kw):
    return an.MutantRecord(name, kw.pop("origin", "generated"), "arith", kw.pop("function", "f"), 1, 1, "x",
                           "module", **kw)


def graded(**outcomes):
    full = {t: "passed" for t in BASELINE}
    full.update(outcomes)
    return Graded("graded", 0.0, 10.0, full, {})


def test_killed_survived_equivalent_and_false_failure():
    killed, survived, equivalent = record("k"), record("s"), record("e", equivalent_reason="same maths")
    variant, wrong_variant = record("v", is_correct_variant=True), record("w", is_correct_variant=True)
    an.classify(killed, graded(**{"test_a[1]": "failed", "test_gpu": "failed"}), BASELINE)
    an.classify(survived, graded(test_gpu="failed"), BASELINE)  # the reference does not pass test_gpu either
    an.classify(equivalent, graded(), BASELINE)
    an.classify(variant, graded(), BASELINE)
    an.classify(wrong_variant, graded(test_b="not run"), BASELINE)
    assert (killed.status, killed.killed_by, killed.killed_by_functions) == (an.KILLED, ["test_a[1]"], ["test_a"])
    assert survived.status == an.SURVIVED and equivalent.status == an.EQUIVALENT
    assert variant.status == an.CORRECT and wrong_variant.status == an.FALSE_FAILURE
    score = an.score_of([killed, survived, equivalent, variant, wrong_variant])
    assert (score["mutants"], score[an.KILLED], score[an.SURVIVED], score["score"]) == (3, 1, 1, 50.0)


def test_accepted_survivors_are_apart_and_not_misses():
    accepted = record("a", accepted_reason="device move, unobservable on a CPU")
    caught = record("c", accepted_reason="listed, but a test catches it now")
    survivor = record("s")
    an.classify(accepted, graded(), BASELINE)
    an.classify(caught, graded(test_b="failed"), BASELINE)
    an.classify(survivor, graded(), BASELINE)
    assert (accepted.status, caught.status, survivor.status) == (an.ACCEPTED, an.KILLED, an.SURVIVED)
    score = an.score_of([accepted, caught, survivor])
    assert (score["mutants"], score[an.ACCEPTED], score[an.KILLED], score[an.SURVIVED], score["score"]) == \
        (3, 1, 1, 1, 50.0)


def test_grader_errors_are_not_graded():
    r = record("g")
    an.classify(r, Graded("grader_error", 0, 0, {}, {}), BASELINE)
    assert r.status == an.GRADER_ERROR and an.score_of([r])["score"] is None


def test_per_test_unique_kills_and_redundant_tests():
    a_only, both = record("1"), record("2")
    an.classify(a_only, graded(**{"test_a[0]": "failed"}), BASELINE)
    an.classify(both, graded(**{"test_a[0]": "failed", "test_b": "failed"}), BASELINE)
    tests = an.per_test([a_only, both], BASELINE, {"test_a": 6, "test_b": 4, "test_gpu": 0})
    assert tests["test_a"]["kills"] == 2 and tests["test_a"]["unique"] == ["1"]
    assert tests["test_b"]["kills"] == 1 and tests["test_b"]["unique_kills"] == 0
    assert not tests["test_gpu"]["reference_passes"]
    assert an.redundant_tests(tests) == ["test_b", "test_gpu"]


def test_catalogue_mutant_that_escapes_a_named_test():
    r = record("c", origin="catalogue", expected_kills=("test_a", "test_b"))
    an.classify(r, graded(test_b="failed"), BASELINE)
    assert r.missed_expected == ["test_a"]


def test_same_code_and_changed_lines():
    assert an.same_code("x = 1\n", "x = 1  # comment\n")
    assert not an.same_code("x = 1\n", "x = 2\n")
    assert an.changed_lines("a\nb\nc\n", "a\nB\nc\n") == (2, 2)
