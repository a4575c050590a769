from ailit_core.testing import implementation_fixture

xor_net = implementation_fixture("xor_net")
