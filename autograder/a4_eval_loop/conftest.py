"""a4_eval_loop hidden tests: the student's module in its own process, single-threaded torch, and the GPU rule.

``eval_loop`` is a proxy to the student's module, which runs in a sandboxed server process
(``ailit_core.grade.remote``): this process, with the tests and their oracles, never imports it.

Tiny models and batches: intra-op threads only add synchronisation on a busy grading machine, and
one thread keeps results bit-for-bit reproducible (set before torch is imported).

``gpu``-marked tests repeat the device checks on CUDA. They are worth 0 points, so a grade never
depends on the machine that grades it (the CPU tests observe device handling without a GPU); on a
machine without CUDA they are deselected rather than skipped, so they neither appear as skipped in a
student's feedback nor count against ``ailit verify``.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

# torch.optim imports torch._dynamo on first use, and that import rebinds torch.manual_seed; doing it
# here, before the grader fingerprints torch, keeps a test's first optimizer from looking like tampering.
import torch._dynamo  # noqa: E402,F401

from ailit_core.grade.remote import module_fixture  # noqa: E402

torch.set_num_threads(1)

eval_loop = module_fixture("eval_loop")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]
        config.hook.pytest_deselected(items=gpu)
