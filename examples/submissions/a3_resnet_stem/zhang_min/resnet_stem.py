"""A3 — zhang_min. One helper builds every variant; CIFAR-10 statistics for Normalize."""

import torch
from torch import nn
from torch.nn import functional as F  # noqa: F401
from torchvision import models, transforms

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def _resnet18(in_channels, num_classes, kernel, stride, padding, keep_pool):
    net = models.resnet18()  # weights=None is the default
    net.conv1 = nn.Conv2d(in_channels, 64, kernel, stride, padding, bias=False)
    if not keep_pool:
        net.maxpool = nn.Identity()
    in_features = net.fc.in_features
    net.fc = nn.Linear(in_features, num_classes)
    return net


def build_mnist_resnet18(num_classes=10):
    return _resnet18(1, num_classes, 7, 2, 3, keep_pool=True)


def build_cifar_resnet18(num_classes=10, small_stem=False):
    if small_stem:
        return _resnet18(3, num_classes, 3, 1, 1, keep_pool=False)
    return _resnet18(3, num_classes, 7, 2, 3, keep_pool=True)


def grayscale_conv1(conv: nn.Conv2d) -> nn.Conv2d:
    out = nn.Conv2d(
        1, conv.out_channels, kernel_size=conv.kernel_size, stride=conv.stride, padding=conv.padding,
        dilation=conv.dilation, groups=1, bias=conv.bias is not None, padding_mode=conv.padding_mode,
    ).to(device=conv.weight.device, dtype=conv.weight.dtype)
    out.weight.data = conv.weight.data.sum(dim=1, keepdim=True).clone()
    if conv.bias is not None:
        out.bias.data = conv.bias.data.clone()
    return out


def mnist_transforms(train: bool):
    if train:
        return transforms.Compose([
            transforms.RandomAffine(degrees=10),  # rotation only, like RandomRotation(10)
            transforms.ToTensor(),
            transforms.Normalize((0.5,), (0.5,)),
        ])
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def cifar_transforms(train: bool):
    tail = [transforms.ToTensor(), transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)]
    if train:
        return transforms.Compose([transforms.RandomHorizontalFlip(), transforms.RandomCrop(32, padding=4)] + tail)
    return transforms.Compose(tail)


class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.counter = float("inf"), 0
        self.history = []

    def step(self, loss: float) -> bool:
        self.history.append(loss)
        improved = loss < self.best_loss - self.min_delta
        self.best_loss = loss if improved else self.best_loss
        self.counter = 0 if improved else self.counter + 1
        return not improved and self.counter >= self.patience


def train_one_epoch(net, loader, criterion, optimizer, device) -> float:
    net.train()
    running = torch.zeros(())
    n = 0
    for batch in loader:
        x, y = (t.to(device, non_blocking=True) for t in batch)
        optimizer.zero_grad(set_to_none=True)
        loss = criterion(net(x), y)
        loss.backward()
        optimizer.step()
        running += loss.detach().cpu()
        n += 1
    return (running / n).item()
