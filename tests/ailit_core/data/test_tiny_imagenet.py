"""ailit_core.data.tiny_imagenet: generated trees in the archive's layout, the prepared fast fixture,
ImageFolder datasets per profile, and the explained errors of the full profile -- all offline."""

from __future__ import annotations

import hashlib
import importlib.util

import pytest
from PIL import Image

from ailit_core import paths
from ailit_core.data import DatasetUnavailable, get_datasets
from ailit_core.data import tiny_imagenet as ti
from tests.ailit_core.data.offline import no_network, private_cache, fixtures_dir, tree_bytes  # noqa: F401

SIZES = {"num_classes": 3, "train_per_class": 4, "val_per_class": 2, "test_images": 2}


def reference_prepare():
    """The assignment's reference ``prepare_tiny_imagenet`` (the logic the full profile relies on)."""
    path = paths.solutions_dir() / "a4_eval_loop" / "eval_loop.py"
    spec = importlib.util.spec_from_file_location("a4_reference_eval_loop", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.prepare_tiny_imagenet


def test_raw_tree_has_the_archive_layout(tmp_path):
    root = ti.write_raw_tree(tmp_path / "tiny-imagenet-200", **SIZES)
    wnids = (root / "wnids.txt").read_text().split()
    assert wnids == [ti.wnid(i) for i in range(3)]
    assert all(w.startswith("n") and len(w) == 9 for w in wnids)
    assert [line.split("\t")[0] for line in (root / "words.txt").read_text().splitlines()] == wnids
    for w in wnids:
        images = sorted(p.name for p in (root / "train" / w / "images").iterdir())
        assert images == sorted(f"{w}_{i}.JPEG" for i in range(4))
        boxes = [line.split("\t") for line in (root / "train" / w / f"{w}_boxes.txt").read_text().splitlines()]
        assert sorted(b[0] for b in boxes) == images
        assert all(len(b) == 5 and all(0 <= int(v) < 64 for v in b[1:]) for b in boxes)
    annotations = [line.split("\t") for line in (root / "val" / "val_annotations.txt").read_text().splitlines()]
    assert sorted(a[0] for a in annotations) == sorted(p.name for p in (root / "val" / "images").iterdir())
    assert len(annotations) == 6 and all(len(a) == 6 and a[1] in wnids for a in annotations)
    assert sorted(a[1] for a in annotations) == sorted(wnids * 2)
    assert len(list((root / "test" / "images").iterdir())) == 2
    with Image.open(root / "train" / wnids[0] / "images" / f"{wnids[0]}_0.JPEG") as image:
        assert image.format == "JPEG" and image.size == (64, 64) and image.mode == "RGB"


def test_trees_are_deterministic_and_every_image_differs(tmp_path):
    a = tree_bytes(ti.write_raw_tree(tmp_path / "a", seed=3, **SIZES))
    b = tree_bytes(ti.write_raw_tree(tmp_path / "b", seed=3, **SIZES))
    c = tree_bytes(ti.write_raw_tree(tmp_path / "c", seed=4, **SIZES))
    assert a == b
    assert a != c
    digests = [hashlib.sha256(v).hexdigest() for k, v in a.items() if k.endswith(".JPEG")]
    assert len(digests) == len(set(digests)) == 3 * 4 + 6 + 2


def test_prepared_tree_is_what_the_assignments_preparation_makes(tmp_path):
    raw = ti.write_raw_tree(tmp_path / "raw", seed=5, **SIZES)
    reference_prepare()(raw)
    prepared = ti.write_prepared_tree(tmp_path / "prepared", seed=5, **SIZES)
    assert tree_bytes(raw) == tree_bytes(prepared)
    assert ti.unprepared_parts(prepared) == []
    assert sorted(ti.unprepared_parts(ti.write_raw_tree(tmp_path / "again", **SIZES)))[-1] == "val/images"


def test_fast_datasets_are_image_folders_over_the_cached_fixture(private_cache, no_network, monkeypatch):
    from torchvision import transforms
    from torchvision.datasets import ImageFolder

    train, val = ti.datasets("fast", train_transform=transforms.ToTensor(), test_transform=transforms.ToTensor())
    assert isinstance(train, ImageFolder) and isinstance(val, ImageFolder)
    assert len(train.classes) == ti.FAST_CLASSES and train.class_to_idx == val.class_to_idx
    assert len(train) == ti.FAST_CLASSES * ti.FAST_TRAIN_PER_CLASS
    assert len(val) == ti.FAST_CLASSES * ti.FAST_VAL_PER_CLASS
    image, label = val[0]
    assert tuple(image.shape) == (3, 64, 64) and 0 <= label < ti.FAST_CLASSES
    monkeypatch.setattr(ti, "_build_fixture", lambda folder: pytest.fail("the fixture was built twice"))
    again, _ = get_datasets("tiny_imagenet", profile="fast")  # the package's dispatch, from the cache
    assert again.samples == train.samples


def test_full_profile_without_data_explains_the_download(private_cache, no_network):
    with pytest.raises(DatasetUnavailable) as info:
        ti.datasets("full")
    message = str(info.value)
    assert ti.URL in message and str(private_cache / ti.DIRNAME) in message and "AILIT_PROFILE=fast" in message


def test_full_profile_refuses_an_unprepared_tree(private_cache, no_network):
    ti.write_raw_tree(private_cache / ti.DIRNAME, **SIZES)
    with pytest.raises(DatasetUnavailable) as info:
        ti.datasets("full")
    assert "prepare_tiny_imagenet" in str(info.value) and "val/images" in str(info.value)


def test_full_profile_reads_a_prepared_tree(private_cache, no_network):
    ti.write_prepared_tree(private_cache / ti.DIRNAME, **SIZES)
    train, val = ti.datasets("full")
    assert len(train) == 12 and len(val) == 6 and train.classes == val.classes == [ti.wnid(i) for i in range(3)]


def test_mismatched_class_folders_are_refused(tmp_path):
    root = ti.write_prepared_tree(tmp_path / "tiny", **SIZES)
    for image in (root / "val" / ti.wnid(2)).iterdir():
        image.unlink()
    (root / "val" / ti.wnid(2)).rmdir()
    with pytest.raises(DatasetUnavailable, match="different classes"):
        ti.image_folders(root)
