"""A3 — ResNet-18 for MNIST and CIFAR-10: adapting the stem, transforms, early stopping, one epoch.

作业 3：让 torchvision 的 ResNet-18 适配 MNIST（单通道 28×28）与 CIFAR-10（32×32 彩色）：
修改网络的"茎"（第一层卷积与最大池化）、编写数据变换、提前停止（early stopping）和一个训练 epoch。

torchvision's ResNet-18 was designed for 224x224 RGB ImageNet photos: a 7x7 stride-2 convolution and
a stride-2 max-pool shrink the image 4x before the first residual block. MNIST images have ONE
channel; CIFAR-10 images are only 32x32, so that stem throws away most of their pixels.

Run it (after completing the TODOs) / 完成后运行::

    python resnet_stem.py mnist                          # fast profile: small offline data, a few epochs
    python resnet_stem.py cifar10 --small-stem --epochs 10  # the CIFAR-10 stand-in, small stem
    AILIT_PROFILE=full python resnet_stem.py mnist --recipe course   # the course's run (section 4.4)

``python resnet_stem.py --help`` lists every option; README.md has the commands that reproduce the
course's numbers with the full datasets.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn as nn
from torchvision import models, transforms

MNIST_MEAN, MNIST_STD = (0.5,), (0.5,)
CIFAR_MEAN, CIFAR_STD = (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)


def build_mnist_resnet18(num_classes: int = 10) -> nn.Module:
    """torchvision ResNet-18 (random weights) for 1-channel images: conv1 takes 1 channel, fc gives ``num_classes``.

    conv1 = Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)；fc = Linear(512, num_classes)。
    """
    # HINT: start from torchvision.models.resnet18(weights=None) and replace net.conv1 and net.fc.
    # 提示：从 models.resnet18(weights=None) 出发，替换 net.conv1 与 net.fc。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def build_cifar_resnet18(num_classes: int = 10, small_stem: bool = False) -> nn.Module:
    """torchvision ResNet-18 (random weights) for 3-channel images with ``num_classes`` outputs.

    small_stem=True: conv1 = Conv2d(3, 64, 3, stride=1, padding=1, bias=False) and the max-pool is
    removed (nn.Identity()), so a 32x32 image keeps 32x32 feature maps in the first residual stage.
    small_stem=True 时：conv1 换成 3×3、步长 1 的卷积，并去掉最大池化。
    """
    # HINT: the max-pool is net.maxpool; nn.Identity() returns its input unchanged.
    # 提示：最大池化层是 net.maxpool；nn.Identity() 原样返回输入。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def grayscale_conv1(conv: nn.Conv2d) -> nn.Conv2d:
    """A 1-input-channel copy of an RGB convolution whose weight is the sum over the input channels.

    A grayscale image x then gives the same output as the RGB image (x, x, x) through ``conv``,
    because conv(x, x, x) = sum_c W_c * x = (sum_c W_c) * x. Keep every other setting of ``conv``
    (out channels, kernel, stride, padding, dilation, bias, device, dtype); ``conv`` itself is not changed.
    返回单输入通道的卷积层副本：权重为原权重在输入通道维度上的和，其余设置保持不变，原卷积层不被修改。
    This is how a pretrained RGB ResNet can read MNIST without throwing its first layer away.
    """
    # HINT: conv.weight has shape (out, in, kH, kW); sum over dim=1 with keepdim=True.
    # 提示：conv.weight 的形状为 (out, in, kH, kW)；在 dim=1 上求和并保持维度（keepdim=True）。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def mnist_transforms(train: bool):
    """train: RandomRotation(10), ToTensor, Normalize((0.5,), (0.5,)); test: ToTensor, Normalize only.

    数据增强（随机旋转）只用于训练集；测试集只做 ToTensor 与 Normalize。
    """
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def cifar_transforms(train: bool):
    """train: RandomCrop(32, padding=4), RandomHorizontalFlip, ToTensor, Normalize; test: ToTensor, Normalize.

    Normalize with CIFAR_MEAN / CIFAR_STD (0.5 per channel, as in the course) in both.
    训练：随机裁剪（四周补 4 个像素）与随机水平翻转；测试：不做增强。训练与测试使用相同的 Normalize。
    """
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


class EarlyStopping:
    """Stop when the loss has not improved for ``patience`` consecutive steps.

    An improvement is ``loss < best_loss - min_delta``: it sets ``best_loss = loss`` and ``counter = 0``.
    Any other step adds 1 to ``counter``; ``step`` returns True as soon as ``counter >= patience``.
    Before the first step ``best_loss`` is infinity and ``counter`` is 0.
    提前停止：连续 patience 次没有改进（loss < best_loss - min_delta）时 step 返回 True。
    """

    def __init__(self, patience: int = 10, min_delta: float = 1e-4):
        self.patience = patience
        self.min_delta = min_delta
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def step(self, loss: float) -> bool:
        """Record one epoch's loss; True when training should stop. / 记录一个 epoch 的损失；应停止时返回 True。"""
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def train_one_epoch(net, loader, criterion, optimizer, device) -> float:
    """One pass over ``loader``; returns the mean of the batch losses (sum of loss.item() / number of batches).

    Put the network in training mode, move each batch's inputs AND labels to ``device``, and zero the
    gradients before each backward pass.
    训练模式；每个批次的输入和标签都移到 device；每次反向传播前清零梯度；返回各批次损失的平均值。
    """
    # HINT: net.train(); for inputs, labels in loader: ... optimizer.zero_grad(); loss.backward(); optimizer.step()
    # 提示：net.train()；遍历 loader；optimizer.zero_grad()；loss.backward()；optimizer.step()
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


