"""Datasets for the vision assignments, per profile.

``full``: the real MNIST / CIFAR-10 / Tiny ImageNet from ``AILIT_DATA`` (downloaded when the
network allows). ``fast``: small fixtures written in the real on-disk formats and read by the real
torchvision classes. Each dataset module exposes the same entry point, ``datasets(...)``.
"""
