"""A4 — the evaluation loop, best-weights training, and the Tiny ImageNet folder layout.

作业 4：评估循环（eval 模式、关闭梯度、按样本加权的损失、逐类准确率与混淆矩阵）、
保留验证集最佳权重的训练函数、把 Tiny ImageNet 整理成 ImageFolder 目录结构，以及在任意设备上加载检查点。

Course section 4.6 fine-tunes an ImageNet-pretrained ResNet-50 on Tiny ImageNet (200 classes,
64x64 images) and reaches 80.14% validation accuracy. The functions below are the pieces of that
pipeline that are easy to get subtly wrong.

Run it / 运行:
    python eval_loop.py                    # fast: a generated Tiny-ImageNet-format tree, a small CNN, CPU
    python eval_loop.py --profile full --data ~/data/tiny-imagenet-200
                                           # the course's run: ResNet-50 (ImageNet weights), 25 epochs, GPU
    python eval_loop.py --data DIR --prepare-only   # only prepare DIR for ImageFolder
    python eval_loop.py --help
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from pathlib import Path

import torch
from torch import nn


def evaluate(model: nn.Module, loader, device, criterion=None) -> dict:
    """Evaluate ``model`` on every batch of ``loader``.

    Returns a dict / 返回字典:
      "accuracy"            float, fraction of correct predictions / 准确率
      "loss"                sample-weighted mean of ``criterion`` over all samples, None without criterion
                            按样本数加权的平均损失（最后一个批次可能更小）；没有 criterion 时为 None
      "per_class_accuracy"  list of C floats, NaN for a class with no samples / 逐类准确率，无样本的类为 NaN
      "confusion_matrix"    torch.int64 tensor (C, C): rows = true class, columns = predicted class
                            混淆矩阵：行 = 真实类别，列 = 预测类别
      "num_samples"         int

    C is the model's output width (the number of classes), even if some classes never occur.
    The model runs in eval mode without autograd; its previous train/eval mode is restored afterwards.
    Inputs and labels are moved to ``device``.
    模型在 eval 模式、关闭梯度的情况下运行；结束后恢复原来的 train/eval 模式。
    """
    # HINT: remember model.training, call model.eval(), and put model.train(was_training) in a finally block.
    # 提示：先记下 model.training，再调用 model.eval()；最后用 model.train(原来的模式) 恢复。
    # HINT: torch.no_grad() turns autograd off; loss.item() * batch_size summed, divided by the sample count.
    # 提示：用 torch.no_grad() 关闭梯度；损失要乘以本批次的样本数再求和，最后除以总样本数。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def train_model(model: nn.Module, criterion, optimizer, scheduler, dataloaders: dict, num_epochs: int, device):
    """Train for ``num_epochs`` epochs; return (model with the best-validation-accuracy weights, history).

    Each epoch: one pass over ``dataloaders["train"]`` in train mode (zero_grad, forward, loss,
    backward, step), then ``scheduler.step()`` once, then ``evaluate`` on ``dataloaders["val"]``.
    ``history`` gets one dict per epoch with keys
      "epoch"       the epoch number (1, 2, ... like the course's "Epoch 1/25")
      "train_loss"  sample-weighted mean of the training-batch losses of that epoch (running, as in the course)
      "train_acc"   fraction of training samples predicted correctly during that epoch
      "val_loss", "val_acc"   ``evaluate``'s loss and accuracy after that epoch
    The weights (parameters AND buffers such as BatchNorm running statistics) of the epoch with the
    highest val_acc are kept as an independent copy and loaded back into the model at the end.

    每个 epoch：训练模式下遍历一次训练集，调用一次 scheduler.step()，再在验证集上评估；
    保存验证准确率最高时的权重（必须是独立的副本！），训练结束后把它加载回模型。
    """
    # HINT: model.state_dict() returns tensors that SHARE memory with the live parameters; the optimizer
    # HINT: changes them in place. Keep copy.deepcopy(model.state_dict()), not the dict itself.
    # 提示：model.state_dict() 返回的张量与模型参数共享内存，优化器会原地修改它们；
    # 提示：必须用 copy.deepcopy(model.state_dict()) 保存副本。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def prepare_tiny_imagenet(root) -> None:
    """Rearrange an unzipped ``tiny-imagenet-200`` folder into the layout ``ImageFolder`` reads.

    - ``root/train/<wnid>/images/*.JPEG`` -> ``root/train/<wnid>/*.JPEG``; ``<wnid>_boxes.txt`` is dropped
      and the emptied ``images/`` folder removed;
    - ``root/val/images/<file>`` -> ``root/val/<wnid>/<file>``, the wnid of each file read from
      ``root/val/val_annotations.txt`` (tab-separated: file, wnid, box); the emptied ``val/images/`` removed.

    Idempotent (running it on a prepared tree changes nothing) and safe: it never deletes or
    overwrites an image, and a run that was interrupted halfway is completed by running it again.
    ``wnids.txt``, ``words.txt``, ``val_annotations.txt`` and ``test/`` are left as they are.

    把训练集 train/<wnid>/images/ 中的图片移到 train/<wnid>/，按 val_annotations.txt 把验证集图片分到
    val/<wnid>/。可重复运行；中途被打断后再运行一次即可完成；绝不删除或覆盖任何图片。
    """
    # HINT: move file by file with os.replace (a rename: atomic, the file is always in exactly one place).
    # 提示：逐个文件用 os.replace 移动（重命名是原子操作，文件任何时刻都只在一个位置）。
    # HINT: a re-run must cope with every half-done state: some files moved, some not, folders already gone.
    # 提示：再次运行时要能处理各种“做了一半”的状态：部分文件已移动、文件夹已删除等。
    # HINT: only remove a folder when it is empty (os.rmdir); never rmtree a folder that may hold images.
    # 提示：只删除空文件夹（os.rmdir），不要对可能还有图片的文件夹用 shutil.rmtree。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def load_for_eval(path, model: nn.Module, device) -> nn.Module:
    """Load a state_dict checkpoint saved on ANY device (a GPU machine, a Mac) into ``model``.

    Returns the model on ``device`` and in eval mode. Use ``map_location``: without it, tensors saved
    from CUDA are restored to CUDA and loading fails on a machine without that GPU.
    加载在任意设备上保存的 state_dict（用 map_location），返回位于 device 上、处于 eval 模式的模型。
    """
    # HINT: torch.load(path, map_location=device, weights_only=True), then load_state_dict, .to(device), .eval().
    # 提示：torch.load(path, map_location=device, weights_only=True)，再 load_state_dict、.to(device)、.eval()。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


# ---------------------------------------------------------------------------------------------------
# Command line: fine-tune and evaluate, as in the course. Nothing to write below this line.
# 命令行：与课程相同的微调与评估流程。以下代码无需修改。
# ---------------------------------------------------------------------------------------------------

IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


class SmallNet(nn.Module):
    """A small CNN for the 64x64 generated images of the fast profile (a ResNet-50 would take hours on a CPU)."""

    def __init__(self, num_classes: int):
        super().__init__()

        def conv(c_in, c_out, stride=1):
            return [nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(c_out),
                    nn.ReLU(inplace=True)]

        self.features = nn.Sequential(*conv(3, 32, stride=2), *conv(32, 32), nn.MaxPool2d(2),
                                      *conv(32, 64), nn.MaxPool2d(2), *conv(64, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class Progress:
    """A loader wrapper that shows a tqdm bar while iterating and otherwise behaves like the loader."""

    def __init__(self, loader, desc: str):
        self.loader, self.desc = loader, desc

    def __iter__(self):
        from tqdm.auto import tqdm

        return iter(tqdm(self.loader, desc=self.desc, leave=False, unit="batch", dynamic_ncols=True))

    def __len__(self):
        return len(self.loader)

    @property
    def dataset(self):
        return self.loader.dataset


def resnet50_for(num_classes: int, pretrained: bool) -> nn.Module:
    """torchvision's ResNet-50 with a new ``num_classes`` head; ImageNet weights when ``pretrained``."""
    from torchvision import models

    from ailit_core.data.common import can_reach

    weights = models.ResNet50_Weights.DEFAULT if pretrained else None
    cache = Path(torch.hub.get_dir()) / "checkpoints"
    try:
        # torchvision's download has no timeout: on a firewalled machine it would hang, so probe first.
        if weights is not None and not (cache / Path(weights.url).name).is_file() \
                and not can_reach("download.pytorch.org"):
            raise OSError(f"{Path(weights.url).name} is not in {cache} and download.pytorch.org is unreachable")
        model = models.resnet50(weights=weights)
    except (OSError, RuntimeError) as exc:  # no cached weights and no network
        raise SystemExit(
            f"could not load the ImageNet weights of ResNet-50 ({exc}).\n"
            f"On a machine with internet run: python -c \"from torchvision import models; "
            f"models.resnet50(weights=models.ResNet50_Weights.DEFAULT)\" and copy {cache}/ here, "
            f"or train from scratch with --no-pretrained (far below the course's 80%).\n"
            f"无法加载 ResNet-50 的 ImageNet 预训练权重：请在联网机器上下载后复制到 {cache}/，或使用 --no-pretrained。")
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def class_names(root: Path, wnids: list[str]) -> list[str]:
    """Readable names from words.txt ("n01443537<TAB>goldfish, Carassius auratus" -> "goldfish")."""
    words = {}
    path = Path(root) / "words.txt"
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            wnid, _, text = line.partition("\t")
            words[wnid] = text.split(",")[0].strip()
    return [words.get(w) or w for w in wnids]


def save_confusion_matrix(confusion: torch.Tensor, classes: list[str], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    c = confusion.cpu().double()
    rates = (c / c.sum(dim=1, keepdim=True).clamp(min=1)).numpy()  # each row (true class) sums to 1
    size = min(4 + 0.35 * len(classes), 30)
    fig, ax = plt.subplots(figsize=(size, size))
    image = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title("confusion matrix: rows = true class, row-normalised")
    if len(classes) <= 30:
        ax.set_xticks(range(len(classes)), classes, rotation=90)
        ax.set_yticks(range(len(classes)), classes)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="A4: fine-tune and evaluate on Tiny ImageNet (course section 4.6).")
    parser.add_argument("--profile", choices=("fast", "full"), default=os.environ.get("AILIT_PROFILE", "fast"),
                        help="fast: generated tree + small CNN on CPU; full: real Tiny ImageNet + ResNet-50")
    parser.add_argument("--data", type=Path, default=None,
                        help="tiny-imagenet-200 folder (full default: $AILIT_DATA/tiny-imagenet-200, downloaded "
                             "when missing and online; fast default: a generated tree under --out)")
    parser.add_argument("--out", type=Path, default=Path("a4_runs"), help="checkpoint, confusion matrix, fast data")
    parser.add_argument("--epochs", type=int, default=None, help="fast: 10; full: 25 (the course)")
    parser.add_argument("--batch-size", type=int, default=None, help="fast: 32; full: 128 (the course)")
    parser.add_argument("--lr", type=float, default=None, help="SGD learning rate; fast: 0.05; full: 0.001")
    parser.add_argument("--workers", type=int, default=None, help="DataLoader workers; fast: 0; full: 8")
    parser.add_argument("--device", default=None, help="cuda, mps, cpu (default: the best available)")
    parser.add_argument("--no-pretrained", action="store_true", help="full: ResNet-50 from scratch")
    parser.add_argument("--prepare-only", action="store_true", help="prepare --data for ImageFolder and stop")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from torch.utils.data import DataLoader
    from torchvision import transforms

    from ailit_core.data import tiny_imagenet
    from ailit_core.device import select_device
    from ailit_core.seeding import seed_everything

    fast = args.profile == "fast"
    args.out.mkdir(parents=True, exist_ok=True)
    if args.data is not None:
        root = args.data
    elif fast:
        root = args.out / "tiny-imagenet-synthetic"
        if not root.exists():  # a fresh UNPREPARED copy, so that your prepare_tiny_imagenet does the work
            tiny_imagenet.write_raw_tree(root, num_classes=tiny_imagenet.FAST_CLASSES,
                                         train_per_class=tiny_imagenet.FAST_TRAIN_PER_CLASS,
                                         val_per_class=tiny_imagenet.FAST_VAL_PER_CLASS, seed=tiny_imagenet.SEED)
    else:
        root = tiny_imagenet.fetch()
    started = time.perf_counter()
    prepare_tiny_imagenet(root)
    print(f"prepared {root} for ImageFolder in {time.perf_counter() - started:.1f} s")
    if args.prepare_only:
        return {}

    seed_everything(args.seed)
    device = select_device(args.device)
    epochs = args.epochs or (10 if fast else 25)
    batch_size = args.batch_size or (32 if fast else 128)
    workers = args.workers if args.workers is not None else (0 if fast else 8)
    if fast:
        train_tf = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                                       transforms.Normalize([0.5] * 3, [0.5] * 3)])
        val_tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize([0.5] * 3, [0.5] * 3)])
    else:  # the course's transforms: 64x64 images upsampled to ResNet's 224x224
        train_tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                       transforms.ToTensor(), transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
        val_tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(),
                                     transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    train_set, val_set = tiny_imagenet.image_folders(root, train_transform=train_tf, test_transform=val_tf)
    loader_args = {"batch_size": batch_size, "num_workers": workers, "pin_memory": device.type == "cuda",
                   "persistent_workers": workers > 0}
    loaders = {"train": DataLoader(train_set, shuffle=True, generator=torch.Generator().manual_seed(args.seed),
                                   **loader_args),
               "val": DataLoader(val_set, shuffle=False, **loader_args)}
    classes = train_set.classes
    names = class_names(root, classes)
    print(f"{args.profile} profile on {device}: {len(train_set)} training / {len(val_set)} validation images, "
          f"{len(classes)} classes, {epochs} epochs")

    def new_model(pretrained: bool) -> nn.Module:
        return SmallNet(len(classes)) if fast else resnet50_for(len(classes), pretrained)

    model = new_model(not args.no_pretrained).to(device)
    lr = args.lr or (0.05 if fast else 0.001)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    if fast:
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    else:  # the course: divide the learning rate by 10 every 7 epochs
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    criterion = nn.CrossEntropyLoss()

    started = time.perf_counter()
    model, history = train_model(model, criterion, optimizer, scheduler,
                                 {k: Progress(v, k) for k, v in loaders.items()}, epochs, device)
    train_seconds = time.perf_counter() - started
    result = evaluate(model, Progress(loaders["val"], "val"), device, criterion)
    print(f"best validation accuracy {result['accuracy']:.4f} (loss {result['loss']:.4f}) on "
          f"{result['num_samples']} images; training took {train_seconds:.1f} s ({train_seconds / 60:.1f} min)")
    worst = sorted(range(len(classes)), key=lambda c: result["per_class_accuracy"][c])[:5]
    print("hardest classes / 最难的类别: " + ", ".join(
        f"{names[c]} {result['per_class_accuracy'][c]:.2f}" for c in worst))

    checkpoint = args.out / f"tiny_imagenet_{'smallnet' if fast else 'resnet50'}_epoch{epochs}.pth"
    torch.save(model.state_dict(), checkpoint)
    figure = args.out / "confusion_matrix.png"
    save_confusion_matrix(result["confusion_matrix"], names, figure)
    reloaded = load_for_eval(checkpoint, new_model(pretrained=False), device)
    check = evaluate(reloaded, loaders["val"], device)
    print(f"saved {checkpoint} and {figure}; reloaded checkpoint: validation accuracy {check['accuracy']:.4f}")
    return {"history": history, "result": result, "seconds": train_seconds, "checkpoint": checkpoint}


if __name__ == "__main__":
    main()
