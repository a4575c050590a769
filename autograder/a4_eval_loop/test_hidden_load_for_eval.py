"""Hidden tests for a4 ``load_for_eval`` (10 points).

Approach: a checkpoint whose tensors are tagged for a CUDA device that this machine does not have
(``torch.save`` asks ``torch.serialization.location_tag`` where each storage lives; the test answers
"cuda:<one past the last GPU>"). Loading it without ``map_location`` fails exactly as a GPU
checkpoint fails on a laptop, on any grading machine. The model records its ``.to(...)`` calls, so
moving it to ``device`` is observable without a GPU.
"""

import pytest
import torch
from torch import nn

CPU = torch.device("cpu")


class RecordingNet(nn.Sequential):
    """Linear -> BatchNorm1d -> ReLU -> Dropout -> Linear that remembers where it was asked to move."""

    def __init__(self, seed):
        torch.manual_seed(seed)
        super().__init__(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Dropout(0.3), nn.Linear(7, 3))
        self.moved_to = []

    def to(self, *args, **kwargs):
        device = kwargs.get("device", args[0] if args else None)
        if isinstance(device, (str, torch.device)):
            self.moved_to.append(torch.device(device))
        return super().to(*args, **kwargs)

    def cpu(self):
        self.moved_to.append(torch.device("cpu"))
        return super().cpu()

    def cuda(self, device=None):
        self.moved_to.append(torch.device("cuda", device) if isinstance(device, int) else torch.device("cuda"))
        return super().cuda(device)


def foreign_checkpoint(path, state_dict):
    """Save ``state_dict`` as if from a GPU this machine lacks."""
    tag = f"cuda:{torch.cuda.device_count()}"
    original = torch.serialization.location_tag
    torch.serialization.location_tag = lambda storage: tag
    try:
        torch.save(state_dict, path)
    finally:
        torch.serialization.location_tag = original
    try:  # the checkpoint is only a fair test if loading it naively fails here
        torch.load(path, weights_only=True)
    except RuntimeError:
        return path
    raise AssertionError("could not build a checkpoint tagged for a missing device")


def trained_state(seed):
    source = RecordingNet(seed)
    with torch.no_grad():
        for p in source.parameters():
            p.add_(torch.randn_like(p))
        source[1].running_mean.uniform_(-1, 1)
        source[1].running_var.uniform_(0.5, 2)
        source[1].num_batches_tracked.fill_(42)
    return {k: v.detach().clone() for k, v in source.state_dict().items()}


@pytest.mark.points(6)
def test_load_for_eval_maps_gpu_checkpoint(eval_loop, tmp_path):
    """A checkpoint saved on a GPU loads on this machine (torch.load with map_location) and its weights end up in the model. / 用 map_location 加载在 GPU 上保存的检查点。"""
    state = trained_state(1)
    path = foreign_checkpoint(tmp_path / "gpu_checkpoint.pth", state)
    model = RecordingNet(2)
    try:
        loaded = eval_loop.load_for_eval(path, model, CPU)
    except RuntimeError as exc:
        pytest.fail(f"loading a checkpoint saved on a GPU failed: {str(exc).splitlines()[0]} -- pass "
                    f"map_location=device to torch.load / 请给 torch.load 传入 map_location")
    assert isinstance(loaded, nn.Module), (
        "load_for_eval must return the model / load_for_eval 应返回模型")
    got = loaded.state_dict()
    for name, value in state.items():
        assert torch.equal(got[name].cpu(), value), f"{name} was not loaded from the checkpoint / 权重未从检查点加载"


@pytest.mark.points(4)
def test_load_for_eval_returns_eval_model_on_device(eval_loop, tmp_path):
    """The returned model is on `device` (moved with .to(device)) and in eval mode, every submodule included. / 返回的模型位于 device 上且处于 eval 模式。"""
    state = trained_state(3)
    path = tmp_path / "checkpoint.pth"
    torch.save(state, path)
    model = RecordingNet(4).train()
    parameters_before = [id(p) for p in model.parameters()]
    loaded = eval_loop.load_for_eval(str(path), model, CPU)
    assert isinstance(loaded, nn.Module), (
        "load_for_eval must return the model / load_for_eval 应返回模型")
    training = [name or "the model" for name, m in loaded.named_modules() if m.training]
    assert not training, (f"{', '.join(training)} still in train mode: call model.eval() before returning "
                          f"(Dropout and BatchNorm behave differently in eval mode) / 返回前调用 model.eval()")
    assert all(p.device == CPU for p in loaded.parameters()), (
        "load_for_eval must return the model on the given device (CPU) / load_for_eval 应返回位于指定设备（CPU）上的模型")
    recorded = loaded.moved_to if isinstance(loaded, RecordingNet) else model.moved_to
    replaced = [id(p) for p in loaded.parameters()] != parameters_before  # load_state_dict(assign=True)
    assert CPU in recorded or replaced, ("the model was never moved to `device`: call model.to(device) "
                                         "/ 请调用 model.to(device)")
