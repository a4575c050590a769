"""Hidden tests for a3_resnet_stem, part 3: EarlyStopping, train_one_epoch, a real training run (34 points).

Approach: ``EarlyStopping`` is replayed step by step against an oracle on scripted loss sequences
(boundaries of ``min_delta`` with exactly representable numbers, equal losses, the step that reaches
``patience``) and on random ones. ``train_one_epoch`` gets the test's own small model, optimiser and
loader (so a broken ResNet costs points only once): its parameters and return value are compared
with an oracle epoch; batches are tensors that log every ``.to()`` made on them and the model
records what reaches it, so moving inputs and labels is observable on a CPU. The training run builds
the student's MNIST network with the student's transforms on the digits stand-in (the real
torchvision MNIST class reading IDX files) and trains it briefly with a fixed loop.
"""

import copy
import math
import random

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, Subset, TensorDataset

from a3_support import CPU, Tracked


class OracleStopper:
    def __init__(self, patience, min_delta):
        self.patience, self.min_delta, self.best_loss, self.counter = patience, min_delta, math.inf, 0

    def step(self, loss):
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.counter = loss, 0
            return False
        self.counter += 1
        return self.counter >= self.patience


def replay(resnet_stem, losses, patience=None, min_delta=None):
    """Step the student's and the oracle's stoppers together; fail at the first difference."""
    kwargs = {k: v for k, v in (("patience", patience), ("min_delta", min_delta)) if v is not None}
    student = resnet_stem.EarlyStopping(**kwargs)
    oracle = OracleStopper(kwargs.get("patience", 10), kwargs.get("min_delta", 1e-4))
    for i, loss in enumerate(losses, start=1):
        want = oracle.step(loss)
        got = student.step(loss)
        shown = ", ".join(f"{v:g}" for v in losses[:i])
        context = f"EarlyStopping({', '.join(f'{k}={v}' for k, v in kwargs.items())}) after losses [{shown[-160:]}]"
        assert isinstance(got, (bool, int)) or hasattr(got, "__bool__"), (
            f"step() must return a bool, got {got!r} / step() 应返回布尔值")
        assert bool(got) == want, (
            f"{context}: step() returned {bool(got)}, expected {want} (stop when counter reaches patience) / "
            f"第 {i} 步的返回值错误")
        assert student.best_loss == oracle.best_loss, (
            f"{context}: best_loss is {student.best_loss}, expected {oracle.best_loss} (it changes only on an "
            f"improvement: loss < best_loss - min_delta)"
            f" / best_loss 应为 {oracle.best_loss}（只有 loss < best_loss - min_delta 时才更新）")
        assert student.counter == oracle.counter, (
            f"{context}: counter is {student.counter}, expected {oracle.counter} / counter 应为 {oracle.counter}")
        if want:
            return i
    return None


SCRIPTED = [
    # (losses, patience, min_delta, step on which it stops); the numbers are exact in binary
    ([1.0, 0.5, 0.5, 0.5], 2, 0.0, 4),                           # an equal loss is no improvement
    ([1.0, 0.75, 0.75, 0.5], 3, 0.25, None),                     # 0.75 = 1.0 - 0.25 is not an improvement
    ([1.0, 0.875, 0.8125, 0.78125], 3, 0.25, 4),                 # lower, but by less than min_delta
    ([2.0, 1.0, 1.5, 0.5, 0.75, 0.75, 0.75], 3, 0.0, 7),         # the counter restarts after an improvement
    ([3.0, 3.5], 1, 0.0, 2),                                     # patience 1 stops on the first miss
    ([1.0, 0.5, 0.25, 0.125, 0.0625], 2, 0.0, None),             # steady improvement never stops
]


@pytest.mark.points(6)
@pytest.mark.parametrize("case", SCRIPTED, ids=[f"seq{i}" for i in range(len(SCRIPTED))])
def test_early_stopping_exact_step(resnet_stem, case):
    """EarlyStopping stops on exactly the step where `patience` steps in a row brought no improvement. / 提前停止的时机。"""
    losses, patience, min_delta, stops_at = case
    stopper = resnet_stem.EarlyStopping(patience=patience, min_delta=min_delta)
    assert stopper.best_loss == math.inf and stopper.counter == 0, (
        "a new EarlyStopping has best_loss = float('inf') and counter = 0"
        " / 新建的 EarlyStopping 应有 best_loss = float('inf') 且 counter = 0")
    stopped = replay(resnet_stem, losses, patience, min_delta)
    assert stopped == stops_at, (
        f"EarlyStopping stopped on step {stopped}, expected step {stops_at} / EarlyStopping 应在第 {stops_at} 步停止")


