"""Tiny ImageNet for the ``full`` profile, and a generated tree in Tiny ImageNet's own layout for ``fast``.

The real archive (http://cs231n.stanford.edu/tiny-imagenet-200.zip) unpacks to::

    tiny-imagenet-200/
      wnids.txt  words.txt
      train/<wnid>/images/<wnid>_<i>.JPEG   train/<wnid>/<wnid>_boxes.txt
      val/images/val_<i>.JPEG               val/val_annotations.txt   (file<TAB>wnid<TAB>x0 y0 x1 y1)
      test/images/test_<i>.JPEG             (unlabelled)

``torchvision.datasets.ImageFolder`` wants one folder per class, so the tree must be *prepared*
first: ``train/<wnid>/*.JPEG`` and ``val/<wnid>/*.JPEG`` -- assignment a4's
``prepare_tiny_imagenet`` (the course's ``tinyimagenet.sh``). This module deliberately does not
contain that logic (students would find their answer here); it writes trees in either layout and
reads prepared ones:

- ``write_raw_tree(root)``: a fresh generated tree as the archive unpacks it, for tests and demos;
- ``write_prepared_tree(root)``: the same images where a correct preparation puts them;
- ``datasets(profile)``: ``ImageFolder`` train/val over the prepared fast fixture or, for ``full``,
  over ``AILIT_DATA/tiny-imagenet-200`` (downloaded and unpacked when missing and the network allows;
  a raw tree gets a message saying how to prepare it).

The generated images are 64x64 JPEGs, one class per pattern (disc, ring, triangle, stripes, ...),
each drawn with its own colours, size, position, brightness ramp and noise: a small CNN must learn
shapes and textures, and does so in a few CPU epochs.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from ailit_core.data.cache import cached_fixture, data_root
from ailit_core.data.common import DatasetUnavailable, can_reach, resolve_profile

URL = "http://cs231n.stanford.edu/tiny-imagenet-200.zip"
DOWNLOAD_HOST = "cs231n.stanford.edu"
DIRNAME = "tiny-imagenet-200"
IMAGE_SIZE = 64
PATTERNS = ("disc", "ring", "square", "triangle", "plus", "horizontal stripes", "vertical stripes",
            "checkerboard", "diagonal stripes", "two dots")

# The fast-profile fixture: 8 classes, 60 training and 15 validation images each.
FIXTURE_NAME = "tiny-imagenet-synthetic-v1"
FAST_CLASSES = 8
FAST_TRAIN_PER_CLASS = 60
FAST_VAL_PER_CLASS = 15
FAST_TEST_IMAGES = 10
SEED = 2025


def wnid(index: int) -> str:
    """Synthetic WordNet-style ids: ``n`` + 8 digits like the real ones, in a range ImageNet never uses."""
    return f"n9{index:07d}"


def _pattern_mask(pattern: int, dy: np.ndarray, dx: np.ndarray, r: float, period: float) -> np.ndarray:
    """Boolean (S, S) mask of ``pattern`` for pixel offsets (dy, dx) from the centre, radius r."""
    ay, ax = np.abs(dy), np.abs(dx)
    d2 = dy ** 2 + dx ** 2
    if pattern == 0:
        return d2 <= r ** 2
    if pattern == 1:
        return (d2 <= r ** 2) & (d2 >= (0.55 * r) ** 2)
    if pattern == 2:
        return np.maximum(ay, ax) <= 0.8 * r
    if pattern == 3:
        return (dy <= 0.8 * r) & (ax <= 0.55 * (dy + r))
    if pattern == 4:
        return ((ax <= 0.3 * r) & (ay <= r)) | ((ay <= 0.3 * r) & (ax <= r))
    # Textures fill the frame, so the position of the centre only shifts their phase.
    if pattern == 5:
        return np.floor(dy / period) % 2 == 0
    if pattern == 6:
        return np.floor(dx / period) % 2 == 0
    if pattern == 7:
        return (np.floor(dy / period) + np.floor(dx / period)) % 2 == 0
    if pattern == 8:
        return np.floor((dx + dy) / (1.4 * period)) % 2 == 0
    if pattern == 9:
        dot = (0.42 * r) ** 2
        return ((dy ** 2 + (dx - 0.6 * r) ** 2) <= dot) | ((dy ** 2 + (dx + 0.6 * r) ** 2) <= dot)
    raise ValueError(f"no pattern {pattern}")


def generate_image(pattern: int, rng: np.random.Generator, size: int = IMAGE_SIZE) -> tuple[np.ndarray, tuple]:
    """One (size, size, 3) uint8 image of ``pattern`` and its bounding box (x0, y0, x1, y1)."""
    r = rng.uniform(0.16, 0.3) * size
    cy, cx = rng.uniform(r, size - r, 2)
    period = rng.uniform(0.06, 0.12) * size
    background = rng.uniform(0, 255, 3)
    foreground = rng.uniform(0, 255, 3)
    while abs(foreground.mean() - background.mean()) < 70:  # the pattern must stay visible
        foreground = rng.uniform(0, 255, 3)
    grid = np.arange(size, dtype=np.float64) + 0.5
    dy, dx = np.meshgrid(grid - cy, grid - cx, indexing="ij")
    mask = _pattern_mask(pattern, dy, dx, r, period)
    ramp = (dy * rng.uniform(-40, 40) + dx * rng.uniform(-40, 40)) / size
    image = np.where(mask[..., None], foreground, background) + ramp[..., None]
    image = image + rng.normal(0, 12.0, image.shape)
    ys, xs = np.nonzero(mask)
    box = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())) if len(xs) else (0, 0, size - 1, size - 1)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), box


def _jpeg(image: np.ndarray) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, mode="RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _write_tree(root, *, prepared: bool, num_classes: int, train_per_class: int, val_per_class: int,
                test_images: int, seed: int) -> Path:
    if not 1 <= num_classes <= len(PATTERNS):
        raise ValueError(f"num_classes must be 1..{len(PATTERNS)}, got {num_classes}")
    root = Path(root)
    rng = np.random.default_rng(seed)
    wnids = [wnid(i) for i in range(num_classes)]
    root.mkdir(parents=True, exist_ok=True)
    (root / "wnids.txt").write_text("".join(f"{w}\n" for w in wnids))
    (root / "words.txt").write_text("".join(f"{w}\tsynthetic {PATTERNS[i]}\n" for i, w in enumerate(wnids)))

    for c, w in enumerate(wnids):
        folder = root / "train" / w
        images = folder if prepared else folder / "images"
        images.mkdir(parents=True)
        boxes = []
        for i in range(train_per_class):
            pixels, box = generate_image(c, rng)
            name = f"{w}_{i}.JPEG"
            (images / name).write_bytes(_jpeg(pixels))
            boxes.append(f"{name}\t" + "\t".join(map(str, box)) + "\n")
        if not prepared:
            (folder / f"{w}_boxes.txt").write_text("".join(boxes))

    # Validation images are numbered across classes in a shuffled order, as in the real archive.
    val_classes = rng.permutation(np.repeat(np.arange(num_classes), val_per_class))
    annotations = []
    (root / "val").mkdir()
    for i, c in enumerate(val_classes):
        pixels, box = generate_image(int(c), rng)
        name = f"val_{i}.JPEG"
        folder = root / "val" / (wnids[c] if prepared else "images")
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(_jpeg(pixels))
        annotations.append(f"{name}\t{wnids[c]}\t" + "\t".join(map(str, box)) + "\n")
    (root / "val" / "val_annotations.txt").write_text("".join(annotations))

    # Unlabelled test images: the course's preparation leaves test/ alone, and so must ours.
    (root / "test" / "images").mkdir(parents=True)
    for i in range(test_images):
        pixels, _ = generate_image(int(rng.integers(num_classes)), rng)
        (root / "test" / "images" / f"test_{i}.JPEG").write_bytes(_jpeg(pixels))
    return root


def write_raw_tree(root, *, num_classes: int = 3, train_per_class: int = 4, val_per_class: int = 2,
                   test_images: int = 2, seed: int = 0) -> Path:
    """Write a generated tree into ``root`` laid out exactly as the real archive unpacks (unprepared).

    Deterministic in ``seed``; every image differs from every other. Returns ``root``.
    """
    return _write_tree(root, prepared=False, num_classes=num_classes, train_per_class=train_per_class,
                       val_per_class=val_per_class, test_images=test_images, seed=seed)


def write_prepared_tree(root, *, num_classes: int = 3, train_per_class: int = 4, val_per_class: int = 2,
                        test_images: int = 2, seed: int = 0) -> Path:
    """The same tree as ``write_raw_tree`` with the same arguments, as a correct preparation leaves it:
    ``train/<wnid>/*.JPEG`` (no boxes files), ``val/<wnid>/*.JPEG`` (annotations kept), ``test/`` as is."""
    return _write_tree(root, prepared=True, num_classes=num_classes, train_per_class=train_per_class,
                       val_per_class=val_per_class, test_images=test_images, seed=seed)


def _build_fixture(folder: Path) -> None:
    write_prepared_tree(folder / DIRNAME, num_classes=FAST_CLASSES, train_per_class=FAST_TRAIN_PER_CLASS,
                        val_per_class=FAST_VAL_PER_CLASS, test_images=FAST_TEST_IMAGES, seed=SEED)


def fixture_root() -> Path:
    """The prepared fast-profile tree (``.../tiny-imagenet-200``), generated on first use (about a second)."""
    return cached_fixture(FIXTURE_NAME, _build_fixture) / DIRNAME


def full_root() -> Path:
    return data_root() / DIRNAME


def unprepared_parts(root) -> list[str]:
    """What still has the archive's layout: ``train/<wnid>/images`` and ``val/images`` folders."""
    root = Path(root)
    parts = [str(p.relative_to(root)) for p in sorted((root / "train").glob("*/images")) if p.is_dir()]
    if (root / "val" / "images").is_dir():
        parts.append("val/images")
    return parts


