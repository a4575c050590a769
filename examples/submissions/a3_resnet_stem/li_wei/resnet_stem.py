"""A3 — li_wei. Builds the nets through torchvision's num_classes argument; explicit loops."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torchvision
import torchvision.transforms as T


def build_mnist_resnet18(num_classes=10):
    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    model.conv1 = nn.Conv2d(in_channels=1, out_channels=64, kernel_size=(7, 7), stride=(2, 2), padding=(3, 3),
                            bias=False)
    return model


def build_cifar_resnet18(num_classes=10, small_stem=False):
    model = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    if not small_stem:
        return model
    model.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding="same", bias=False)
    model.maxpool = nn.Sequential()  # an empty Sequential passes its input through
    return model


def grayscale_conv1(conv):
    new_conv = copy.deepcopy(conv)
    new_conv.in_channels = 1
    new_conv.weight = nn.Parameter(conv.weight.detach().sum(dim=1, keepdim=True).clone())
    return new_conv


def mnist_transforms(train):
    steps = []
    if train:
        steps.append(T.RandomRotation(degrees=10))
    steps.append(T.ToTensor())
    steps.append(T.Normalize(mean=(0.5,), std=(0.5,)))
    return T.Compose(steps)


def cifar_transforms(train):
    normalize = T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
    if train:
        return T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(p=0.5), T.ToTensor(), normalize])
    return T.Compose([T.ToTensor(), normalize])


class EarlyStopping:
    def __init__(self, patience=10, min_delta=1e-4):
        self.patience = patience
        self.min_delta = min_delta
        self.best_loss = np.inf
        self.counter = 0

    def step(self, loss):
        if self.best_loss - loss > self.min_delta:
            self.best_loss = loss
            self.counter = 0
        else:
            self.counter += 1
        return self.counter >= self.patience


def train_one_epoch(net, loader, criterion, optimizer, device):
    net.train()
    batch_losses = []
    for step, (images, targets) in enumerate(loader):
        images = images.to(device)
        targets = targets.to(device)
        optimizer.zero_grad()
        outputs = net(images)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        batch_losses.append(loss.item())
    return float(np.mean(batch_losses))