# --------------------------------------------------------------------------------------------------
# Training script (provided; uses the functions above). 训练脚本（已提供，调用上面的函数）。
# --------------------------------------------------------------------------------------------------

CLASS_NAMES = {
    "mnist": [str(i) for i in range(10)],
    "cifar10": ["plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
}

RECIPES = {
    # The course's runs (sections 4.4 / 4.5): SGD 0.01, cosine over 100 epochs, early stopping
    # with patience 10 on the training loss, at most 800 epochs.
    "course": dict(optimizer="sgd", lr=0.01, momentum=0.9, nesterov=False, weight_decay=5e-4,
                   label_smoothing=0.0, schedule="cosine100", epochs=800, batch_size=128),
    # A modern short schedule: one-cycle LR with Nesterov momentum and label smoothing.
    "modern": dict(optimizer="sgd", lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4,
                   label_smoothing=0.1, schedule="onecycle", epochs=40, batch_size=128),
    # For the small offline data of the fast profile: a few dozen steps per epoch are too few for
    # SGD at 0.01 to get anywhere, Adam at a constant 1e-3 learns within a few epochs.
    "quick": dict(optimizer="adam", lr=1e-3, weight_decay=0.0, label_smoothing=0.0, schedule="constant",
                  epochs=5, batch_size=64),
}


class ScheduledBatches:
    """A loader that steps a per-batch LR scheduler once each batch has been used.

    ``train_one_epoch`` knows nothing of schedulers; asking for the next batch means the previous
    one's optimizer step is done, so that is when the scheduler steps.
    """

    def __init__(self, loader, scheduler):
        self.loader, self.scheduler = loader, scheduler

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            yield batch
            self.scheduler.step()


def build_model(dataset: str, small_stem: bool) -> nn.Module:
    if dataset == "mnist":
        return build_mnist_resnet18(10)
    return build_cifar_resnet18(10, small_stem=small_stem)


@torch.no_grad()
def evaluate(net, loader, device, num_classes: int = 10):
    """Accuracy and confusion matrix (rows = true class) in eval mode."""
    net.eval()
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.int64)
    for inputs, labels in loader:
        predicted = net(inputs.to(device)).argmax(1).cpu()
        confusion += torch.bincount(labels * num_classes + predicted,
                                    minlength=num_classes ** 2).reshape(num_classes, num_classes)
    accuracy = confusion.diag().sum().item() / max(confusion.sum().item(), 1)
    return accuracy, confusion


def save_plot(path, losses, accuracies, confusion, class_names) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    epochs = range(1, len(losses) + 1)
    left.plot(epochs, losses, "o-", label="train loss")
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    if accuracies:
        twin = left.twinx()
        twin.plot(epochs[:len(accuracies)], [100 * a for a in accuracies], "s-", color="tab:orange", label="test acc")
        twin.set_ylabel("test accuracy (%)")
    left.set_title("training")
    right.imshow(confusion.numpy(), cmap="Blues")
    right.set_xticks(range(len(class_names)), class_names, rotation=45)
    right.set_yticks(range(len(class_names)), class_names)
    right.set_xlabel("predicted")
    right.set_ylabel("true")
    for i in range(len(class_names)):
        for j in range(len(class_names)):
            right.text(j, i, str(confusion[i, j].item()), ha="center", va="center", fontsize=7)
    right.set_title("confusion matrix")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train ResNet-18 on MNIST or CIFAR-10 with the functions of this file.")
    parser.add_argument("dataset", choices=["mnist", "cifar10"])
    parser.add_argument("--profile", choices=["fast", "full"], default=None,
                        help="fast: small offline data (default, or AILIT_PROFILE); full: the real datasets in AILIT_DATA")
    parser.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                        help="course (SGD as in the notes; default for full), modern (one-cycle, Nesterov, label "
                             "smoothing), quick (Adam; default for fast)")
    parser.add_argument("--small-stem", action="store_true", help="CIFAR-10: 3x3 stride-1 conv1, no max-pool")
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's (fast profile: 3)")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--patience", type=int, default=10, help="early stopping patience (0: off)")
    parser.add_argument("--eval-every", type=int, default=1, help="test accuracy every N epochs (0: only at the end)")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader worker processes")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps (default: best available)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", default=None, metavar="PNG", help="save the loss curve and confusion matrix")
    parser.add_argument("--save", default=None, metavar="PTH", help="save the trained state_dict")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser.parse_args(argv)


