"""Datasets for the vision assignments, per profile.

``full``: the real MNIST / CIFAR-10 / Tiny ImageNet from ``AILIT_DATA`` (downloaded when the
network allows). ``fast``: small fixtures written in the real on-disk formats and read by the real
torchvision classes. Each dataset module (``mnist``, ``cifar10``, ``tiny_imagenet``) exposes the
same entry point::

    datasets(profile=None, *, train_transform=None, test_transform=None) -> (train, test)

and this package dispatches to it by name, importing the module only when asked (torchvision costs
seconds to import)::

    from ailit_core.data import get_datasets, get_loaders
    train, test = get_datasets("mnist", train_transform=t, test_transform=t)
    train_loader, test_loader = get_loaders("cifar10", batch_size=128, profile="full")
"""

from __future__ import annotations

import importlib

from ailit_core.data.common import DatasetUnavailable, resolve_profile

__all__ = ["DATASETS", "DatasetUnavailable", "get_datasets", "get_loaders", "resolve_profile"]

DATASETS = ("mnist", "cifar10", "tiny_imagenet")


def _module(name: str):
    key = str(name).strip().lower().replace("-", "_")
    if key not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known datasets: {', '.join(DATASETS)}")
    return importlib.import_module(f"ailit_core.data.{key}")


def get_datasets(name: str, *, profile=None, train_transform=None, test_transform=None):
    """(train, test) datasets of ``name`` for ``profile`` (a Profile, "fast"/"full", or None = current)."""
    return _module(name).datasets(resolve_profile(profile), train_transform=train_transform,
                                  test_transform=test_transform)


def get_loaders(name: str, *, batch_size: int, profile=None, train_transform=None, test_transform=None,
                test_batch_size: int | None = None, num_workers: int = 0, seed: int | None = 0,
                pin_memory: bool = False):
    """(train_loader, test_loader): training batches shuffled (reproducibly when ``seed`` is set),
    test batches in order."""
    import torch
    from torch.utils.data import DataLoader

    train, test = get_datasets(name, profile=profile, train_transform=train_transform,
                               test_transform=test_transform)
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    common = {"num_workers": num_workers, "pin_memory": pin_memory, "persistent_workers": num_workers > 0}
    return (DataLoader(train, batch_size=batch_size, shuffle=True, generator=generator, **common),
            DataLoader(test, batch_size=test_batch_size or batch_size, shuffle=False, **common))
