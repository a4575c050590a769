"""Hidden tests for a3_resnet_stem, part 2: the data transforms (14 points).

Approach: the student's transform objects stay in its process (handles); images chosen here cross
as uint8 arrays, become PIL images there (the ``a3_transform`` recipe, as torchvision's datasets
hand them to a transform) and the outputs come back as tensors, judged here by what they are --
never by which classes the transforms are made of. Test transforms must be deterministic and equal
ToTensor + Normalize; training transforms must vary from call to call within the required
augmentation: for MNIST, the orientation of a long ellipse (from image moments) stays within the
+-10 degree rotation and turns both ways; for CIFAR-10, every output must be the image shifted by
at most 4 pixels with a constant fill, flipped or not, and both flips and large shifts must occur.
CIFAR normalisation is accepted with any sensible per-channel mean/std (0.5 as in the course, or the
dataset statistics) as long as training and testing use the same one.
"""

import math

import numpy as np
import pytest
import torch
from torchvision.transforms import functional as TF

from a3_support import transformed, type_name

N_CALLS = 40
GRID_Y, GRID_X = np.mgrid[0:28, 0:28] + 0.5


def as_tensor(out, shape, what):
    assert isinstance(out, torch.Tensor), (
        f"{what} must return a tensor (end with ToTensor/Normalize), got {type_name(out)}"
        f" / {what} 应返回张量（最后一步是 ToTensor/Normalize）")
    assert tuple(out.shape) == shape, (
        f"{what} gives shape {tuple(out.shape)}, expected {shape} / {what} 的输出形状应为 {shape}")
    assert out.dtype == torch.float32, (
        f"{what} gives {out.dtype}, expected float32 / {what} 的输出应为 float32")
    return out


def random_images(mode, size, count, seed):
    """uint8 arrays: (size, size) for mode "L", (size, size, 3) for "RGB" (PIL images on the other side)."""
    rng = np.random.default_rng(seed)
    shape = (size, size) if mode == "L" else (size, size, 3)
    return [rng.integers(0, 256, shape, dtype=np.uint8) for _ in range(count)]


def ellipse_image():
    inside = ((GRID_X - 14) / 11) ** 2 + ((GRID_Y - 14) / 3.5) ** 2 <= 1
    return (inside * 255).astype(np.uint8)


def orientation_degrees(image):
    """Angle of the principal axis of a 28x28 intensity image, from its second moments."""
    w = image - image.min()
    total = w.sum()
    cy, cx = (w * GRID_Y).sum() / total, (w * GRID_X).sum() / total
    mu20, mu02 = (w * (GRID_X - cx) ** 2).sum(), (w * (GRID_Y - cy) ** 2).sum()
    mu11 = (w * (GRID_X - cx) * (GRID_Y - cy)).sum()
    return math.degrees(0.5 * math.atan2(2 * mu11, mu20 - mu02))


@pytest.mark.points(3)
def test_mnist_test_transform(resnet_stem):
    """mnist_transforms(train=False) = ToTensor + Normalize((0.5,), (0.5,)), no augmentation. / 测试集变换。"""
    transform = resnet_stem.mnist_transforms(train=False)
    images = random_images("L", 28, 5, seed=1)
    for image, (first, second) in zip(images, transformed(transform, images, repeats=2)):
        want = (TF.to_tensor(image) - 0.5) / 0.5
        first = as_tensor(first, (1, 28, 28), "mnist_transforms(train=False)")
        assert isinstance(second, torch.Tensor) and torch.equal(first, second), (
            "mnist_transforms(train=False) is random: augmentation belongs to training only / 测试集不做数据增强")
        assert torch.allclose(first, want, atol=1e-6), (
            "mnist_transforms(train=False) must be ToTensor() then Normalize((0.5,), (0.5,)) (values in [-1, 1])"
            " / mnist_transforms(train=False) 应为 ToTensor() 后接 Normalize((0.5,), (0.5,))（取值在 [-1, 1]）")


