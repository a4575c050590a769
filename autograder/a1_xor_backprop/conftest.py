"""a1_xor_backprop hidden tests: the student's module runs in its own sandboxed process.

``xor_net`` is a proxy (``ailit_core.grade.remote``): each call crosses to the student server and
only plain data comes back. The ``without_torch`` server imports the module where ``import torch``
fails, for the test that backpropagation is written by hand.
"""

from ailit_core.grade.remote import module_fixture

xor_net = module_fixture("xor_net", variants={"without_torch": {"block_imports": ["torch"]}})
