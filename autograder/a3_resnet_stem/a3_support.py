"""Oracles and helpers shared by the a3 hidden tests (not a test module).

The student's objects are handles (``remote.RemoteObject``) to a process this one never imports;
these helpers ask them for plain data (weights, attributes, outputs on inputs chosen here) and
build this side's own models to compare with.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from torch import nn
from torchvision.models import resnet18

from ailit_core.grade import remote

CPU = torch.device("cpu")

# ResNet-18's forward, stage by stage (torchvision's ``ResNet._forward_impl`` up to the last stage).
STAGES = ("conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4")


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


@functools.lru_cache(maxsize=None)
def oracle_layout(in_channels: int, num_classes: int, small_stem: bool = False):
    """``(state_dict key -> shape, parameter count)`` of the oracle, built on the meta device (shapes
    without storage or initialisation: a tenth of the time of a real build)."""
    with torch.device("meta"):
        net = oracle_resnet18(in_channels, num_classes, small_stem)
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}, param_count(net)


def type_name(obj) -> str:
    if isinstance(obj, remote.RemoteObject):
        return obj.remote_type.rpartition(".")[2] or "object"
    return type(obj).__name__


def is_remote(obj, dotted: str) -> bool:
    """A handle to an instance of ``dotted`` (as the student's process answers it)."""
    return isinstance(obj, remote.RemoteObject) and obj.isinstance_of(dotted)


def build(fn, *args, what: str, **kwargs) -> remote.RemoteObject:
    net = fn(*args, **kwargs)
    assert is_remote(net, "torch.nn.Module"), (
        f"{what} must return an nn.Module, got {type_name(net)} / {what} 应返回 nn.Module")
    return net


def tensor(value, what: str) -> torch.Tensor:
    assert isinstance(value, torch.Tensor), (
        f"{what} must be a tensor, got {type_name(value)} / {what} 应为张量")
    return value.detach()


def stage_size(net, x: torch.Tensor) -> tuple[int, int]:
    """Spatial size of the last residual stage's output for ``x``: the network's own modules, called
    here one stage after another in eval mode (``net.eval()`` first)."""
    out = x
    for name in STAGES:
        out = tensor(getattr(net, name)(out), f"net.{name}(x)")  # detached: ReLU(inplace=True) takes it
    return tuple(out.shape[-2:])


def fixed_state(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def remote_conv(conv: nn.Conv2d) -> remote.RemoteObject:
    """The same convolution (settings and weights), built in the student's process."""
    return remote.build("a3_conv2d", conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                        padding=conv.padding, dilation=conv.dilation, bias=conv.bias is not None,
                        dtype=conv.weight.dtype, state_dict=fixed_state(conv))


def transformed(transform, images, repeats=1, seed=0):
    """The student's transform applied in its process to PIL images made there from ``images``
    (uint8 arrays): one list of ``repeats`` outputs per image (torch seeded there first)."""
    remote.build("a3_manual_seed", seed)
    out = remote.build("a3_transform", transform, [np.ascontiguousarray(a, dtype=np.uint8) for a in images], repeats)
    assert isinstance(out, list) and len(out) == len(images), "a malformed reply / 回复格式错误"
    return out


def as_number(value, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        pytest.fail(f"{what} must be a number, got {type_name(value)} / {what} 应为一个数")


def layout(net, what: str) -> tuple[dict[str, tuple[int, ...]], list[tuple[str, tuple[int, ...], bool]]]:
    """``(state_dict key -> shape, [(parameter name, shape, requires_grad)])`` of a network in the
    student's process, without its values (a ResNet-18's weights are 45 MB per copy)."""
    info = remote.build("a3_shapes", net)
    try:
        state = {str(k): tuple(int(n) for n in v) for k, v in info["state_dict"].items()}
        params = [(str(n), tuple(int(d) for d in s), bool(g)) for n, s, g in info["parameters"]]
    except (TypeError, ValueError, KeyError, AttributeError):
        pytest.fail(f"{what}: state_dict() or named_parameters() gave something unreadable "
                    f"/ {what}：state_dict() 或 named_parameters() 的结果无法读取")
    return state, params
