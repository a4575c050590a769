import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms
from torchvision.datasets import MNIST

from ailit_core.data import DatasetUnavailable, mnist
from tests.ailit_core.data.offline import fixtures_dir, no_network, private_cache, tree_bytes  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_network", "private_cache")


def test_fast_profile_is_torchvision_mnist_over_idx_files():
    train, test = mnist.datasets("fast")
    assert type(train) is MNIST and type(test) is MNIST
    assert (len(train), len(test)) == (1437, 360)
    raw = mnist.fixture_root() / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(mnist.RAW_FILES), "only the uncompressed IDX files"
    image, label = train[0]
    assert isinstance(image, Image.Image) and image.mode == "L" and image.size == (28, 28)
    assert isinstance(label, int) and 0 <= label <= 9


def test_splits_are_stratified_and_use_every_digit_once():
    from sklearn.datasets import load_digits

    train, test = mnist.datasets("fast")
    assert np.bincount(test.targets.numpy(), minlength=10).tolist() == [36] * 10
    all_labels = np.concatenate([train.targets.numpy(), test.targets.numpy()])
    assert np.array_equal(np.bincount(all_labels), np.bincount(load_digits().target))
    assert train.targets[:50].unique().numel() == 10, "the training split is shuffled, not sorted by class"


def test_digits_are_centred_like_mnist():
    train, _ = mnist.datasets("fast")
    images = train.data.numpy()
    assert images.dtype == np.uint8 and images.shape[1:] == (28, 28)
    assert images.max() == 255
    margin = np.zeros((28, 28), dtype=bool)
    margin[:4], margin[-4:], margin[:, :4], margin[:, -4:] = True, True, True, True
    assert not images[:, margin].any(), "digits sit in the central 20x20 box, as in MNIST"
    assert (images[:, ~margin] > 128).mean() > 0.1, "strokes are bright on a dark background"


def test_transforms_are_applied_per_split():
    to_tensor = transforms.ToTensor()
    train, test = mnist.datasets("fast", train_transform=to_tensor, test_transform=lambda img: "test")
    image, _ = train[3]
    assert isinstance(image, torch.Tensor) and image.shape == (1, 28, 28)
    assert test[0][0] == "test"


def test_building_is_deterministic(tmp_path):
    mnist.build_fixture(tmp_path / "a")
    mnist.build_fixture(tmp_path / "b")
    assert tree_bytes(tmp_path / "a") == tree_bytes(tmp_path / "b")


def test_fixture_is_built_once(monkeypatch):
    first = mnist.fixture_root()

    def must_not_run(folder):
        raise AssertionError("the cached fixture was rebuilt")

    monkeypatch.setattr(mnist, "build_fixture", must_not_run)
    assert mnist.fixture_root() == first


def test_full_profile_reads_files_already_in_ailit_data(private_cache):
    raw = private_cache / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in mnist.RAW_FILES:
        (raw / name).write_bytes((mnist.fixture_root() / "MNIST" / "raw" / name).read_bytes())
    train, test = mnist.datasets("full")
    assert (len(train), len(test)) == (1437, 360)


def test_full_profile_without_data_or_network_explains_what_to_do(private_cache):
    with pytest.raises(DatasetUnavailable) as info:
        mnist.datasets("full")
    message = str(info.value)
    assert "no network connection" in message
    for name in mnist.RAW_FILES:
        assert str(private_cache / "MNIST" / "raw" / name) in message
    assert "UNCOMPRESSED" in message and "AILIT_DATA" in message and "AILIT_PROFILE=fast" in message


def test_full_profile_without_download_does_not_probe_the_network(private_cache, monkeypatch):
    monkeypatch.setattr(mnist, "can_reach", lambda host: pytest.fail("probed the network"))
    with pytest.raises(DatasetUnavailable, match="downloading is switched off"):
        mnist.datasets("full", download=False)


def test_failed_download_is_explained(private_cache, monkeypatch):
    monkeypatch.setattr(mnist, "can_reach", lambda host: True)  # the probe passes, the download then fails
    with pytest.raises(DatasetUnavailable, match="download failed") as info:
        mnist.datasets("full")
    assert "AILIT_DATA" in str(info.value)


def test_fixture_is_readable_by_other_users():
    """The grader reads fixtures as an unprivileged user: no 0700 folder from mkdtemp."""
    root = mnist.fixture_root()
    for path in [root, *root.rglob("*")]:
        assert path.stat().st_mode & 0o005 == 0o005 if path.is_dir() else path.stat().st_mode & 0o004, path
