"""Oracles and probes shared by the a3 hidden tests (not a test module)."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import resnet18

CPU = torch.device("cpu")


def oracle_resnet18(in_channels: int, num_classes: int, small_stem: bool = False) -> nn.Module:
    net = resnet18(weights=None)
    if small_stem:
        net.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        net.maxpool = nn.Identity()
    else:
        net.conv1 = nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False)
    net.fc = nn.Linear(512, num_classes)
    return net


def param_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def build(fn, *args, what: str, **kwargs) -> nn.Module:
    net = fn(*args, **kwargs)
    assert isinstance(net, nn.Module), (
        f"{what} must return an nn.Module, got {type(net).__name__} / {what} 应返回 nn.Module")
    return net


def layer4_size(net: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """Spatial size of the last residual stage's output for input ``x`` (eval mode, no autograd)."""
    seen = []
    handle = net.layer4.register_forward_hook(lambda m, i, o: seen.append(tuple(o.shape[-2:])))
    try:
        net.eval()
        with torch.no_grad():
            net(x)
    finally:
        handle.remove()
    assert seen, (
        "net.layer4 was not used by forward() / forward() 没有用到 net.layer4")
    return seen[0]


# --- device probes ---------------------------------------------------------------------------------

MOVES = {torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu}


def move_target(func, args, kwargs):
    if func is torch.Tensor.cpu:
        return CPU
    if func is torch.Tensor.cuda:
        return torch.device("cuda")
    target = kwargs.get("device", args[0] if args else None)
    if isinstance(target, torch.Tensor):
        return target.device
    if isinstance(target, (str, torch.device, int)):
        try:
            return torch.device(target)
        except (RuntimeError, TypeError):
            return None
    return None  # a dtype-only conversion is no move


class Tracked(torch.Tensor):
    """A batch tensor that logs ``(role, device)`` for each .to()/.cuda()/.cpu() made on it.

    Any operation returns a plain tensor, and a move returns a plain tensor even when the data
    stays where it is, so code downstream can tell a moved batch (plain) from an unmoved one (Tracked).
    """

    role = None
    log = None

    @staticmethod
    def wrap(tensor, role, log):
        out = tensor.as_subclass(Tracked)
        out.role, out.log = role, log
        return out

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        source = args[0] if args and isinstance(args[0], Tracked) else None
        if func in MOVES and source is not None and source.log is not None:
            source.log.append((source.role, move_target(func, args[1:], kwargs)))
        with torch._C.DisableTorchFunctionSubclass():
            out = func(*args, **kwargs)
            if isinstance(out, Tracked):  # .to() on a tensor already there returns the tensor itself
                out = out.as_subclass(torch.Tensor)
        return out
