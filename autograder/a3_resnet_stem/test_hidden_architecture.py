"""Hidden tests for a3_resnet_stem, part 1: the networks and grayscale_conv1 (52 points).

The student's module runs in its own process (``resnet_stem`` is a proxy, ``ailit_core.grade.remote``):
its networks and convolutions stay there as handles, and every check is made here on the plain data
they return. Every network is compared with an oracle built here from torchvision's resnet18
(state-dict keys and shapes, parameter counts, read through the ``a3_shapes`` recipe so that 45 MB
of weights do not cross for each; between conv1 and fc, which the stem and classifier tests judge,
so a stem or classifier mistake is charged there only), and every stem is checked by behaviour on inputs chosen here --
conv1's output on a random image must equal ``F.conv2d`` computed here with its returned weight and
the required stride and padding (so ``padding="same"`` or tuples pass), the max-pool must (or must
not) act as an identity, and the last stage's feature-map size must follow (the network's own
stages called one after another). ``grayscale_conv1`` gets convolutions built in its process from
weights chosen here (random settings: out channels, non-square kernels, stride, padding, dilation,
with and without bias, float64) and is judged by the equivalence it promises, on its returned
weights and on its outputs.
"""

import math
import random

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ailit_core.grade import remote

from a3_support import build, fixed_state, is_remote, layout, oracle_layout, remote_conv, stage_size, tensor, type_name

CLASS_COUNTS = [10, 7, 100]


def check_stem_conv(conv, in_channels, kernel, stride, padding, where):
    assert is_remote(conv, "torch.nn.Conv2d"), (
        f"{where} must be an nn.Conv2d, got {type_name(conv)} / {where} 应为 nn.Conv2d")
    weight = tensor(conv.weight, f"{where}.weight")
    assert tuple(weight.shape) == (64, in_channels, kernel, kernel), (
        f"{where}.weight has shape {tuple(weight.shape)}; expected (64, {in_channels}, {kernel}, {kernel}): "
        f"{in_channels} input channel(s), 64 filters of {kernel}x{kernel}"
        f" / {where} 的权重形状应为 (64, {in_channels}, {kernel}, {kernel})：{in_channels} 个输入通道、64 个 {kernel}×{kernel} "
        "卷积核")
    assert conv.bias is None, f"{where} must have no bias (bias=False): BatchNorm follows it / 不要偏置"
    assert conv.groups == 1 and tuple(conv.dilation) == (1, 1), (
        f"{where}: use groups=1 and dilation=1 / {where}：groups 与 dilation 都应为 1")
    x = torch.randn(2, in_channels, 30, 30, generator=torch.Generator().manual_seed(kernel))
    got = tensor(conv(x), f"{where}(x)")
    with torch.no_grad():
        want = F.conv2d(x, weight, None, stride=stride, padding=padding)
    assert got.shape == want.shape and torch.allclose(got, want, atol=1e-5), (
        f"{where} must use stride={stride} and padding={padding} (output {tuple(got.shape[-2:])} for a 30x30 "
        f"input, expected {tuple(want.shape[-2:])}) / 步长应为 {stride}，填充应为 {padding}")


def check_same_structure(got, want, what):
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
    out = tensor(out, what)
    assert tuple(out.shape) == (n, num_classes), (
        f"{what} gives shape {tuple(out.shape)}, expected ({n}, {num_classes}) / {what} 的输出形状应为 ({n}, {num_classes})")
    sums = out.sum(1)
    assert not torch.allclose(sums, torch.ones_like(sums), atol=1e-3), (
        f"{what} returns probabilities; return raw logits (CrossEntropyLoss applies softmax itself) / 应输出 logits")
    assert not torch.allclose(out[0], out[-1]), (
        f"{what} gives the same logits for different images: the output must come from the network's forward "
        f"pass on each image / {what} 对不同图像给出相同的 logits：输出应来自网络对每张图像的前向传播")


