"""Hidden tests for a3_resnet_stem, part 1: the networks and grayscale_conv1 (52 points).

Approach: every network is compared with an oracle built here from torchvision's resnet18 (state-dict
keys and shapes, parameter counts), and every stem is checked by behaviour -- conv1 applied to a random
image must equal ``F.conv2d`` with the required stride and padding (so ``padding="same"`` or tuples
pass), the max-pool must (or must not) act as an identity, and the last stage's feature-map size
must follow. ``grayscale_conv1`` is checked on random convolutions (out channels, non-square
kernels, stride, padding, dilation, with and without bias) by the equivalence it promises.
"""

import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from a3_support import build, layer4_size, oracle_resnet18, param_count

CLASS_COUNTS = [10, 7, 100]


def check_stem_conv(conv, in_channels, kernel, stride, padding, where):
    assert isinstance(conv, nn.Conv2d), (
        f"{where} must be an nn.Conv2d, got {type(conv).__name__} / {where} 应为 nn.Conv2d")
    weight = conv.weight
    assert tuple(weight.shape) == (64, in_channels, kernel, kernel), (
        f"{where}.weight has shape {tuple(weight.shape)}; expected (64, {in_channels}, {kernel}, {kernel}): "
        f"{in_channels} input channel(s), 64 filters of {kernel}x{kernel}"
        f" / {where} 的权重形状应为 (64, {in_channels}, {kernel}, {kernel})：{in_channels} 个输入通道、64 个 {kernel}×{kernel} "
        "卷积核")
    assert conv.bias is None, f"{where} must have no bias (bias=False): BatchNorm follows it / 不要偏置"
    assert conv.groups == 1 and tuple(conv.dilation) == (1, 1), (
        f"{where}: use groups=1 and dilation=1 / {where}：groups 与 dilation 都应为 1")
    x = torch.randn(2, in_channels, 30, 30, generator=torch.Generator().manual_seed(kernel))
    with torch.no_grad():
        got = conv(x)
        want = F.conv2d(x, weight, None, stride=stride, padding=padding)
    assert got.shape == want.shape and torch.allclose(got, want, atol=1e-5), (
        f"{where} must use stride={stride} and padding={padding} (output {tuple(got.shape[-2:])} for a 30x30 "
        f"input, expected {tuple(want.shape[-2:])}) / 步长应为 {stride}，填充应为 {padding}")


def check_same_structure(net, oracle, what):
    got = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    want = {k: tuple(v.shape) for k, v in oracle.state_dict().items()}
    missing, extra = sorted(want.keys() - got.keys()), sorted(got.keys() - want.keys())
    assert not missing and not extra, (
        f"{what} is not torchvision's resnet18 with the required changes: "
        f"missing {missing[:3]}, unexpected {extra[:3]} in state_dict()"
        f" / {what} 与按要求修改后的 torchvision resnet18 结构不同（state_dict 的键不一致）")
    wrong = [k for k in want if got[k] != want[k]]
    assert not wrong, (
        f"{what}: {wrong[0]} has shape {got[wrong[0]]}, expected {want[wrong[0]]}"
        f" / {what}：{wrong[0]} 的形状应为 {want[wrong[0]]}")


def check_logits(out, n, num_classes, what):
    assert isinstance(out, torch.Tensor), (
        f"{what} must return a tensor, got {type(out).__name__} / {what} 应返回张量")
    assert tuple(out.shape) == (n, num_classes), (
        f"{what} gives shape {tuple(out.shape)}, expected ({n}, {num_classes}) / {what} 的输出形状应为 ({n}, {num_classes})")
    sums = out.sum(1)
    assert not torch.allclose(sums, torch.ones_like(sums), atol=1e-3), (
        f"{what} returns probabilities; return raw logits (CrossEntropyLoss applies softmax itself) / 应输出 logits")