@pytest.mark.points(4)
def test_mnist_train_transform_rotates_up_to_10_degrees(resnet_stem):
    """mnist_transforms(train=True): a random rotation of at most 10 degrees, then ToTensor + Normalize. / 随机旋转 ±10°。"""
    transform = resnet_stem.mnist_transforms(train=True)
    [outputs] = transformed(transform, [ellipse_image()], repeats=N_CALLS)
    outputs = [as_tensor(out, (1, 28, 28), "mnist_transforms(train=True)") for out in outputs]
    for out in outputs:
        assert out.min() >= -1 - 1e-6 and out.max() <= 1 + 1e-6 and abs(out[0, 0, 0].item() + 1) < 1e-6, (
            "training images must be normalised like test images: Normalize((0.5,), (0.5,)) maps black to -1"
            " / 训练图像应与测试图像使用相同的归一化：Normalize((0.5,), (0.5,)) 把黑色映射为 -1")
    assert any(not torch.equal(outputs[0], o) for o in outputs[1:]), (
        "mnist_transforms(train=True) always gives the same tensor: add RandomRotation(10) / 训练时需要随机旋转")
    angles = [orientation_degrees(out[0].numpy()) for out in outputs]
    assert max(abs(a) for a in angles) <= 12.5, (
        f"a training image was rotated by about {max(angles, key=abs):.0f} degrees; RandomRotation(10) allows +-10"
        f" / 训练图像被旋转了约 {max(angles, key=abs):.0f} 度；RandomRotation(10) 最多旋转 ±10 度")
    assert max(abs(a) for a in angles) >= 5, (
        "the rotations are too small for RandomRotation(10) / 旋转角度太小，不符合 RandomRotation(10)")
    # RandomRotation((0, 10)) passes every check above but turns one way only.
    assert min(angles) <= -2 and max(angles) >= 2, (
        f"the training images all turn the same way (angles {min(angles):.1f} to {max(angles):.1f} degrees): "
        "RandomRotation((0, 10)) draws angles in [0, 10] only; RandomRotation(10) draws them in [-10, 10] "
        "/ 训练图像只向一个方向旋转：RandomRotation((0, 10)) 只在 [0, 10] 度之间取角度，"
        "RandomRotation(10) 在 [-10, 10] 度之间取角度")


def fit_normalisation(out, image):
    """Per-channel (mean, std) such that out = (to_tensor(image) - mean) / std, or None if not affine."""
    x = TF.to_tensor(image).double()
    y = out.double()
    stats = []
    for c in range(3):
        xc, yc = x[c].flatten(), y[c].flatten()
        a, b = np.polyfit(xc.numpy(), yc.numpy(), 1)
        if a <= 0 or (yc - (a * xc + b)).abs().max() > 1e-4:
            return None
        stats.append((-b / a, 1 / a))
    return stats


@pytest.mark.points(3)
def test_cifar_test_transform(resnet_stem):
    """cifar_transforms(train=False) = ToTensor + Normalize (one fixed per-channel mean/std), no augmentation. / 测试集变换。"""
    transform = resnet_stem.cifar_transforms(train=False)
    found = None
    images = random_images("RGB", 32, 4, seed=2)
    for image, (first, second) in zip(images, transformed(transform, images, repeats=2)):
        first = as_tensor(first, (3, 32, 32), "cifar_transforms(train=False)")
        assert isinstance(second, torch.Tensor) and torch.equal(first, second), (
            "cifar_transforms(train=False) is random: augmentation belongs to training only / 测试集不做数据增强")
        stats = fit_normalisation(first, image)
        assert stats is not None, (
            "cifar_transforms(train=False) must be ToTensor() then Normalize(mean, std): the output is not a "
            "per-channel rescaling of the image (was it cropped, flipped or jittered?)"
            " / cifar_transforms(train=False) 应为 ToTensor() 后接 Normalize(mean, std)：输出不是图像的逐通道缩放（是否做了裁剪、翻转或颜色抖动？）")
        for mean, std in stats:
            assert 0.3 <= mean <= 0.7 and 0.15 <= std <= 0.6, (
                f"Normalize uses mean {mean:.3f}, std {std:.3f}; use (0.5, 0.5, 0.5) as in the course "
                "(forgetting Normalize gives mean 0, std 1)"
                f" / Normalize 的 mean 为 {mean:.3f}、std 为 {std:.3f}；请按课程使用 (0.5, 0.5, 0.5)")
        assert found is None or np.allclose(found, stats, atol=1e-4), (
            "the normalisation changes between images / 不同图像的归一化参数不一致")
        found = stats


