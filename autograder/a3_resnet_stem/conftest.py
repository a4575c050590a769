"""a3_resnet_stem hidden tests: the implementation under test, single-threaded torch, the MNIST
fixture built in advance, and the GPU rule.

One intra-op thread: on a busy 2-core grading machine spinning OpenMP workers made ResNet-18's
small batches several times slower, and one thread keeps the short training run -- and so its
accuracy -- bit-for-bit reproducible (set before torch is imported).

The digits stand-in (``ailit_core.data.mnist``) is built, once per machine, when this file is
imported: the grader imports it in its warm parent while collecting the tests, before any run
starts in its read-only sandbox.

``gpu``-marked tests repeat the device checks on CUDA. They are worth 0 points, so a grade never
depends on the machine that grades it (the CPU tests observe device handling without a GPU); on a
machine without CUDA they are deselected rather than skipped, so they neither appear as skipped in
a student's feedback nor count against ``ailit verify``.
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402

# torch.optim imports torch._dynamo on first use, and that import rebinds torch.manual_seed; doing it
# here, before the grader fingerprints torch, keeps a test's first optimizer from looking like tampering.
import torch._dynamo  # noqa: E402,F401
import torchvision  # noqa: E402,F401

from ailit_core.data import mnist  # noqa: E402
from ailit_core.testing import implementation_fixture  # noqa: E402

torch.set_num_threads(1)

MNIST_ROOT = mnist.fixture_root()

resnet_stem = implementation_fixture("resnet_stem")


def pytest_collection_modifyitems(config, items):
    if torch.cuda.is_available():
        return
    gpu = [item for item in items if item.get_closest_marker("gpu")]
    if gpu:
        items[:] = [item for item in items if not item.get_closest_marker("gpu")]
        config.hook.pytest_deselected(items=gpu)
