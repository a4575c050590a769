"""a3_resnet_stem hidden tests: the student's module in its own process, single-threaded torch, the
MNIST fixture built in advance, and the GPU rule.

- ``resnet_stem`` is a proxy to the student's module, which runs in a sandboxed server process
  (``ailit_core.grade.remote``): this process, with the tests and their oracles, never imports it.
  What the tests need built beside it (convolutions with given weights, PIL images, the short
  training loop) comes from the recipes in ``ailit_core/grade/recipes/a3.py``.

- One intra-op thread: on a busy 2-core grading machine spinning OpenMP workers made ResNet-18's
  small batches several times slower, and one thread keeps the trusted side's evaluation of the
  short training run bit-for-bit reproducible (set before torch is imported; the grader gives the
  student's process one thread too).

- The digits stand-in (``ailit_core.data.mnist``) is built, once per machine, when this file is
  imported: the grader imports it in its warm parent while collecting the tests, before any run
  starts, so the student's process finds it ready to read and the trusted side reads the same files.

- ``gpu``-marked tests repeat the device checks on CUDA. They are worth 0 points, so a grade never
  depends on the machine that grades it; on a machine without CUDA they are deselected rather than
  skipped, so they neither appear as skipped in a student's feedback nor count against ``ailit verify``.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

# torch.optim imports torch._dynamo on first use, and that import rebinds torch.manual_seed; doing it
# here, before the grader fingerprints torch, keeps the first trusted optimizer from looking like tampering.
import torch._dynamo  # noqa: E402,F401
import torchvision  # noqa: E402,F401

from ailit_core.data import mnist  # noqa: E402
from ailit_core.grade.remote import module_fixture  # noqa: E402

torch.set_num_threads(1)

MNIST_ROOT = mnist.fixture_root()

resnet_stem = module_fixture("resnet_stem")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]
        config.hook.pytest_deselected(items=gpu)
