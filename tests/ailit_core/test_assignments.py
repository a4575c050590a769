import pytest

from ailit_core import assignments


def test_contract_module_names():
    assert {a.id: a.filename for a in assignments.ALL} == {
        "a1_xor_backprop": "xor_net.py", "a2_iris": "iris_net.py", "a3_resnet_stem": "resnet_stem.py",
        "a4_eval_loop": "eval_loop.py", "a5_qa_pipeline": "qa_pipeline.py",
    }


def test_unknown_assignment_lists_the_known_ones():
    with pytest.raises(assignments.UnknownAssignment, match="a1_xor_backprop"):
        assignments.get("a9")


def test_a1_has_landed():
    assert assignments.get("a1_xor_backprop") in assignments.landed()