@pytest.mark.points(4)
def test_early_stopping_min_delta_and_defaults(resnet_stem):
    """Improvement means loss < best_loss - min_delta; defaults patience=10, min_delta=1e-4. / min_delta 与默认值。"""
    stopper = resnet_stem.EarlyStopping()
    assert (stopper.patience, stopper.min_delta) == (10, 1e-4), (
        "defaults are patience=10, min_delta=1e-4 / 默认值应为 patience=10、min_delta=1e-4")
    # 2e-4 is an improvement, the repeat is not
    assert replay(resnet_stem, [1.0, 0.9998, 0.9998]) is None, (
        "EarlyStopping(): a decrease of 2e-4 is an improvement and one repeat does not stop training "
        "/ 下降 2e-4 算作改进，重复一次不应停止训练")
    flat = [1.0] + [1.0 - 5e-5] * 10  # lower by less than min_delta: no improvement
    assert replay(resnet_stem, flat) == 11, (
        "with the defaults, ten non-improving steps stop training on step 11 / 使用默认值时，连续十次没有改进应在第 11 步停止训练")
    rng = random.Random(5)
    for trial in range(30):
        patience, min_delta = rng.randint(1, 5), rng.choice([0.0, 1e-3, 0.01, 0.05])
        losses, loss = [], 1.0
        for _ in range(40):
            loss = max(0.0, loss + rng.uniform(-0.04, 0.03))
            losses.append(loss)
        replay(resnet_stem, losses, patience, min_delta)


class Recorder(nn.Module):
    """A small classifier that records, per forward call, the training flag and whether its input was moved."""

    def __init__(self, n_in=6, n_classes=3):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, n_classes))
        self.calls = []

    def forward(self, x):
        self.calls.append((self.training, type(x) is torch.Tensor, x.device))
        return self.body(x)


class RecordingLoss(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = nn.CrossEntropyLoss()
        self.labels = []

    def forward(self, outputs, labels):
        self.labels.append((type(labels) is torch.Tensor, labels.device))
        return self.inner(outputs, labels)


def problem(seed, n=11, batch_size=4):
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(n, 6, generator=g), torch.randint(0, 3, (n,), generator=g)
    return X, y, batch_size


def tracked_loader(X, y, batch_size, log):
    def collate(items):
        xs, ys = zip(*items)
        return Tracked.wrap(torch.stack(xs), "inputs", log), Tracked.wrap(torch.stack(ys), "labels", log)

    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False, collate_fn=collate)


def oracle_epoch(model, X, y, batch_size, lr):
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for i in range(0, len(X), batch_size):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(X[i:i + batch_size]), y[i:i + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, sum(losses) / len(losses)


@pytest.mark.points(7)
@pytest.mark.parametrize("seed", [0, 1])
def test_train_one_epoch_updates_and_mean_loss(resnet_stem, seed):
    """One epoch = zero_grad, forward, loss, backward, step per batch; returns the mean of the batch losses. / 一个 epoch 的训练。"""
    torch.manual_seed(seed)
    X, y, batch_size = problem(seed)  # 11 samples in batches of 4: the last batch is short
    model = Recorder()
    want_model, want_loss = oracle_epoch(model, X, y, batch_size, lr=0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.5)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False)
    got = resnet_stem.train_one_epoch(model, loader, nn.CrossEntropyLoss(), optimizer, CPU)
    assert not (isinstance(got, torch.Tensor) and got.requires_grad), (
        "train_one_epoch returns a tensor that keeps its autograd graph: add up loss.item() (a number), not the "
        "loss tensor, or every batch's graph stays in memory / train_one_epoch 返回了带计算图的张量：请累加 "
        "loss.item()（一个数），否则每个批次的计算图都会留在内存中")
    try:
        got = float(got)
    except (TypeError, ValueError):
        pytest.fail(f"train_one_epoch must return a number, got {type(got).__name__}"
                    " / train_one_epoch 应返回一个数")
    assert len(model.calls) == 3, (
        f"expected one forward pass per batch (3 batches), saw {len(model.calls)} / 每个批次应前向传播一次（共 3 个批次）")
    for (name, p), q in zip(model.named_parameters(), want_model.parameters()):
        assert torch.allclose(p, q, atol=1e-5), (
            f"after one epoch the parameter {name} differs from a correct epoch: call optimizer.zero_grad() "
            f"before each backward pass and optimizer.step() once per batch / 每个批次先清零梯度")
    assert math.isclose(got, want_loss, rel_tol=1e-5), (
        f"train_one_epoch returned {got:.6f}, expected the mean of the batch losses {want_loss:.6f} "
        f"(sum of loss.item() / number of batches; not weighted by batch size, not the sum, not the last loss)"
        " / train_one_epoch 应返回各批次损失的平均值（loss.item() 之和除以批次数）")