@pytest.mark.points(8)
def test_mnist_stem(resnet_stem):
    """MNIST stem: conv1 = Conv2d(1, 64, 7, stride 2, padding 3, bias=False); the max-pool is kept. / MNIST 的第一层卷积。"""
    net = build(resnet_stem.build_mnist_resnet18, what="build_mnist_resnet18()")
    check_stem_conv(net.conv1, 1, 7, 2, 3, "conv1")
    x = torch.randn(1, 64, 14, 14)
    assert torch.equal(tensor(net.maxpool(x), "net.maxpool(x)"), F.max_pool2d(x, 3, 2, 1)), (
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
    net = build(getattr(resnet_stem, name), what=call, **kwargs)
    net.eval()
    check_logits(net(torch.randn(*shape)), shape[0], kwargs["num_classes"], f"{call} on {shape}")
    net.train()  # training mode works too (BatchNorm on a batch), with an autograd graph to train
    out = tensor(net(torch.randn(*shape)), f"{call} in training mode")
    assert tuple(out.shape) == (shape[0], kwargs["num_classes"]), (
        f"{call} in training mode gives shape {tuple(out.shape)} / {call} 在训练模式下的输出形状错误")


@pytest.mark.points(5)
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_classifier_width(resnet_stem, num_classes):
    """fc is nn.Linear(512, num_classes) with a bias, in both builders. / 分类层宽度。"""
    nets = {"build_mnist_resnet18": build(resnet_stem.build_mnist_resnet18, num_classes, what="build_mnist_resnet18"),
            "build_cifar_resnet18": build(resnet_stem.build_cifar_resnet18, num_classes, what="build_cifar_resnet18")}
    for name, net in nets.items():
        fc = net.fc
        assert is_remote(fc, "torch.nn.Linear"), (
            f"{name}: fc must be a single nn.Linear (no softmax: CrossEntropyLoss expects logits), "
            f"got {type_name(fc)}"
            f" / {name}：fc 应为单个 nn.Linear（不要加 softmax：CrossEntropyLoss 需要 logits）")
        assert (fc.in_features, fc.out_features) == (512, num_classes), (
            f"{name}({num_classes}): fc is Linear({fc.in_features}, {fc.out_features}), expected "
            f"Linear(512, {num_classes}); use the num_classes argument / 使用 num_classes 参数")
        assert fc.bias is not None, (
            f"{name}: fc keeps its bias / {name}：fc 应保留偏置")


def body(layout_: dict) -> dict:
    """The state_dict layout without conv1 and fc: the stem and the classifier have their own tests
    (test_mnist_stem, test_cifar_default_stem, test_small_stem, test_classifier_width)."""
    return {k: v for k, v in layout_.items() if not k.startswith(STEM_AND_CLASSIFIER)}


STEM_AND_CLASSIFIER = ("conv1.", "fc.")
BUFFERS = ("running_mean", "running_var", "num_batches_tracked")


@pytest.mark.points(6)
@pytest.mark.parametrize("num_classes", CLASS_COUNTS)
def test_parameter_counts_and_structure(resnet_stem, num_classes):
    """Between conv1 and fc: torchvision's resnet18 (parameters, state_dict layout), every parameter trainable. / 参数量与结构。"""
    cases = [
        (lambda: resnet_stem.build_mnist_resnet18(num_classes), oracle_layout(1, num_classes), "build_mnist_resnet18"),
        (lambda: resnet_stem.build_cifar_resnet18(num_classes), oracle_layout(3, num_classes), "build_cifar_resnet18"),
        (lambda: resnet_stem.build_cifar_resnet18(num_classes, small_stem=True), oracle_layout(3, num_classes, True),
         "build_cifar_resnet18(small_stem=True)"),
    ]
    for make, (want, _), what in cases:
        state, params = layout(build(make, what=what), what)
        want = body(want)
        count = sum(math.prod(shape) for name, shape, _ in params if not name.startswith(STEM_AND_CLASSIFIER))
        want_count = sum(math.prod(shape) for name, shape in want.items() if not name.endswith(BUFFERS))
        assert count == want_count, (
            f"{what}({num_classes}) has {count:,} parameters between conv1 and fc, expected {want_count:,} "
            f"(torchvision resnet18, weights=None)"
            " / conv1 与 fc 之间的参数量应与 torchvision resnet18（weights=None）相同")
        check_same_structure(body(state), want, what)
        assert all(trainable for _, _, trainable in params), (
            f"{what}: every parameter must be trainable / {what}：所有参数都应可训练")


@pytest.mark.points(5)
def test_cifar_default_stem(resnet_stem):
    """small_stem=False keeps torchvision's ImageNet stem: 7x7 stride-2 conv and max-pool (1x1 last stage on 32x32). / 默认的茎。"""
    net = build(resnet_stem.build_cifar_resnet18, what="build_cifar_resnet18()")
    check_stem_conv(net.conv1, 3, 7, 2, 3, "conv1 (small_stem=False)")
    x = torch.randn(1, 64, 16, 16)
    assert torch.equal(tensor(net.maxpool(x), "net.maxpool(x)"), F.max_pool2d(x, 3, 2, 1)), (
        "small_stem=False keeps the max-pool / small_stem=False 时保留最大池化")
    net.eval()
    assert stage_size(net, torch.randn(2, 3, 32, 32)) == (1, 1), (
        "small_stem=False: a 32x32 image should reach the last stage as 1x1 feature maps "
        "/ small_stem=False 时 32×32 的图像在最后一个阶段应为 1×1 的特征图")


@pytest.mark.points(8)
def test_small_stem(resnet_stem):
    """small_stem=True: conv1 = Conv2d(3, 64, 3, stride 1, padding 1, bias=False), max-pool removed (4x4 last stage). / 小尺寸的茎。"""
    net = build(resnet_stem.build_cifar_resnet18, 10, small_stem=True, what="build_cifar_resnet18(small_stem=True)")
    check_stem_conv(net.conv1, 3, 3, 1, 1, "conv1 (small_stem=True)")
    x = torch.randn(2, 64, 32, 32)
    assert torch.equal(tensor(net.maxpool(x), "net.maxpool(x)"), x), (
        "small_stem=True removes the max-pool: net.maxpool = nn.Identity() / 去掉最大池化")
    net.eval()
    size = stage_size(net, torch.randn(2, 3, 32, 32))
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


def gray_copy(resnet_stem, conv, what="grayscale_conv1"):
    """grayscale_conv1 applied in the student's process to a copy of ``conv`` built there."""
    original = remote_conv(conv)
    gray = resnet_stem.grayscale_conv1(original)
    assert is_remote(gray, "torch.nn.Conv2d"), (
        f"{what} must return an nn.Conv2d, got {type_name(gray)} / {what} 应返回 nn.Conv2d")
    return original, gray


def own_output(gray, x):
    """The copy's output computed here from the weight, bias and settings it returns."""
    weight, bias = tensor(gray.weight, "the copy's weight"), gray.bias
    bias = None if bias is None else tensor(bias, "the copy's bias")
    return F.conv2d(x, weight, bias, stride=gray.stride, padding=gray.padding, dilation=gray.dilation,
                    groups=gray.groups)


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
    _, gray = gray_copy(resnet_stem, conv)
    weight = tensor(gray.weight, "the copy's weight")
    assert gray.in_channels == 1 and weight.dim() == 4 and weight.shape[1] == 1, (
        "the copy takes ONE input channel / 输入通道数为 1")
    x = torch.randn(2, 1, 23, 26)
    got = tensor(gray(x), "grayscale_conv1(conv)(x)")
    with torch.no_grad():
        want = conv(x.repeat(1, 3, 1, 1))
    assert got.shape == want.shape, (
        f"output shape {tuple(got.shape)} differs from the RGB conv's {tuple(want.shape)}: keep out_channels, "
        f"kernel_size, stride, padding and dilation of the original ({spec})"
        " / 输出形状与 RGB 卷积不同：请保留原卷积层的 out_channels、kernel_size、stride、padding 与 dilation")
    assert (gray.bias is None) == (conv.bias is None), (
        "keep the bias exactly when the original has one / 原卷积层有偏置时副本才有偏置")
    assert torch.allclose(got, want, atol=1e-4, rtol=1e-4), (
        "outputs differ: the weight must be the SUM over the 3 input channels (not the mean, not one channel), "
        "and the bias must be copied / 权重应为三个输入通道之和，并复制偏置")
    with torch.no_grad():
        own = own_output(gray, x)
    assert own.shape == want.shape and torch.allclose(own, want, atol=1e-4, rtol=1e-4), (
        "the copy's output is right but its weight, bias, stride, padding or dilation do not give it: make the "
        "copy an ordinary nn.Conv2d holding the summed weight / 副本的输出正确，但其权重、偏置与设置算不出这个输出："
        "副本应是持有求和后权重的普通 nn.Conv2d")


@pytest.mark.points(4)
def test_grayscale_conv1_is_an_independent_copy(resnet_stem):
    """The original conv is unchanged and shares no parameter with the copy; device and dtype are kept. / 独立副本。"""
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 8, 3, padding=1, bias=True)
    before = fixed_state(conv)
    original, gray = gray_copy(resnet_stem, conv)
    after = original.state_dict()
    for k, v in before.items():
        assert k in after and torch.equal(tensor(after[k], k), v), (
            f"grayscale_conv1 changed the original conv's {k} / grayscale_conv1 修改了原卷积层的 {k}")
    assert original.in_channels == 3, (
        "grayscale_conv1 changed the original conv (in_channels) / grayscale_conv1 修改了原卷积层（in_channels）")
    weight, bias = gray.weight, gray.bias
    trainable = {name for name, p in gray.named_parameters() if isinstance(p, torch.Tensor) and p.requires_grad}
    assert isinstance(weight, torch.Tensor) and weight.requires_grad and "weight" in trainable, (
        "the copy's weight must be trainable / 副本的权重应可训练")
    assert bias is not None, (
        "the original has a bias, so the copy must have one / 原卷积层有偏置，副本也应有偏置")
    # Writing new values into the copy's parameters (as an optimizer does) must leave the original alone.
    gray.load_state_dict({"weight": tensor(weight, "the copy's weight") + 1.0,
                          "bias": tensor(bias, "the copy's bias") + 1.0})
    after = original.state_dict()
    assert torch.equal(tensor(after["weight"], "weight"), before["weight"]) and \
        torch.equal(tensor(after["bias"], "bias"), before["bias"]), (
        "the copy shares parameters with the original (changing one changes the other); copy the values"
        " / 副本与原卷积层共享参数（改一个另一个也变）：请复制数值")

    # A float64 conv on the CPU, as a real machine has it: a copy made in the default float32 shows.
    # (The meta device would also reject correct code that builds the copy with nn.Conv2d(...) and
    # assigns weight.data.) Another device (CUDA) is checked by the 0-point GPU test.
    double = nn.Conv2d(3, 4, 5, bias=True, dtype=torch.float64)
    try:
        _, copy = gray_copy(resnet_stem, double, "grayscale_conv1 (float64)")
    except remote.RemoteError as exc:
        pytest.fail(f"grayscale_conv1 fails for a float64 conv ({type(exc).__name__}: {str(exc)[:120]}); "
                    "create the copy with conv.weight's device and dtype / grayscale_conv1 处理 float64 卷积层时出错："
                    "请按 conv.weight 的设备与数据类型创建副本")
    for name in ("weight", "bias"):
        got = getattr(copy, name)
        shown = "missing" if got is None else str(got.dtype) if isinstance(got, torch.Tensor) else type_name(got)
        assert isinstance(got, torch.Tensor) and got.dtype == torch.float64, (
            f"the copy's {name} is {shown}; "
            f"keep the original's device and dtype (float64) / 副本的 {name} 应与原卷积层的设备和数据类型（float64）一致")
    x = torch.randn(1, 1, 9, 9, dtype=torch.float64)
    got = tensor(copy(x), "the float64 copy's output")
    with torch.no_grad():
        want = double(x.repeat(1, 3, 1, 1))
    assert got.shape == want.shape and torch.allclose(got, want), (
        "for a float64 conv the copy's output differs from the original's on the repeated image "
        "/ float64 卷积层的副本输出与原卷积层不一致")