def missing_data_message(root: Path, reason: str) -> str:
    return (
        f"Tiny ImageNet is not in {root} and could not be downloaded ({reason}).\n"
        f"Download {URL} (237 MB) elsewhere and unzip it into {root.parent} (unzip tiny-imagenet-200.zip -d "
        f"{root.parent}), or point AILIT_DATA at the folder that holds {DIRNAME}/ "
        f"(export AILIT_DATA=/path/to/data), or use the offline fast profile (AILIT_PROFILE=fast).\n"
        f"Tiny ImageNet 数据不在 {root}，且无法下载。请在其他机器下载 {URL}，解压到 {root.parent}，"
        f"或用环境变量 AILIT_DATA 指向包含 {DIRNAME}/ 的文件夹，或使用离线的 fast 模式（AILIT_PROFILE=fast）。"
    )


def unprepared_message(root: Path, parts: list[str]) -> str:
    shown = ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")
    return (
        f"Tiny ImageNet in {root} is not prepared for ImageFolder yet ({shown} still exist).\n"
        f"Prepare it once with assignment a4's prepare_tiny_imagenet (python eval_loop.py --data {root} "
        f"--prepare-only) or the course's tinyimagenet.sh; it moves train/<wnid>/images/* to train/<wnid>/ "
        f"and sorts val/images/* into val/<wnid>/ by val_annotations.txt.\n"
        f"{root} 中的 Tiny ImageNet 还未整理成 ImageFolder 格式：请先运行作业 a4 的 prepare_tiny_imagenet"
        f"（python eval_loop.py --data {root} --prepare-only）或课程中的 tinyimagenet.sh。"
    )