@pytest.mark.points(8)
def test_mnist_stem(resnet_stem):
    """MNIST stem: conv1 = Conv2d(1, 64, 7, stride 2, padding 3, bias=False); the max-pool is kept. / MNIST 的第一层卷积。"""
    net = build(resnet_stem.build_mnist_resnet18, what="build_mnist_resnet18()")
    check_stem_conv(net.conv1, 1, 7, 2, 3, "conv1")
    x = torch.randn(1, 64, 14, 14)
    assert torch.equal(net.maxpool(x), F.max_pool2d(x, 3, 2, 1)), (
        "build_mnist_resnet18 keeps torchvision's max-pool (3x3, stride 2, padding 1); only conv1 and fc change"
        " / build_mnist_resnet18 保留 torchvision 的最大池化（3×3、步长 2、填充 1），只修改 conv1 和 fc")


OUTPUT_CASES = [  # (builder, kwargs, input shape)
    ("build_mnist_resnet18", {"num_classes": 10}, (3, 1, 28, 28)),
    ("build_mnist_resnet18", {"num_classes": 7}, (2, 1, 32, 32)),
    ("build_cifar_resnet18", {"num_classes": 100}, (3, 3, 32, 32)),
    ("build_cifar_resnet18", {"num_classes": 7, "small_stem": True}, (2, 3, 32, 32)),
]


@pytest.mark.points(6)
@pytest.mark.parametrize("case", OUTPUT_CASES, ids=lambda c: f"{c[0]}-{'-'.join(map(str, c[1].values()))}")
def test_output_shapes(resnet_stem, case):
    """Both builders give (N, num_classes) logits: MNIST nets on 1-channel images, CIFAR nets on 3x32x32. / 输出形状。"""
    name, kwargs, shape = case
    torch.manual_seed(shape[0])
    call = f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
    net = build(getattr(resnet_stem, name), what=call, **kwargs).eval()
    with torch.no_grad():
        check_logits(net(torch.randn(*shape)), shape[0], kwargs["num_classes"], f"{call} on {shape}")
    net.train()  # a training step works too (BatchNorm in training mode, gradients reach conv1)
    net(torch.randn(*shape)).sum().backward()
    assert net.conv1.weight.grad is not None, (
        f"{call}: conv1 receives no gradient (are parameters frozen with requires_grad=False?)"
        f" / {call}：conv1 没有收到梯度（参数是否被 requires_grad=False 冻结？）")


@pytest.mark.points(5)
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_classifier_width(resnet_stem, num_classes):
    """fc is nn.Linear(512, num_classes) with a bias, in both builders. / 分类层宽度。"""
    nets = {"build_mnist_resnet18": build(resnet_stem.build_mnist_resnet18, num_classes, what="build_mnist_resnet18"),
            "build_cifar_resnet18": build(resnet_stem.build_cifar_resnet18, num_classes, what="build_cifar_resnet18")}
    for name, net in nets.items():
        fc = net.fc
        assert isinstance(fc, nn.Linear), (
            f"{name}: fc must be a single nn.Linear (no softmax: CrossEntropyLoss expects logits), "
            f"got {type(fc).__name__}"
            f" / {name}：fc 应为单个 nn.Linear（不要加 softmax：CrossEntropyLoss 需要 logits）")
        assert (fc.in_features, fc.out_features) == (512, num_classes), (
            f"{name}({num_classes}): fc is Linear({fc.in_features}, {fc.out_features}), expected "
            f"Linear(512, {num_classes}); use the num_classes argument / 使用 num_classes 参数")
        assert fc.bias is not None, (
            f"{name}: fc keeps its bias / {name}：fc 应保留偏置")


