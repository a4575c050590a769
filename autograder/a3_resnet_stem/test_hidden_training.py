"""Hidden tests for a3_resnet_stem, part 3: EarlyStopping, train_one_epoch, a real training run (34 points).

The student's module runs in its own process (``resnet_stem`` is a proxy, ``ailit_core.grade.remote``);
every check is made here, on the plain data that process returns.

- ``EarlyStopping`` is driven call by call from here against an oracle on scripted loss sequences
  (boundaries of ``min_delta`` with exactly representable numbers, equal losses, the step that
  reaches ``patience``): after each ``step`` its answer, ``best_loss`` and ``counter`` are read and
  compared. The random sequences are stepped by the ``a3_stopper_trajectory`` recipe, which returns
  the same three values after every step in one reply (hundreds of requests fewer), and compared here
  step by step the same way.
- ``train_one_epoch`` gets the test's own small model, optimiser, loss and loader, built on the
  student's side from recipes (so a broken ResNet costs points only once), and is judged by its
  outcome against a replay here: the parameters after the epoch and the returned mean loss, and
  BatchNorm's batch count for training mode.
- The short training run builds the student's MNIST network and trains it briefly on the digits
  stand-in (the real torchvision MNIST class reading IDX files) with a fixed loop in the student's
  process (``a3_mnist_short_run``), through the contract's training transform (the student's
  transforms have their own tests), the gray images repeated to as many channels as the student's
  conv1 takes. Its accuracy is measured HERE: the returned ``state_dict`` is loaded into this side's
  own torchvision ResNet with the stem, depth and classifier the student's network reports (so a
  mistake there costs points only in the stem, structure and classifier tests), BatchNorm is
  recalibrated and the held-out digits are classified here -- never a number the student's process
  reports.

Probe beside student code (could be forged by it, so it carries 1 point; GRADING.md, threat model):
the device moves of ``train_one_epoch``'s batches (``test_train_one_epoch_moves_batches_to_device``,
tensors that log their ``.to()`` calls). The 0-point GPU test also reads devices through probes.
"""

import math
import random

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import Subset
from torchvision import transforms
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

from a3_support import CPU, as_number, build, fixed_state, remote_conv, tensor, type_name
from ailit_core.grade import remote


class OracleStopper:
    def __init__(self, patience, min_delta):
        self.patience, self.min_delta, self.best_loss, self.counter = patience, min_delta, math.inf, 0

    def step(self, loss):
        if loss < self.best_loss - self.min_delta:
            self.best_loss, self.counter = loss, 0
            return False
        self.counter += 1
        return self.counter >= self.patience


def stopper_args(patience, min_delta):
    return {k: v for k, v in (("patience", patience), ("min_delta", min_delta)) if v is not None}


def compare_step(kwargs, losses, i, oracle, want, got, best_loss, counter):
    """Fail at the first difference between the student's step ``i`` and the oracle's."""
    shown = ", ".join(f"{v:g}" for v in losses[:i])
    context = f"EarlyStopping({', '.join(f'{k}={v}' for k, v in kwargs.items())}) after losses [{shown[-160:]}]"
    # as truthy/falsy as a bool: None (falsy), numbers, NumPy scalars, one-element tensors
    plain = got is None or isinstance(got, (bool, int, float, np.generic)) or \
        (isinstance(got, torch.Tensor) and got.numel() == 1)
    assert plain, f"step() must return a bool, got {type_name(got)} / step() 应返回布尔值"
    assert bool(got) == want, (
        f"{context}: step() returned {bool(got)}, expected {want} (stop when counter reaches patience) / "
        f"第 {i} 步的返回值错误")
    best = as_number(best_loss, "best_loss")
    assert best == oracle.best_loss, (
        f"{context}: best_loss is {best}, expected {oracle.best_loss} (it changes only on an "
        f"improvement: loss < best_loss - min_delta)"
        f" / best_loss 应为 {oracle.best_loss}（只有 loss < best_loss - min_delta 时才更新）")
    assert as_number(counter, "counter") == oracle.counter, (
        f"{context}: counter is {counter}, expected {oracle.counter} / counter 应为 {oracle.counter}")


def replay(resnet_stem, losses, patience=None, min_delta=None):
    """Step the student's and the oracle's stoppers together, call by call; fail at the first difference."""
    kwargs = stopper_args(patience, min_delta)
    student = resnet_stem.EarlyStopping(**kwargs)
    oracle = OracleStopper(kwargs.get("patience", 10), kwargs.get("min_delta", 1e-4))
    for i, loss in enumerate(losses, start=1):
        want = oracle.step(loss)
        got = student.step(loss)
        compare_step(kwargs, losses, i, oracle, want, got, student.best_loss, student.counter)
        if want:
            return i
    return None