def fetch(root=None, *, download: bool = True) -> Path:
    """The real tree's folder (``AILIT_DATA/tiny-imagenet-200`` by default), raw or prepared.

    Downloads and unzips the archive when the folder is missing and the network allows.
    """
    root = Path(root) if root is not None else full_root()
    if (root / "wnids.txt").is_file():
        return root
    if not download:
        raise DatasetUnavailable(missing_data_message(root, "downloading is switched off"))
    if not can_reach(DOWNLOAD_HOST, port=80):
        raise DatasetUnavailable(missing_data_message(root, f"no network connection to {DOWNLOAD_HOST}"))
    from torchvision.datasets.utils import download_url

    try:
        download_url(URL, str(root.parent))
        with zipfile.ZipFile(root.parent / Path(URL).name) as archive:
            archive.extractall(root.parent)
    except (OSError, RuntimeError, zipfile.BadZipFile) as exc:
        raise DatasetUnavailable(missing_data_message(root, f"download failed: {exc}")) from exc
    return root


def image_folders(root, *, train_transform=None, test_transform=None):
    """(train, val) ``torchvision.datasets.ImageFolder`` over a prepared tree; one class index per wnid."""
    from torchvision.datasets import ImageFolder

    root = Path(root)
    parts = unprepared_parts(root)
    if parts:
        raise DatasetUnavailable(unprepared_message(root, parts))
    train = ImageFolder(str(root / "train"), transform=train_transform)
    val = ImageFolder(str(root / "val"), transform=test_transform)
    if val.class_to_idx != train.class_to_idx:
        raise DatasetUnavailable(
            f"{root}: train/ and val/ hold different classes ({len(train.classes)} vs {len(val.classes)}); "
            f"the same index would mean different classes. Check the preparation of val/.")
    return train, val


def datasets(profile=None, *, train_transform=None, test_transform=None, download: bool = True):
    """(train, val) ImageFolder datasets for the profile (``fast``: the generated tree, already prepared)."""
    if resolve_profile(profile).is_fast:
        root = fixture_root()
    else:
        root = fetch(download=download)
    return image_folders(root, train_transform=train_transform, test_transform=test_transform)