@pytest.mark.points(6)
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_parameter_counts_and_structure(resnet_stem, num_classes):
    """Same parameters and state_dict layout as torchvision's resnet18 with the changed stem/fc. / 参数量与结构。"""
    cases = [
        (resnet_stem.build_mnist_resnet18(num_classes), oracle_resnet18(1, num_classes), "build_mnist_resnet18"),
        (resnet_stem.build_cifar_resnet18(num_classes), oracle_resnet18(3, num_classes), "build_cifar_resnet18"),
        (resnet_stem.build_cifar_resnet18(num_classes, small_stem=True), oracle_resnet18(3, num_classes, True),
         "build_cifar_resnet18(small_stem=True)"),
    ]
    for net, oracle, what in cases:
        assert param_count(net) == param_count(oracle), (
            f"{what}({num_classes}) has {param_count(net):,} parameters, expected {param_count(oracle):,} "
            f"(torchvision resnet18, weights=None, with the required conv1 and fc)"
            " / 参数量应与 torchvision resnet18（weights=None，按要求修改 conv1 与 fc）相同")
        check_same_structure(net, oracle, what)
        assert all(p.requires_grad for p in net.parameters()), (
            f"{what}: every parameter must be trainable / {what}：所有参数都应可训练")


@pytest.mark.points(5)
def test_cifar_default_stem(resnet_stem):
    """small_stem=False keeps torchvision's ImageNet stem: 7x7 stride-2 conv and max-pool (1x1 last stage on 32x32). / 默认的茎。"""
    net = build(resnet_stem.build_cifar_resnet18, what="build_cifar_resnet18()")
    check_stem_conv(net.conv1, 3, 7, 2, 3, "conv1 (small_stem=False)")
    x = torch.randn(1, 64, 16, 16)
    assert torch.equal(net.maxpool(x), F.max_pool2d(x, 3, 2, 1)), (
        "small_stem=False keeps the max-pool / small_stem=False 时保留最大池化")
    assert layer4_size(net, torch.randn(2, 3, 32, 32)) == (1, 1), (
        "small_stem=False: a 32x32 image should reach the last stage as 1x1 feature maps "
        "/ small_stem=False 时 32×32 的图像在最后一个阶段应为 1×1 的特征图")


@pytest.mark.points(8)
def test_small_stem(resnet_stem):
    """small_stem=True: conv1 = Conv2d(3, 64, 3, stride 1, padding 1, bias=False), max-pool removed (4x4 last stage). / 小尺寸的茎。"""
    net = build(resnet_stem.build_cifar_resnet18, 10, small_stem=True, what="build_cifar_resnet18(small_stem=True)")
    check_stem_conv(net.conv1, 3, 3, 1, 1, "conv1 (small_stem=True)")
    x = torch.randn(2, 64, 32, 32)
    with torch.no_grad():
        assert torch.equal(net.maxpool(x), x), (
            "small_stem=True removes the max-pool: net.maxpool = nn.Identity() / 去掉最大池化")
    size = layer4_size(net, torch.randn(2, 3, 32, 32))
    assert size == (4, 4), (
        f"with the small stem a 32x32 image should reach the last stage as 4x4 feature maps, got {size}"
        " / 使用小尺寸的茎时，32×32 的图像在最后一个阶段应为 4×4 的特征图")


def random_convs(seed, count):
    rng = random.Random(seed)
    for _ in range(count):
        kernel = rng.choice([1, 2, 3, 5, 7, (3, 5), (1, 3)])
        yield dict(out_channels=rng.randint(1, 16), kernel_size=kernel,
                   stride=rng.choice([1, 2, 3, (1, 2)]), padding=rng.choice([0, 1, 2, 3, (2, 0)]),
                   dilation=rng.choice([1, 1, 2, (2, 1)]), bias=rng.random() < 0.5)


@pytest.mark.points(10)
@pytest.mark.parametrize("spec", list(random_convs(3, 8)), ids=lambda s: f"{s['out_channels']}-{s['kernel_size']}-"
                         f"s{s['stride']}-p{s['padding']}-d{s['dilation']}-{'bias' if s['bias'] else 'nobias'}")