def replay_trajectory(resnet_stem, losses, patience, min_delta):
    """The same comparison on the values the student's stopper gave after each of its steps."""
    kwargs = stopper_args(patience, min_delta)
    trajectory = remote.build("a3_stopper_trajectory", resnet_stem.EarlyStopping(**kwargs), losses)
    assert isinstance(trajectory, list) and len(trajectory) == len(losses), "a malformed reply / 回复格式错误"
    oracle = OracleStopper(patience, min_delta)
    for i, (loss, entry) in enumerate(zip(losses, trajectory), start=1):
        want = oracle.step(loss)
        got, best_loss, counter = entry
        compare_step(kwargs, losses, i, oracle, want, got, best_loss, counter)
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
        replay_trajectory(resnet_stem, losses, patience, min_delta)


LAYERS = [["Linear", 6, 8], ["Tanh"], ["Linear", 8, 3]]
WITH_BATCHNORM = [["Linear", 6, 8], ["BatchNorm1d", 8], ["Tanh"], ["Linear", 8, 3]]


def small_model(seed):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 3))


def problem(seed, n=11, batch_size=4):
    g = torch.Generator().manual_seed(seed)
    X, y = torch.randn(n, 6, generator=g), torch.randint(0, 3, (n,), generator=g)
    return X, y, batch_size


def oracle_epoch(model, X, y, batch_size, lr):
    """SGD with momentum over fixed-order batches, in place; returns the mean of the batch losses."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.5)
    losses = []
    for i in range(0, len(X), batch_size):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(X[i:i + batch_size]), y[i:i + batch_size])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return sum(losses) / len(losses)


def one_epoch(resnet_stem, model, loader, lr, device=CPU):
    """train_one_epoch on a model, loader, loss and optimiser built in the student's process."""
    optimizer = remote.build("a3_sgd_momentum", model, lr, 0.5)
    return resnet_stem.train_one_epoch(model, loader, remote.build("cross_entropy"), optimizer, device)


def remote_state(model):
    state = model.state_dict()
    assert isinstance(state, dict), "state_dict() did not return a dict / state_dict() 应返回字典"
    return state


@pytest.mark.points(7)
@pytest.mark.parametrize("seed", [0, 1])
def test_train_one_epoch_updates_and_mean_loss(resnet_stem, seed):
    """One epoch = zero_grad, forward, loss, backward, step per batch; returns the mean of the batch losses. / 一个 epoch 的训练。"""
    X, y, batch_size = problem(seed)  # 11 samples in batches of 4: the last batch is short
    here = small_model(seed)
    model = remote.build("sequential", LAYERS, state_dict=fixed_state(here))
    want_loss = oracle_epoch(here, X, y, batch_size, lr=0.5)
    got = one_epoch(resnet_stem, model, remote.build("tensor_loader", X, y, batch_size), lr=0.5)
    assert not (isinstance(got, torch.Tensor) and got.requires_grad), (
        "train_one_epoch returns a tensor that keeps its autograd graph: add up loss.item() (a number), not the "
        "loss tensor, or every batch's graph stays in memory / train_one_epoch 返回了带计算图的张量：请累加 "
        "loss.item()（一个数），否则每个批次的计算图都会留在内存中")
    got = as_number(got, "train_one_epoch's return value")
    state = remote_state(model)
    for name, want in here.state_dict().items():
        assert name in state and torch.allclose(tensor(state[name], name).float(), want, atol=1e-5), (
            f"after one epoch the parameter {name} differs from a correct epoch: call optimizer.zero_grad() "
            f"before each backward pass and optimizer.step() once per batch / 每个批次先清零梯度，每个批次调用一次 "
            "optimizer.step()")
    assert math.isclose(got, want_loss, rel_tol=1e-5), (
        f"train_one_epoch returned {got:.6f}, expected the mean of the batch losses {want_loss:.6f} "
        f"(sum of loss.item() / number of batches; not weighted by batch size, not the sum, not the last loss)"
        " / train_one_epoch 应返回各批次损失的平均值（loss.item() 之和除以批次数）")


@pytest.mark.points(4)
def test_train_one_epoch_train_mode(resnet_stem):
    """train_one_epoch switches to training mode (net.train()), e.g. after an evaluation. / 训练模式。"""
    # BatchNorm counts the batches it normalises only in training mode: 3 batches of an 11-sample
    # epoch must be counted in num_batches_tracked.
    X, y, batch_size = problem(3)
    model = remote.build("sequential", WITH_BATCHNORM, seed=3)
    model.eval()  # as left by an earlier evaluation
    one_epoch(resnet_stem, model, remote.build("tensor_loader", X, y, batch_size), lr=0.1)
    tracked = as_number(remote_state(model).get("1.num_batches_tracked"), "num_batches_tracked")
    assert tracked == 3, (
        "the model ran in eval mode during training (BatchNorm saw no training batches): call net.train() at the "
        "start of train_one_epoch / 模型在训练时处于 eval 模式：请在 train_one_epoch 开头调用 net.train()")


