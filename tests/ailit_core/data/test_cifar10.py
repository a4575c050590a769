import pickle

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms
from torchvision.datasets import CIFAR10

from ailit_core.data import DatasetUnavailable, cifar10, shapes
from tests.ailit_core.data.offline import fixtures_dir, no_network, private_cache, tree_bytes  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_network", "private_cache")


def test_fast_profile_is_torchvision_cifar10_over_pickles():
    train, test = cifar10.datasets("fast")
    assert isinstance(train, CIFAR10) and isinstance(test, CIFAR10)
    assert (len(train), len(test)) == (2500, 500)
    assert train.classes == list(shapes.CLASSES)
    image, label = train[0]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and image.size == (32, 32)
    assert isinstance(label, int) and 0 <= label <= 9
    assert np.bincount(train.targets).tolist() == [250] * 10
    assert np.bincount(test.targets).tolist() == [50] * 10


def test_files_have_the_real_layout():
    base = cifar10.fixture_root() / "cifar-10-batches-py"
    assert sorted(p.name for p in base.iterdir()) == sorted(
        ["batches.meta", "test_batch"] + [f"data_batch_{i}" for i in range(1, 6)])
    with open(base / "data_batch_3", "rb") as f:
        batch = pickle.load(f, encoding="latin1")
    assert batch["data"].dtype == np.uint8 and batch["data"].shape == (500, 3072)
    assert len(batch["labels"]) == 500
    with open(base / "batches.meta", "rb") as f:
        assert pickle.load(f, encoding="latin1")["label_names"] == list(shapes.CLASSES)


def test_pixels_round_trip_through_torchvision():
    """The R, G, B planes written to the pickles come back as the generator's HWC pixels."""
    train, _ = cifar10.datasets("fast")
    images, labels = shapes.generate(2500, seed=cifar10.SEED)
    assert np.array_equal(train.data, images)
    assert train.targets == labels.tolist()
    assert np.array_equal(np.asarray(train[7][0]), images[7])


def test_plain_torchvision_class_rejects_generated_files():
    """Why FixtureCIFAR10 exists: the real class checks the real release's md5 sums."""
    with pytest.raises(RuntimeError, match="not found or corrupted"):
        CIFAR10(str(cifar10.fixture_root()), train=True)


def test_fixture_never_downloads():
    with pytest.raises(RuntimeError, match="never downloaded"):
        cifar10.FixtureCIFAR10(str(cifar10.fixture_root()), download=True)


def test_transforms_are_applied_per_split():
    train, test = cifar10.datasets("fast", train_transform=transforms.ToTensor(), test_transform=lambda img: "t")
    image, _ = train[0]
    assert isinstance(image, torch.Tensor) and image.shape == (3, 32, 32)
    assert test[0][0] == "t"


def test_building_is_deterministic(tmp_path):
    cifar10.build_fixture(tmp_path / "a")
    cifar10.build_fixture(tmp_path / "b")
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_colour_alone_does_not_tell_the_class():
    """A nearest-centroid classifier on mean colour stays near chance: the class is in the shape."""
    train, test = cifar10.datasets("fast")
    def features(ds):
        return ds.data.reshape(len(ds.data), -1, 3).mean(1), np.asarray(ds.targets)
    x_train, y_train = features(train)
    x_test, y_test = features(test)
    centroids = np.stack([x_train[y_train == c].mean(0) for c in range(10)])
    predicted = np.argmin(((x_test[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    assert (predicted == y_test).mean() < 0.25


def test_full_profile_without_data_or_network_explains_what_to_do(private_cache):
    with pytest.raises(DatasetUnavailable) as info:
        cifar10.datasets("full")
    message = str(info.value)
    assert "no network connection" in message
    assert str(private_cache / "cifar-10-batches-py") in message
    assert "cifar-10-python.tar.gz" in message and "AILIT_DATA" in message and "AILIT_PROFILE=fast" in message


def test_full_profile_without_download_does_not_probe_the_network(monkeypatch):
    monkeypatch.setattr(cifar10, "can_reach", lambda host: pytest.fail("probed the network"))
    with pytest.raises(DatasetUnavailable, match="downloading is switched off"):
        cifar10.datasets("full", download=False)


@pytest.mark.slow
def test_a_small_cnn_learns_the_shapes():
    """The stand-in is learnable from shape: a tiny CNN beats 60% after a few epochs (chance 10%)."""
    import torch.nn as nn

    torch.manual_seed(0)
    # One thread: torch's intra-op threads spin, and when pytest shares the two cores with graded
    # runs this training went from ~9 s to minutes.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    train, test = cifar10.datasets("fast")
    def tensors(ds):
        x = torch.from_numpy(ds.data).permute(0, 3, 1, 2).float() / 255 - 0.5
        return x, torch.tensor(ds.targets)
    x_train, y_train = tensors(train)
    x_test, y_test = tensors(test)
    net = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1),
                        nn.Flatten(), nn.Linear(32, 10))
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    try:
        for _ in range(4):
            for idx in torch.randperm(len(x_train)).split(64):
                optimizer.zero_grad()
                nn.functional.cross_entropy(net(x_train[idx]), y_train[idx]).backward()
                optimizer.step()
        with torch.no_grad():
            accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    finally:
        torch.set_num_threads(threads)
    assert accuracy > 0.6, f"accuracy {accuracy:.2f}"