def main(argv=None) -> float:
    from tqdm import tqdm

    from ailit_core.data import get_loaders, resolve_profile
    from ailit_core.device import select_device
    from ailit_core.seeding import seed_everything

    args = parse_args(argv)
    profile = resolve_profile(args.profile)
    recipe_name = args.recipe or profile.pick(fast="quick", full="course")
    recipe = dict(RECIPES[recipe_name])
    epochs = args.epochs or profile.pick(fast=min(recipe["epochs"], 5), full=recipe["epochs"])
    batch_size = args.batch_size or profile.pick(fast=64, full=recipe["batch_size"])
    lr = args.lr or recipe["lr"]
    seed_everything(args.seed)
    device = select_device(args.device)

    make_transforms = mnist_transforms if args.dataset == "mnist" else cifar_transforms
    train_loader, test_loader = get_loaders(
        args.dataset, batch_size=batch_size, test_batch_size=256, profile=profile, seed=args.seed,
        train_transform=make_transforms(train=True), test_transform=make_transforms(train=False),
        num_workers=args.workers, pin_memory=device.type == "cuda")
    class_names = list(getattr(train_loader.dataset, "classes", CLASS_NAMES[args.dataset]))
    class_names = [str(c).split(" - ")[0] for c in class_names]

    net = build_model(args.dataset, args.small_stem).to(device)
    criterion = nn.CrossEntropyLoss(label_smoothing=recipe["label_smoothing"])
    if recipe["optimizer"] == "adam":
        optimizer = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=recipe["weight_decay"])
    else:
        optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=recipe["momentum"],
                                    nesterov=recipe["nesterov"], weight_decay=recipe["weight_decay"])
    per_batch = recipe["schedule"] == "onecycle"
    if per_batch:
        scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, epochs=epochs,
                                                        steps_per_epoch=len(train_loader))
    elif recipe["schedule"] == "cosine100":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
    else:
        scheduler = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0)
    stopper = EarlyStopping(patience=args.patience) if args.patience > 0 else None

    print(f"{args.dataset} · profile {profile.name} · recipe {recipe_name} · small_stem={args.small_stem} · "
          f"device {device} · {len(train_loader.dataset)} training / {len(test_loader.dataset)} test images")
    losses, accuracies = [], []
    started = time.time()
    for epoch in range(1, epochs + 1):
        batches = tqdm(train_loader, desc=f"epoch {epoch}/{epochs}", leave=False, disable=args.no_progress)
        if per_batch:
            batches = ScheduledBatches(batches, scheduler)
        loss = train_one_epoch(net, batches, criterion, optimizer, device)
        if not per_batch:
            scheduler.step()
        losses.append(loss)
        line = f"[{epoch}] loss {loss:.4f} lr {optimizer.param_groups[0]['lr']:.4g}"
        if args.eval_every and epoch % args.eval_every == 0:
            accuracies.append(evaluate(net, test_loader, device)[0])
            line += f" test acc {100 * accuracies[-1]:.2f}%"
        print(line, flush=True)
        if stopper is not None and stopper.step(loss):
            print(f"Early stopping: no improvement for {stopper.patience} epochs (best loss {stopper.best_loss:.4f}).")
            break
    minutes = (time.time() - started) / 60

    accuracy, confusion = evaluate(net, test_loader, device)
    print(f"Training time: {minutes:.2f} min · test accuracy {100 * accuracy:.2f}%")
    per_class = confusion.diag().double() / confusion.sum(1).clamp(min=1).double()
    print("per class: " + ", ".join(f"{n} {100 * a:.1f}%" for n, a in zip(class_names, per_class.tolist())))
    if args.plot:
        save_plot(args.plot, losses, accuracies, confusion, class_names)
        print(f"plot: {args.plot}")
    if args.save:
        torch.save(net.state_dict(), args.save)
        print(f"weights: {args.save}")
    return accuracy


if __name__ == "__main__":
    main()
