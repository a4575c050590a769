"""Recipes for the a3_resnet_stem hidden suite: what its tests need built beside the student's code.

The trusted side cannot send a convolution, a PIL image or a training loop, so it names one of these
and sends plain data (weights, uint8 arrays, seeds). Everything here runs in the student's process
and only prepares inputs or drives the student's own objects; every check is made on the trusted
side from what comes back (GRADING.md, threat model).
"""

from __future__ import annotations

from ailit_core.grade.recipes import recipe


@recipe
def a3_manual_seed(seed):
    """Seed torch's global generator in the student's process (network init, random transforms)."""
    import torch

    torch.manual_seed(int(seed))


@recipe
def a3_conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
              dtype=None, state_dict=None):
    """An ``nn.Conv2d`` with the given settings and (optionally) the trusted side's weights."""
    import torch
    from torch import nn

    if dtype is not None and not isinstance(dtype, torch.dtype):
        raise TypeError("dtype must be a torch.dtype")
    conv = nn.Conv2d(int(in_channels), int(out_channels), kernel_size, stride=stride, padding=padding,
                     dilation=dilation, bias=bool(bias), dtype=dtype)
    if state_dict is not None:
        conv.load_state_dict(state_dict)
    return conv


@recipe
def a3_transform(transform, images, repeats=1):
    """``[[transform(image) for each repeat] for each image]``, each uint8 array (H, W) or (H, W, 3)
    made a PIL image here, as torchvision's datasets hand them to a transform."""
    import numpy as np
    from PIL import Image

    out = []
    for array in images:
        array = np.asarray(array)
        if array.dtype != np.uint8 or array.ndim not in (2, 3):
            raise ValueError("images are uint8 arrays of shape (H, W) or (H, W, 3)")
        image = Image.fromarray(array)  # mode "L" for (H, W), "RGB" for (H, W, 3)
        out.append([transform(image) for _ in range(int(repeats))])
    return out


@recipe
def a3_sgd_momentum(model, lr, momentum):
    import torch

    return torch.optim.SGD(model.parameters(), lr=float(lr), momentum=float(momentum))


@recipe
def a3_mnist_short_run(net, n=256, batch_size=16, lr=1e-3, seed=0, channels=1):
    """Adam over ``n`` training digits of the fast profile seen through the contract's training
    transform (RandomRotation(10), ToTensor, Normalize((0.5,), (0.5,))), each gray image repeated to
    ``channels`` channels, one pass in shuffled batches (the hidden suite's fixed loop; the trusted
    side then reads the weights)."""
    import torch
    from torch.nn import functional as F
    from torch.utils.data import DataLoader, Subset
    from torchvision import transforms

    from ailit_core.data import get_datasets

    transform = transforms.Compose([transforms.RandomRotation(10), transforms.ToTensor(),
                                    transforms.Normalize((0.5,), (0.5,)),
                                    transforms.Lambda(lambda x: x.repeat(int(channels), 1, 1))])
    train, _ = get_datasets("mnist", profile="fast", train_transform=transform)
    generator = torch.Generator().manual_seed(int(seed))
    subset = Subset(train, torch.randperm(len(train), generator=generator)[:int(n)].tolist())
    optimizer = torch.optim.Adam(net.parameters(), lr=float(lr))
    net.train()
    for inputs, labels in DataLoader(subset, batch_size=int(batch_size), shuffle=True, generator=generator):
        optimizer.zero_grad()
        F.cross_entropy(net(inputs), labels).backward()
        optimizer.step()


@recipe
def a3_on_device(tensor, device):
    """``tensor`` moved to ``device``, kept in the student's process (CUDA inputs for the GPU checks)."""
    import torch

    from ailit_core.grade.recipes import Keep

    return Keep(torch.as_tensor(tensor).to(torch.device(str(device))))


@recipe
def a3_devices(obj):
    """The device types of a tensor or of a module's parameters, as strings (a probe)."""
    import torch

    if isinstance(obj, torch.Tensor):
        return [obj.device.type]
    return sorted({p.device.type for p in obj.parameters()})


@recipe
def a3_shapes(module):
    """A module's ``state_dict`` layout and parameters as plain data, without their values:
    ``{"state_dict": {key: shape}, "parameters": [[name, shape, requires_grad], ...]}``."""
    return {"state_dict": {k: list(v.shape) for k, v in module.state_dict().items()},
            "parameters": [[n, list(p.shape), bool(p.requires_grad)] for n, p in module.named_parameters()]}


@recipe
def a3_stopper_trajectory(stopper, losses):
    """``[[stopper.step(loss), stopper.best_loss, stopper.counter] for loss in losses]``, as returned
    (one request for a long sequence; the trusted side replays its oracle beside it)."""
    out = []
    for loss in losses:
        stop = stopper.step(float(loss))
        out.append([stop, stopper.best_loss, stopper.counter])
    return out
