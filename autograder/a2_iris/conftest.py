"""a2_iris hidden tests: the implementation under test, run single-threaded.

The models here are tiny (a few hundred parameters, batches of 16): intra-op threads only add
synchronisation, and on a busy grading machine spinning worker threads made a 100-epoch run ten
times slower. One thread also keeps results bit-for-bit reproducible. Set before torch, NumPy's
BLAS or scikit-learn's OpenMP are loaded (the test module imports them after this file).
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

from ailit_core.testing import implementation_fixture  # noqa: E402

torch.set_num_threads(1)

iris_net = implementation_fixture("iris_net")