@pytest.mark.points(1)
def test_train_one_epoch_moves_batches_to_device(resnet_stem):
    """train_one_epoch moves each batch's inputs AND labels to `device`. / 输入和标签都移到 device。"""
    X, y, batch_size = problem(4)
    model = remote.build("sequential", LAYERS, seed=4)
    loader, log = remote.build("tracked_loader", X, y, batch_size)
    one_epoch(resnet_stem, model, loader, lr=0.1)
    moves = log.entries()
    assert any(role == "inputs" and device == "cpu" for role, device in moves), (
        "the inputs reached the model without inputs.to(device) / 输入需要 .to(device)")
    assert any(role == "labels" and device == "cpu" for role, device in moves), (
        "the labels reached the loss without labels.to(device) / 标签也需要 .to(device)")


@pytest.mark.gpu
@pytest.mark.points(0)
def test_device_checks_on_cuda(resnet_stem):
    """On a GPU: train_one_epoch moves batches to CUDA, the networks and grayscale_conv1 run there. / GPU 上的检查。"""
    check_devices(resnet_stem, "cuda")


def check_devices(resnet_stem, device):
    """The GPU test's checks for ``device`` (the devices themselves are read through probes)."""
    X, y, batch_size = problem(5)
    model = remote.build("sequential", LAYERS, seed=5)
    model.to(torch.device(device))
    loader, log = remote.build("tracked_loader", X, y, batch_size)
    one_epoch(resnet_stem, model, loader, lr=0.1, device=torch.device(device))
    targets = {d.split(":")[0] for _, d in log.entries() if d is not None}
    assert targets == {device}, (
        f"batches were moved to {sorted(targets)}, not to the given device {device} / 批次应移动到传入的设备 {device}")
    for net, shape in ((resnet_stem.build_mnist_resnet18(10), (2, 1, 28, 28)),
                       (resnet_stem.build_cifar_resnet18(10, small_stem=True), (2, 3, 32, 32))):
        net.to(torch.device(device))
        net.eval()
        out = net(remote.build("a3_on_device", torch.randn(*shape), device))
        assert isinstance(out, torch.Tensor) and tuple(out.shape) == (2, 10), (
            f"on {device} the network must run and output (2, 10) logits "
            f"/ 在 {device} 上网络应能运行并输出形状为 (2, 10) 的结果")
    torch.manual_seed(5)
    conv = nn.Conv2d(3, 8, 3, stride=2, padding=1)
    original = remote_conv(conv)
    original.to(torch.device(device))
    gray = resnet_stem.grayscale_conv1(original)
    assert remote.build("a3_devices", gray) == [device], (
        f"grayscale_conv1 must keep the conv's device ({device}) / grayscale_conv1 应保持卷积层所在的设备")
    x = torch.randn(2, 1, 17, 17)
    got = tensor(gray(remote.build("a3_on_device", x, device)), "grayscale_conv1(conv)(x)")
    with torch.no_grad():
        want = conv(x.repeat(1, 3, 1, 1))
    assert torch.allclose(got, want, atol=1e-4), (
        f"on {device} the grayscale copy must give the RGB conv's output on the repeated image "
        f"/ 在 {device} 上单通道副本的输出应与 RGB 卷积一致")


# --- the short training run ----------------------------------------------------------------------

TRAIN_IMAGES = 256
# The contract's test transform, applied here to the fixture's images (never the student's objects).
TRUSTED_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])


def resnet_layout(state):
    """``(block class, blocks per stage)`` of a torchvision ResNet from its state_dict keys, so the
    trusted copy holds the returned weights whatever depth was built (the depth has its own test)."""
    blocks = [len({k.split(".")[1] for k in state if k.startswith(f"layer{i}.")}) for i in range(1, 5)]
    return (Bottleneck if "layer1.0.conv3.weight" in state else BasicBlock), blocks


FC_PARTS = {"Softmax": lambda m: nn.Softmax(dim=m.dim), "LogSoftmax": lambda m: nn.LogSoftmax(dim=m.dim),
            "ReLU": lambda m: nn.ReLU(), "Dropout": lambda m: nn.Dropout(float(m.p)), "Identity": lambda m: nn.Identity(),
            "Flatten": lambda m: nn.Flatten()}