def check_train_mode_and_device(resnet_stem, device):
    torch.manual_seed(3)
    X, y, batch_size = problem(3)
    model = Recorder().to(device).eval()  # left in eval mode by an earlier evaluation
    want_model, want_loss = oracle_epoch(model, X.to(device), y.to(device), batch_size, lr=0.1)
    model.calls.clear()
    log = []
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    criterion = RecordingLoss()
    got = resnet_stem.train_one_epoch(model, tracked_loader(X, y, batch_size, log), criterion, optimizer, device)
    assert model.calls, (
        "the model was never called / 模型从未被调用")
    assert all(training for training, _, _ in model.calls), (
        "the model ran in eval mode: call net.train() at the start of train_one_epoch / 先调用 net.train()")
    assert all(moved for _, moved, _ in model.calls), (
        "the inputs reached the model without inputs.to(device) / 输入需要 .to(device)")
    assert all(moved for moved, _ in criterion.labels), (
        "the labels reached the loss without labels.to(device) / 标签也需要 .to(device)")
    targets = {d for _, d in log if d is not None}
    assert targets and all(d.type == device.type for d in targets), (
        f"batches were moved to {sorted(map(str, targets))}, not to the given device {device}"
        f" / 批次应移动到传入的设备 {device}")
    assert all(d.type == device.type for *_, d in model.calls), (
        f"inputs did not arrive on {device} / 输入没有到达 {device}")
    assert math.isclose(float(got), want_loss, rel_tol=1e-4), (
        "the returned loss differs from a correct epoch / 返回的损失与正确的 epoch 不一致")


@pytest.mark.points(5)
def test_train_one_epoch_train_mode_and_device(resnet_stem):
    """train_one_epoch switches to training mode and moves inputs AND labels to `device`. / 训练模式与设备。"""
    check_train_mode_and_device(resnet_stem, CPU)


@pytest.mark.gpu
@pytest.mark.points(0)
def test_device_checks_on_cuda(resnet_stem):
    """On a GPU: train_one_epoch moves batches to CUDA, the networks and grayscale_conv1 run there. / GPU 上的检查。"""
    cuda = torch.device("cuda")
    check_train_mode_and_device(resnet_stem, cuda)
    for net, shape in ((resnet_stem.build_mnist_resnet18(10), (2, 1, 28, 28)),
                       (resnet_stem.build_cifar_resnet18(10, small_stem=True), (2, 3, 32, 32))):
        net = net.to(cuda).eval()
        with torch.no_grad():
            out = net(torch.randn(*shape, device=cuda))
        assert out.device.type == "cuda" and tuple(out.shape) == (2, 10), (
            "on CUDA the network must run and output (2, 10) logits on the GPU "
            "/ 在 GPU 上网络应能运行并输出形状为 (2, 10) 的结果")
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1, device=cuda)
    gray = resnet_stem.grayscale_conv1(conv)
    assert gray.weight.device.type == "cuda", (
        "grayscale_conv1 must keep the conv's device / grayscale_conv1 应保持卷积层所在的设备")
    x = torch.randn(2, 1, 17, 17, device=cuda)
    with torch.no_grad():
        assert torch.allclose(gray(x), conv(x.repeat(1, 3, 1, 1)), atol=1e-4), (
            "on CUDA the grayscale copy must give the RGB conv's output on the repeated image "
            "/ 在 GPU 上单通道副本的输出应与 RGB 卷积一致")


@pytest.mark.points(12)
def test_mnist_resnet_learns_digits(resnet_stem):
    """Short run: your MNIST ResNet-18 with your transforms reaches >= 70% on 360 held-out digits (chance 10%). / 短训练。"""
    from ailit_core.data import get_datasets

    torch.manual_seed(0)
    net = resnet_stem.build_mnist_resnet18(10)
    train, test = get_datasets("mnist", profile="fast", train_transform=resnet_stem.mnist_transforms(train=True),
                               test_transform=resnet_stem.mnist_transforms(train=False))
    g = torch.Generator().manual_seed(0)
    subset = Subset(train, torch.randperm(len(train), generator=g)[:256].tolist())
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    net.train()
    for inputs, labels in DataLoader(subset, batch_size=16, shuffle=True, generator=g):
        optimizer.zero_grad()
        nn.functional.cross_entropy(net(inputs), labels).backward()
        optimizer.step()
    # 16 steps are too few for BatchNorm's running averages to settle; re-estimate them on training
    # images (a standard recalibration) so eval mode measures what the weights learned.
    for module in net.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    with torch.no_grad():
        net(torch.stack([subset[i][0] for i in range(256)]))
        net.eval()
        images = torch.stack([test[i][0] for i in range(len(test))])
        labels = torch.tensor([test[i][1] for i in range(len(test))])
        accuracy = (net(images).argmax(1) == labels).float().mean().item()
    assert accuracy >= 0.7, (
        f"after a short training run the network reaches {100 * accuracy:.1f}% on held-out digits "
        f"(a correct ResNet-18 reaches about 85%): is every layer trainable, and does fc output logits?"
        f" / 短训练后在留出的数字上只达到 {100 * accuracy:.1f}%（正确的 ResNet-18 约为 85%）：每一层都可训练吗？fc 输出的是 logits 吗？")
