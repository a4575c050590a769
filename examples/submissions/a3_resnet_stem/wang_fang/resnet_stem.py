"""A3 — wang_fang. Modules assigned with setattr from a table; a manual einsum-free weight sum."""

import torch
import torch.nn as nn
from torchvision.models import resnet18
from torchvision import transforms as tfm

STEMS = {
    "mnist": dict(in_channels=1, out_channels=64, kernel_size=7, stride=2, padding=3, bias=False),
    "small": dict(in_channels=3, out_channels=64, kernel_size=3, stride=1, padding=1, bias=False),
}


def build_mnist_resnet18(num_classes=10):
    net = resnet18(weights=None)
    setattr(net, "conv1", nn.Conv2d(**STEMS["mnist"]))
    setattr(net, "fc", nn.Linear(512, num_classes))
    return net


def build_cifar_resnet18(num_classes=10, small_stem=False):
    net = resnet18(weights=None)
    net.fc = nn.Linear(512, num_classes)
    if small_stem:
        net.conv1 = nn.Conv2d(**STEMS["small"])
        net.maxpool = nn.Identity()
    return net


def grayscale_conv1(conv):
    w = conv.weight.detach()
    summed = w[:, 0:1] + w[:, 1:2] + w[:, 2:3]
    gray = nn.Conv2d(1, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
                     bias=conv.bias is not None, device=w.device, dtype=w.dtype)
    with torch.no_grad():
        gray.weight[...] = summed
        if gray.bias is not None:
            gray.bias[...] = conv.bias.detach()
    return gray


def mnist_transforms(train):
    ops = [tfm.ToTensor(), tfm.Normalize([0.5], [0.5])]
    return tfm.Compose(([tfm.RandomRotation(10)] if train else []) + ops)


def cifar_transforms(train):
    ops = [tfm.ToTensor(), tfm.Normalize([0.5] * 3, [0.5] * 3)]
    aug = [tfm.RandomCrop(size=(32, 32), padding=4, fill=0), tfm.RandomHorizontalFlip()]
    return tfm.Compose((aug if train else []) + ops)


class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4):
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = float("inf")
        self.counter = 0

    def step(self, loss):
        if loss + self.min_delta < self.best_loss:
            self.best_loss, self.counter = loss, 0
            return False
        self.counter = self.counter + 1
        if self.counter >= self.patience:
            return True
        return False


def train_one_epoch(net, loader, criterion, optimizer, device):
    net.train(True)
    total = 0.0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        for p in net.parameters():
            p.grad = None
        loss = criterion(net(inputs), labels)
        loss.backward()
        optimizer.step()
        total += float(loss)
    return total / len(loader)
