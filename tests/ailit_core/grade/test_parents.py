"""Warm parents: the one line that names why one could not start (from its log)."""

from ailit_core.grade.parents import first_cause

CONFTEST_LOG = """ImportError while loading conftest '/x/autograder/a1_xor_backprop/conftest.py'.
x/autograder/a1_xor_backprop/conftest.py:11: in <module>
    import nonexistent_module_xyz
E   ModuleNotFoundError: No module named 'nonexistent_module_xyz'
"""


def test_conftest_import_error_names_file_and_exception():
    cause = first_cause(CONFTEST_LOG)
    assert "conftest.py" in cause and "ModuleNotFoundError: No module named 'nonexistent_module_xyz'" in cause


def test_usage_error_and_plain_traceback():
    assert first_cause("ERROR: usage: pytest [options]\nerror: unrecognized arguments: --bogus\n").startswith("ERROR: usage")
    assert first_cause("Traceback (most recent call last):\n  File x\nValueError: bad value\n") == "ValueError: bad value"
    assert first_cause("") == ""
