import pytest

from ailit_core.release.stub import MarkerError, make_stub

SOURCE = '''import numpy as np


def f(x):
    """Doc."""
    # BEGIN SOLUTION
    # HINT: use numpy
    y = x + 1
    return y
    # END SOLUTION


class C:
    def g(self):
        # BEGIN SOLUTION
        # 提示：中文提示也保留
        return 2
        # END SOLUTION
'''


def test_regions_become_hints_and_raise():
    stub = make_stub(SOURCE)
    assert "y = x + 1" not in stub and "return 2" not in stub
    assert '    # HINT: use numpy\n    raise NotImplementedError(' in stub
    assert '        # 提示：中文提示也保留\n        raise NotImplementedError(' in stub
    assert '"""Doc."""' in stub and "import numpy as np" in stub
    compile(stub, "stub.py", "exec")


@pytest.mark.parametrize("broken, message", [
    ("# BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n# END SOLUTION\n", "without BEGIN"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n", "inside the region"),
    ("x = 1\n", "no BEGIN SOLUTION"),
])
def test_unbalanced_markers_are_reported(broken, message):
    with pytest.raises(MarkerError, match=message):
        make_stub(broken)