def trusted_fc(net, state):
    """The classifier as the student's network has it: one Linear, or a Sequential of a Linear and
    parts from ``FC_PARTS`` (a softmax after it is test_classifier_width's to charge)."""
    if "fc.weight" in state:
        fc = tensor(state["fc.weight"], "fc.weight")
        return nn.Linear(fc.shape[1], fc.shape[0], bias="fc.bias" in state)
    parts = []
    for i, child in enumerate(net.fc.children()):
        kind = type_name(child)
        if f"fc.{i}.weight" in state:
            weight = tensor(state[f"fc.{i}.weight"], f"fc.{i}.weight")
            parts.append(nn.Linear(weight.shape[1], weight.shape[0], bias=f"fc.{i}.bias" in state))
        elif kind in FC_PARTS:
            parts.append(FC_PARTS[kind](child))
        else:
            pytest.fail(f"fc holds a {kind}: see test_classifier_width / fc 中含有 {kind}（见 test_classifier_width）",
                        pytrace=False)
    return nn.Sequential(*parts)


def trusted_mnist_net(net, state):
    """torchvision's ResNet, built here, with the stem the student's network reports (conv1's shape
    and settings, a max-pool or none), its depth and its classifier, holding the returned weights:
    mistakes in those cost points in their own tests, not here. Anything else that differs fails the
    load."""
    conv = net.conv1
    weight = tensor(state.get("conv1.weight"), "conv1.weight")
    x = torch.randn(1, weight.shape[0], 14, 14)
    keeps_maxpool = not torch.equal(tensor(net.maxpool(x), "net.maxpool(x)"), x)
    block, blocks = resnet_layout(state)
    try:
        fc = trusted_fc(net, state)
        with torch.device("meta"):  # no initialisation: every value comes from the returned weights
            model = ResNet(block, blocks)
            model.conv1 = nn.Conv2d(weight.shape[1] * conv.groups, weight.shape[0], tuple(weight.shape[2:]),
                                    stride=conv.stride, padding=conv.padding, dilation=conv.dilation,
                                    groups=conv.groups, bias="conv1.bias" in state)
            if not keeps_maxpool:
                model.maxpool = nn.Identity()
        model.fc = fc
        model.load_state_dict({k: tensor(v, k) for k, v in state.items()}, assign=True)
    except (RuntimeError, TypeError, ValueError, IndexError, AssertionError) as exc:
        pytest.fail(f"the trained network's weights do not fit torchvision's ResNet ({str(exc)[:200]}); "
                    "see test_parameter_counts_and_structure / 训练后网络的权重与 torchvision 的 ResNet 结构不符"
                    "（见 test_parameter_counts_and_structure）", pytrace=False)
    return model


def held_out_accuracy(model):
    """Accuracy here on the 360 held-out digits, after re-estimating BatchNorm's statistics on the
    training images of the run (16 steps are too few for the running averages to settle)."""
    from ailit_core.data import get_datasets

    train, test = get_datasets("mnist", profile="fast", train_transform=TRUSTED_TRANSFORM,
                               test_transform=TRUSTED_TRANSFORM)
    generator = torch.Generator().manual_seed(0)
    subset = Subset(train, torch.randperm(len(train), generator=generator)[:TRAIN_IMAGES].tolist())
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            module.momentum = None
    with torch.no_grad():
        model.train()
        channels = model.conv1.in_channels  # gray digits repeated for a stem that takes more channels
        model(torch.stack([subset[i][0] for i in range(len(subset))]).repeat(1, channels, 1, 1))
        model.eval()
        images = torch.stack([test[i][0] for i in range(len(test))]).repeat(1, channels, 1, 1)
        labels = torch.tensor([test[i][1] for i in range(len(test))])
        return (model(images).argmax(1) == labels).float().mean().item()


@pytest.mark.points(12)
def test_mnist_resnet_learns_digits(resnet_stem):
    """Short run: your MNIST ResNet-18 trains: >= 70% on 360 held-out digits (chance 10%) after a short run. / 短训练。"""
    remote.build("a3_manual_seed", 0)
    net = build(resnet_stem.build_mnist_resnet18, 10, what="build_mnist_resnet18(10)")
    channels = tensor(net.conv1.weight, "conv1.weight").shape[1] * net.conv1.groups
    remote.build("a3_mnist_short_run", net, TRAIN_IMAGES, channels=channels)
    state = remote_state(net)
    accuracy = held_out_accuracy(trusted_mnist_net(net, state))
    assert accuracy >= 0.7, (
        f"after a short training run the network reaches {100 * accuracy:.1f}% on held-out digits "
        f"(a correct ResNet-18 reaches about 85%): is every layer trainable, and does fc output logits?"
        f" / 短训练后在留出的数字上只达到 {100 * accuracy:.1f}%（正确的 ResNet-18 约为 85%）：每一层都可训练吗？fc 输出的是 logits 吗？")
