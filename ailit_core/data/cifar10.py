"""CIFAR-10 for the ``full`` profile, and a generated stand-in in CIFAR-10's own format for ``fast``.

The stand-in (``ailit_core.data.shapes``: 10 classes of shapes with random colours, placement and
noise) is written exactly as the real "CIFAR-10 python version" is laid out:
``cifar-10-batches-py/data_batch_1..5`` and ``test_batch`` (pickled dicts with ``data``, a uint8
array (n, 3072) of R, G, B planes, and ``labels``) and ``batches.meta`` (``label_names``).

``torchvision.datasets.CIFAR10`` checks each file against the md5 of the real release, which a
generated file can never match; ``FixtureCIFAR10`` below only lists the same files without
checksums (torchvision's ``check_integrity`` then checks that each file exists) and refuses to
download. Everything else -- unpickling, stacking, the CHW -> HWC transpose, PIL images,
transforms -- is torchvision's own code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
from torchvision.datasets import CIFAR10

from ailit_core.data import shapes
from ailit_core.data.cache import cached_fixture, data_root
from ailit_core.data.common import DatasetUnavailable, can_reach, resolve_profile

FIXTURE_NAME = "cifar10-shapes-v4"
BASE_FOLDER = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META_FILE = "batches.meta"
PER_TRAIN_BATCH = 500  # 2500 training images in the 5 batches
TEST_SIZE = 500
SEED = 2024
DOWNLOAD_HOST = "www.cs.toronto.edu"


def _batch_dict(name: str, images: np.ndarray, labels: np.ndarray) -> dict:
    return {
        "batch_label": name,
        "labels": [int(y) for y in labels],
        "data": np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(len(images), -1)),
        "filenames": [f"{shapes.CLASSES[y]}_{name}_{i:05d}.png" for i, y in enumerate(labels)],
    }


def _dump(path: Path, obj) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f, protocol=2)  # the real files are Python 2 pickles


def build_fixture(folder: Path) -> None:
    """Write ``folder/cifar-10-batches-py/`` with the generated shapes set."""
    base = Path(folder) / BASE_FOLDER
    base.mkdir(parents=True)
    n_train = PER_TRAIN_BATCH * len(TRAIN_BATCHES)
    images, labels = shapes.generate(n_train, seed=SEED)  # each split balanced over the classes
    for i, name in enumerate(TRAIN_BATCHES):
        part = slice(i * PER_TRAIN_BATCH, (i + 1) * PER_TRAIN_BATCH)
        _dump(base / name, _batch_dict(f"training batch {i + 1} of 5", images[part], labels[part]))
    test_images, test_labels = shapes.generate(TEST_SIZE, seed=SEED + 1)
    _dump(base / TEST_BATCH, _batch_dict("testing batch 1 of 1", test_images, test_labels))
    _dump(base / META_FILE, {"num_cases_per_batch": PER_TRAIN_BATCH, "label_names": list(shapes.CLASSES),
                             "num_vis": 32 * 32 * 3})


def fixture_root() -> Path:
    """The root folder (holding ``cifar-10-batches-py/``) of the fast-profile fixture, built on first use."""
    return cached_fixture(FIXTURE_NAME, build_fixture)


class FixtureCIFAR10(CIFAR10):
    """``torchvision.datasets.CIFAR10`` over generated files: the same file list without md5 sums.

    Defined at module level so DataLoader workers started with ``spawn`` can unpickle it.
    """

    train_list = [[name, None] for name in TRAIN_BATCHES]
    test_list = [[TEST_BATCH, None]]
    meta = {"filename": META_FILE, "key": "label_names", "md5": None}

    def download(self) -> None:
        raise RuntimeError("the fast-profile CIFAR-10 fixture is generated, never downloaded")


def fixture_dataset(*, train: bool, transform=None) -> FixtureCIFAR10:
    return FixtureCIFAR10(str(fixture_root()), train=train, transform=transform, download=False)


def missing_data_message(root: Path, reason: str) -> str:
    folder = Path(root) / BASE_FOLDER
    names = ", ".join([*TRAIN_BATCHES, TEST_BATCH, META_FILE])
    return (
        f"CIFAR-10 is not in {root} and could not be downloaded ({reason}).\n"
        f"Download {CIFAR10.url} elsewhere and extract it into {root}, so that {folder}/ holds "
        f"{names} (tar -xzf {CIFAR10.filename} -C {root}),\n"
        f"or point AILIT_DATA at the folder that holds {BASE_FOLDER}/ (export AILIT_DATA=/path/to/data), "
        f"or use the offline fast profile (AILIT_PROFILE=fast).\n"
        f"CIFAR-10 数据不在 {root}，且无法下载。请把 {CIFAR10.filename} 解压到 {root}（得到 {folder}/），"
        f"或用环境变量 AILIT_DATA 指向包含 {BASE_FOLDER}/ 的文件夹，或使用离线的 fast 模式（AILIT_PROFILE=fast）。"
    )


def real_dataset(root: Path, *, train: bool, transform=None, download: bool = True):
    """``torchvision.datasets.CIFAR10`` from ``root``; downloads only when the files are missing."""
    try:
        return CIFAR10(str(root), train=train, transform=transform, download=False)
    except RuntimeError:
        pass  # not there yet (or corrupted: torchvision checks md5 sums)
    if not download:
        raise DatasetUnavailable(missing_data_message(root, "downloading is switched off"))
    if not can_reach(DOWNLOAD_HOST):
        raise DatasetUnavailable(missing_data_message(root, f"no network connection to {DOWNLOAD_HOST}"))
    try:
        return CIFAR10(str(root), train=train, transform=transform, download=True)
    except (RuntimeError, OSError) as exc:
        raise DatasetUnavailable(missing_data_message(root, f"download failed: {exc}")) from exc


def datasets(profile=None, *, train_transform=None, test_transform=None, download: bool = True):
    """(train, test) CIFAR-10 datasets for the profile (``fast``: the generated shapes stand-in)."""
    if resolve_profile(profile).is_fast:
        return (fixture_dataset(train=True, transform=train_transform),
                fixture_dataset(train=False, transform=test_transform))
    root = data_root()
    return (real_dataset(root, train=True, transform=train_transform, download=download),
            real_dataset(root, train=False, transform=test_transform, download=download))