def match_crop_flip(x, u, pad=4):
    """(flipped, dy, dx) such that u is x shifted by (dy, dx) with a constant fill and maybe flipped, else None."""
    for flipped in (False, True):
        v = torch.flip(u, dims=[2]) if flipped else u
        for dy in range(-pad, pad + 1):
            for dx in range(-pad, pad + 1):
                # v[:, i, j] = x[:, i + dy, j + dx] where that pixel exists
                ys, yd = slice(max(dy, 0), 32 + min(dy, 0)), slice(max(-dy, 0), 32 + min(-dy, 0))
                xs, xd = slice(max(dx, 0), 32 + min(dx, 0)), slice(max(-dx, 0), 32 + min(-dx, 0))
                if not torch.allclose(v[:, yd, xd], x[:, ys, xs], atol=1e-4):
                    continue
                border = torch.ones(32, 32, dtype=torch.bool)
                border[yd, xd] = False
                fill = v[:, border]
                if fill.numel() == 0 or torch.allclose(fill, fill[:, :1].expand_as(fill), atol=1e-4):
                    return flipped, dy, dx
    return None


@pytest.mark.points(4)
def test_cifar_train_transform_crops_and_flips(resnet_stem):
    """cifar_transforms(train=True): RandomCrop(32, padding=4) + RandomHorizontalFlip, normalised like the test transform. / 随机裁剪与水平翻转。"""
    image = random_images("RGB", 32, 1, seed=3)[0]
    [[reference]] = transformed(resnet_stem.cifar_transforms(train=False), [image])
    stats = fit_normalisation(reference, image) if isinstance(reference, torch.Tensor) else None
    assert stats is not None, (
        "cifar_transforms(train=False) must be ToTensor() then Normalize() (see its own test)"
        " / cifar_transforms(train=False) 应为 ToTensor() 后接 Normalize()（见其单独的测试）")
    mean = torch.tensor([m for m, _ in stats], dtype=torch.float64)[:, None, None]
    std = torch.tensor([s for _, s in stats], dtype=torch.float64)[:, None, None]
    x = TF.to_tensor(image).double()

    [outputs] = transformed(resnet_stem.cifar_transforms(train=True), [image], repeats=N_CALLS)
    seen = []
    for out in outputs:
        out = as_tensor(out, (3, 32, 32), "cifar_transforms(train=True)")
        match = match_crop_flip(x, out.double() * std + mean)
        assert match is not None, (
            "a training image is not the image shifted by at most 4 pixels (zero padding) and possibly flipped, "
            "normalised like the test images: use RandomCrop(32, padding=4), RandomHorizontalFlip(), ToTensor(), "
            "and the same Normalize as for testing / 训练与测试使用相同的 Normalize")
        seen.append(match)
    assert {f for f, _, _ in seen} == {False, True}, (
        "no horizontal flips (or only flips) in 40 training images: add RandomHorizontalFlip() / 需要随机水平翻转")
    shifts = {(dy, dx) for _, dy, dx in seen}
    assert len(shifts) >= 5 and max(max(abs(dy), abs(dx)) for dy, dx in shifts) >= 3, (
        "training images are hardly ever shifted: RandomCrop(32, padding=4) pads 4 pixels and crops at random"
        " / 训练图像几乎没有平移：RandomCrop(32, padding=4) 先四周补 4 个像素再随机裁剪")