def test_grayscale_conv1_equivalence(resnet_stem, spec):
    """grayscale_conv1(conv)(x) == conv(x repeated on 3 channels), for random conv settings. / 单通道等价性。"""
    torch.manual_seed(spec["out_channels"])
    conv = nn.Conv2d(3, **spec)
    with torch.no_grad():
        if conv.bias is not None:
            conv.bias.normal_()
    gray = resnet_stem.grayscale_conv1(conv)
    assert isinstance(gray, nn.Conv2d), (
        f"grayscale_conv1 must return an nn.Conv2d, got {type(gray).__name__} / grayscale_conv1 应返回 nn.Conv2d")
    assert gray.in_channels == 1 and gray.weight.shape[1] == 1, "the copy takes ONE input channel / 输入通道数为 1"
    x = torch.randn(2, 1, 23, 26)
    with torch.no_grad():
        want = conv(x.repeat(1, 3, 1, 1))
        got = gray(x)
    assert got.shape == want.shape, (
        f"output shape {tuple(got.shape)} differs from the RGB conv's {tuple(want.shape)}: keep out_channels, "
        f"kernel_size, stride, padding and dilation of the original ({spec})"
        " / 输出形状与 RGB 卷积不同：请保留原卷积层的 out_channels、kernel_size、stride、padding 与 dilation")
    assert (gray.bias is None) == (conv.bias is None), (
        "keep the bias exactly when the original has one / 原卷积层有偏置时副本才有偏置")
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4), (
        "outputs differ: the weight must be the SUM over the 3 input channels (not the mean, not one channel), "
        "and the bias must be copied / 权重应为三个输入通道之和，并复制偏置")


@pytest.mark.points(4)
def test_grayscale_conv1_is_an_independent_copy(resnet_stem):
    """The original conv is unchanged and shares no parameter with the copy; device and dtype are kept. / 独立副本。"""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=True)
    before = {k: v.clone() for k, v in conv.state_dict().items()}
    gray = resnet_stem.grayscale_conv1(conv)
    for k, v in conv.state_dict().items():
        assert torch.equal(v, before[k]), (
            f"grayscale_conv1 changed the original conv's {k} / grayscale_conv1 修改了原卷积层的 {k}")
    assert conv.in_channels == 3, (
        "grayscale_conv1 changed the original conv (in_channels) / grayscale_conv1 修改了原卷积层（in_channels）")
    assert isinstance(gray.weight, nn.Parameter) and gray.weight.requires_grad, (
        "the copy's weight must be trainable / 副本的权重应可训练")
    assert gray.bias is not None, (
        "the original has a bias, so the copy must have one / 原卷积层有偏置，副本也应有偏置")
    with torch.no_grad():
        gray.weight.add_(1.0)
        gray.bias.add_(1.0)
    assert torch.equal(conv.weight, before["weight"]) and torch.equal(conv.bias, before["bias"]), (
        "the copy shares parameters with the original (changing one changes the other); copy the values"
        " / 副本与原卷积层共享参数（改一个另一个也变）：请复制数值")

    # A float64 conv on the CPU, as a real machine has it: a copy made in the default float32 shows,
    # and so does one made on another device. (The meta device would also reject correct code that
    # builds the copy with nn.Conv2d(...) and assigns weight.data.) CUDA is checked by the 0-point GPU test.
    double = nn.Conv2d(3, 4, 5, bias=True, dtype=torch.float64)
    try:
        copy = resnet_stem.grayscale_conv1(double)
    except Exception as exc:  # noqa: BLE001 - report how it failed
        pytest.fail(f"grayscale_conv1 fails for a float64 conv ({type(exc).__name__}: {str(exc)[:120]}); "
                    "create the copy with conv.weight's device and dtype / grayscale_conv1 处理 float64 卷积层时出错："
                    "请按 conv.weight 的设备与数据类型创建副本")
    for name in ("weight", "bias"):
        got = getattr(copy, name)
        assert got is not None and got.device == double.weight.device and got.dtype == torch.float64, (
            f"the copy's {name} is {'missing' if got is None else f'on {got.device} as {got.dtype}'}; keep the "
            f"original's device and dtype ({double.weight.device}, float64) / 副本的 {name} 应与原卷积层的设备和"
            f"数据类型（float64）一致")
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(copy(x), double(x.repeat(1, 3, 1, 1))), (
            "for a float64 conv the copy's output differs from the original's on the repeated image "
            "/ float64 卷积层的副本输出与原卷积层不一致")
