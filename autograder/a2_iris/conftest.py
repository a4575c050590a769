"""a2_iris hidden tests: the student's module in its own process, single-threaded torch, warmed up.

- ``iris_net`` is a proxy to the student's module, which runs in a sandboxed server process
  (``ailit_core.grade.remote``): this process, with the tests and their oracles, never imports it.

- One thread: the models here are tiny (a few hundred parameters, batches of 16), so intra-op
  threads only add synchronisation, and on a busy grading machine spinning worker threads made a
  100-epoch run ten times slower. One thread also keeps results bit-for-bit reproducible. Set before
  torch, NumPy's BLAS or scikit-learn's OpenMP are loaded (the test module imports them after this).
- Warm-up: torch rebinds some of its own functions lazily (the first optimizer step imports
  torch._dynamo, which wraps ``torch.manual_seed``; each optimizer class gets a profiling wrapper
  around ``step`` when first instantiated). Doing that here, before the grader fingerprints torch
  and before any student code runs, keeps torch's own housekeeping from reading as tampering.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

from ailit_core.grade.remote import module_fixture  # noqa: E402

torch.set_num_threads(1)


def _warm_up_torch() -> None:
    import torch._dynamo  # noqa: F401 - rebinds torch.manual_seed once, now

    for optimizer_class in (torch.optim.SGD, torch.optim.Adam):
        weight = torch.zeros(2, requires_grad=True)
        optimizer = optimizer_class([weight], lr=0.1)
        weight.sum().backward()
        optimizer.step()
        optimizer.zero_grad()


_warm_up_torch()

iris_net = module_fixture("iris_net")
