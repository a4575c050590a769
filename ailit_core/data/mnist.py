"""MNIST for the ``full`` profile, and a real-handwriting stand-in in MNIST's own format for ``fast``.

The stand-in is scikit-learn's ``load_digits`` (1797 handwritten digits, 8x8, shipped with
scikit-learn so no download): each digit is upscaled to 20x20 and centred in a 28x28 frame, the way
MNIST centres its 20x20 digits, then written as the four uncompressed IDX files that
``torchvision.datasets.MNIST`` reads from ``<root>/MNIST/raw/`` (its ``_check_exists`` looks for the
uncompressed names; the ``.gz`` archives are only a download artefact). 36 digits per class (360)
form the test split, the other 1437 the training split; the split is fixed by a seed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from ailit_core.data.cache import cached_fixture, data_root
from ailit_core.data.common import DatasetUnavailable, can_reach, resolve_profile
from ailit_core.data.idx import write_idx

FIXTURE_NAME = "mnist-digits-v1"
NUM_CLASSES = 10
TEST_PER_CLASS = 36
SPLIT_SEED = 0
DIGIT_SIZE = 20  # MNIST digits are size-normalised to 20x20 and centred in 28x28
IMAGE_SIZE = 28
RAW_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


def upscale_digits(images: np.ndarray) -> np.ndarray:
    """(N, 8, 8) values 0..16 -> (N, 28, 28) uint8 0..255: bilinear to 20x20, centred with a 4-pixel margin."""
    import torch
    import torch.nn.functional as F

    small = torch.from_numpy(np.asarray(images, dtype=np.float32) * (255.0 / 16.0)).unsqueeze(1)
    digits = F.interpolate(small, size=(DIGIT_SIZE, DIGIT_SIZE), mode="bilinear", align_corners=False)
    margin = (IMAGE_SIZE - DIGIT_SIZE) // 2
    framed = F.pad(digits, (margin, margin, margin, margin))
    return framed.squeeze(1).round().clamp(0, 255).to(torch.uint8).numpy()


def split_indices(labels: np.ndarray, test_per_class: int = TEST_PER_CLASS, seed: int = SPLIT_SEED):
    """Stratified, seeded split: ``test_per_class`` of each class to test, the rest (shuffled) to train."""
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in range(NUM_CLASSES):
        members = rng.permutation(np.flatnonzero(labels == c))
        test.append(members[:test_per_class])
        train.append(members[test_per_class:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def build_fixture(folder: Path) -> None:
    """Write ``folder/MNIST/raw/`` with the four IDX files of the digits stand-in."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = upscale_digits(digits.images)
    labels = digits.target.astype(np.uint8)
    train, test = split_indices(labels)
    raw = Path(folder) / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", images[train])
    write_idx(raw / "train-labels-idx1-ubyte", labels[train])
    write_idx(raw / "t10k-images-idx3-ubyte", images[test])
    write_idx(raw / "t10k-labels-idx1-ubyte", labels[test])


def fixture_root() -> Path:
    """The root folder (holding ``MNIST/raw/``) of the fast-profile fixture, built on first use."""
    return cached_fixture(FIXTURE_NAME, build_fixture)


def missing_data_message(root: Path, reason: str) -> str:
    from torchvision.datasets import MNIST

    files = "\n".join(f"    {Path(root) / 'MNIST' / 'raw' / name}" for name in RAW_FILES)
    return (
        f"MNIST is not in {root} and could not be downloaded ({reason}).\n"
        f"Put the four UNCOMPRESSED files there (gunzip the .gz files from {MNIST.mirrors[0]}):\n{files}\n"
        f"or point AILIT_DATA at the folder that holds MNIST/ (export AILIT_DATA=/path/to/data), "
        f"or use the offline fast profile (AILIT_PROFILE=fast).\n"
        f"MNIST 数据不在 {root}，且无法下载。请把四个解压后的文件放到 {Path(root) / 'MNIST' / 'raw'}/，"
        f"或用环境变量 AILIT_DATA 指向包含 MNIST/ 的文件夹，或使用离线的 fast 模式（AILIT_PROFILE=fast）。"
    )


def real_dataset(root: Path, *, train: bool, transform=None, download: bool = True):
    """``torchvision.datasets.MNIST`` from ``root``; downloads only when the files are missing."""
    from torchvision.datasets import MNIST

    try:
        return MNIST(str(root), train=train, transform=transform, download=False)
    except RuntimeError:
        pass  # not there yet
    if not download:
        raise DatasetUnavailable(missing_data_message(root, "downloading is switched off"))
    host = urlparse(MNIST.mirrors[0]).hostname
    if not can_reach(host):
        raise DatasetUnavailable(missing_data_message(root, f"no network connection to {host}"))
    try:
        return MNIST(str(root), train=train, transform=transform, download=True)
    except (RuntimeError, OSError) as exc:
        raise DatasetUnavailable(missing_data_message(root, f"download failed: {exc}")) from exc


def datasets(profile=None, *, train_transform=None, test_transform=None, download: bool = True):
    """(train, test) ``torchvision.datasets.MNIST`` for the profile (``fast``: the digits stand-in)."""
    from torchvision.datasets import MNIST

    if resolve_profile(profile).is_fast:
        root = str(fixture_root())
        return (MNIST(root, train=True, transform=train_transform, download=False),
                MNIST(root, train=False, transform=test_transform, download=False))
    root = data_root()
    return (real_dataset(root, train=True, transform=train_transform, download=download),
            real_dataset(root, train=False, transform=test_transform, download=download))
