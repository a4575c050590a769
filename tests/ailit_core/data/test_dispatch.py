"""ailit_core.data.get_datasets / get_loaders: one entry point for every dataset and profile."""

import sys
import types

import pytest
import torch
from torchvision import transforms

from ailit_core.data import DatasetUnavailable, get_datasets, get_loaders, resolve_profile
from ailit_core.profiles import Profile
from tests.ailit_core.data.offline import fixtures_dir, no_network, private_cache  # noqa: F401

pytestmark = pytest.mark.usefixtures("no_network", "private_cache")


def test_profile_argument_forms(monkeypatch):
    monkeypatch.setenv("AILIT_PROFILE", "full")
    assert resolve_profile(None) == Profile("full")
    assert resolve_profile("FAST") == Profile("fast")
    assert resolve_profile(Profile("full")) == Profile("full")
    with pytest.raises(ValueError, match="not a profile"):
        resolve_profile("quick")


def test_unknown_dataset_is_named():
    with pytest.raises(ValueError, match="known datasets: mnist, cifar10, tiny_imagenet"):
        get_datasets("imagenet")


def test_profile_defaults_to_the_environment(monkeypatch):
    monkeypatch.setenv("AILIT_PROFILE", "full")
    with pytest.raises(DatasetUnavailable):
        get_datasets("mnist")
    monkeypatch.setenv("AILIT_PROFILE", "fast")
    assert len(get_datasets("mnist")[1]) == 360


def test_dispatch_passes_profile_and_transforms(monkeypatch):
    calls = []
    fake = types.ModuleType("ailit_core.data.tiny_imagenet")
    fake.datasets = lambda profile, **kwargs: calls.append((profile, kwargs)) or ("train", "val")
    monkeypatch.setitem(sys.modules, "ailit_core.data.tiny_imagenet", fake)
    assert get_datasets("tiny-imagenet", profile="full", train_transform="a", test_transform="b") == ("train", "val")
    assert calls == [(Profile("full"), {"train_transform": "a", "test_transform": "b"})]


@pytest.mark.parametrize("name, shape", [("mnist", (1, 28, 28)), ("cifar10", (3, 32, 32))])
def test_loaders_batch_the_real_datasets(name, shape):
    to_tensor = transforms.ToTensor()
    train_loader, test_loader = get_loaders(name, batch_size=32, test_batch_size=100, profile="fast",
                                            train_transform=to_tensor, test_transform=to_tensor)
    images, labels = next(iter(train_loader))
    assert images.shape == (32, *shape) and images.dtype == torch.float32
    assert labels.dtype == torch.int64
    assert next(iter(test_loader))[0].shape == (100, *shape)


def test_training_order_is_shuffled_reproducibly_and_test_order_fixed():
    def first_labels(seed):
        train_loader, test_loader = get_loaders("mnist", batch_size=64, profile="fast", seed=seed,
                                                train_transform=transforms.ToTensor(),
                                                test_transform=transforms.ToTensor())
        return next(iter(train_loader))[1], next(iter(test_loader))[1]

    train_a, test_a = first_labels(0)
    train_b, test_b = first_labels(0)
    train_c, test_c = first_labels(1)
    assert torch.equal(train_a, train_b) and not torch.equal(train_a, train_c)
    assert torch.equal(test_a, test_c)


@pytest.mark.parametrize("name", ["mnist", "cifar10", "tiny_imagenet"])
def test_every_dataset_module_has_the_entry_point(name):
    import importlib
    import inspect

    parameters = inspect.signature(importlib.import_module(f"ailit_core.data.{name}").datasets).parameters
    assert list(parameters)[0] == "profile"
    for keyword in ("train_transform", "test_transform"):
        assert parameters[keyword].kind is inspect.Parameter.KEYWORD_ONLY and parameters[keyword].default is None
