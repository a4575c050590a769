"""Public tests for A3: run `pytest` in this folder. 公开测试：在本目录运行 `pytest`。

They check the basics with helpful messages; the hidden tests used for grading check much more
(random settings, exact early-stopping steps, device handling, a short training run).
"""

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.testing import implementation

resnet_stem = implementation("resnet_stem")


def test_mnist_net_takes_one_channel():
    net = resnet_stem.build_mnist_resnet18(10).eval()
    assert net.conv1.in_channels == 1, "MNIST images have ONE channel / MNIST 是单通道图像"
    assert net.conv1.bias is None, "conv1 has no bias (bias=False) / 不要偏置"
    with torch.no_grad():
        assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10), "logits of shape (N, num_classes) / 输出形状应为 (N, num_classes)"


def test_cifar_small_stem_keeps_the_resolution():
    net = resnet_stem.build_cifar_resnet18(10, small_stem=True).eval()
    assert net.conv1.kernel_size == (3, 3) and net.conv1.stride == (1, 1), "small stem: 3x3 conv, stride 1 / 小茎：3x3 卷积，步幅 1"
    x = torch.randn(1, 64, 32, 32)
    assert torch.equal(net.maxpool(x), x), "small stem: no max-pool (nn.Identity()) / 去掉最大池化"
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10), "logits of shape (N, num_classes) / 输出形状应为 (N, num_classes)"


def test_grayscale_conv1_matches_the_rgb_conv():
    conv = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
    gray = resnet_stem.grayscale_conv1(conv)
    x = torch.randn(1, 1, 28, 28)
    with torch.no_grad():
        assert torch.allclose(gray(x), conv(x.repeat(1, 3, 1, 1)), atol=1e-5), \
            "a gray image must give the same output as that image on 3 channels: sum the weights over dim 1 " \
            "/ 灰度图的输出应与复制到 3 个通道后的输出相同：沿 dim 1 对权重求和"


def test_test_transforms_do_not_augment():
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (28, 28), dtype=np.uint8), mode="L")
    transform = resnet_stem.mnist_transforms(train=False)
    first, second = transform(image), transform(image)
    assert first.shape == (1, 28, 28) and torch.equal(first, second), \
        "test transforms are deterministic: augmentation is for training only / 测试集不做增强"
    assert first.min() >= -1 and first.max() <= 1, "Normalize((0.5,), (0.5,)) maps pixels to [-1, 1] / 归一化后像素值在 [-1, 1] 内"


def test_early_stopping_counts_epochs_without_improvement():
    stopper = resnet_stem.EarlyStopping(patience=2, min_delta=0.0)
    assert [stopper.step(x) for x in (1.0, 0.8, 0.9, 0.85)] == [False, False, False, True], \
        "stop when `patience` steps in a row did not improve on the best loss / 连续 patience 步没有改进时停止"
    assert stopper.best_loss == 0.8 and stopper.counter == 2, \
        "best_loss is the lowest loss so far, counter the steps since it / best_loss 为目前最低损失，counter 为此后的步数"


def test_train_one_epoch_lowers_the_loss():
    torch.manual_seed(0)
    X, y = torch.randn(64, 5), torch.randint(0, 3, (64,))
    net = nn.Linear(5, 3)
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.5)
    losses = [resnet_stem.train_one_epoch(net, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu"))
              for _ in range(5)]
    assert all(isinstance(v, float) for v in losses), "return a Python float (loss.item()) / 返回 Python float（loss.item()）"
    assert losses[-1] < losses[0], "the loss should go down over epochs / 损失应随 epoch 下降"
