"""Hidden tests for a4 ``load_for_eval`` (10 points).

Approach: this process writes the checkpoint into the exchange folder the student's process shares,
its tensors tagged for a CUDA device that this machine does not have (``torch.save`` asks
``torch.serialization.location_tag`` where each storage lives; the test answers "cuda:<one past the
last GPU>"). Loading it without ``map_location`` fails exactly as a GPU checkpoint fails on a
laptop, on any grading machine. The model is built in the student's process from a recipe; the
weights, ``training`` flags and devices of what ``load_for_eval`` returns are read back here.

One probe runs beside the student's code and could be forged by it, so it carries 1 point
(GRADING.md, threat model): the model recording the ``.to(...)`` calls made on it, which shows a
move to ``device`` without a GPU (``test_load_for_eval_moves_model_to_device``).
"""

import pytest
import torch
from torch import nn

from a4_support import CPU, remote_error_text, remote_modes, remote_state, shared_folder
from ailit_core.grade import remote


def recording_net(seed):
    """Linear -> BatchNorm1d -> ReLU -> Dropout -> Linear, here (its weights) and there (the model)."""
    torch.manual_seed(seed)
    here = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Dropout(0.3), nn.Linear(7, 3))
    return remote.build("a4_recording_net", here.state_dict())


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
    torch.manual_seed(seed)
    source = nn.Sequential(nn.Linear(5, 7), nn.BatchNorm1d(7), nn.ReLU(), nn.Dropout(0.3), nn.Linear(7, 3))
    with torch.no_grad():
        for p in source.parameters():
            p.add_(torch.randn_like(p))
        source[1].running_mean.uniform_(-1, 1)
        source[1].running_var.uniform_(0.5, 2)
        source[1].num_batches_tracked.fill_(42)
    return {k: v.detach().clone() for k, v in source.state_dict().items()}


def returned_model(loaded):
    assert isinstance(loaded, remote.RemoteObject) and loaded.isinstance_of("torch.nn.Module"), (
        "load_for_eval must return the model / load_for_eval 应返回模型")
    return loaded


@pytest.mark.points(6)
def test_load_for_eval_maps_gpu_checkpoint(eval_loop):
    """A checkpoint saved on a GPU loads on this machine (torch.load with map_location) and its weights end up in the model. / 用 map_location 加载在 GPU 上保存的检查点。"""
    state = trained_state(1)
    path = foreign_checkpoint(shared_folder("load") / "gpu_checkpoint.pth", state)
    try:
        loaded = eval_loop.load_for_eval(remote.build("a4_path", str(path)), recording_net(2), CPU)
    except RuntimeError as exc:
        pytest.fail(f"loading a checkpoint saved on a GPU failed: {str(exc).splitlines()[0] if str(exc) else exc!r} "
                    f"-- pass map_location=device to torch.load / 请给 torch.load 传入 map_location")
    got = remote_state(returned_model(loaded))
    for name, value in state.items():
        assert name in got and torch.equal(got[name], value), (
            f"{name} was not loaded from the checkpoint / {name} 未从检查点加载")


def loaded_from_cpu_checkpoint(eval_loop, seed):
    path = shared_folder("load") / "checkpoint.pth"
    torch.save(trained_state(seed), path)
    model = recording_net(seed + 1)
    model.train()
    try:
        return model, returned_model(eval_loop.load_for_eval(str(path), model, CPU))
    except remote.RemoteError as exc:
        pytest.fail(f"load_for_eval raised {remote_error_text(exc)} on a checkpoint saved on the CPU "
                    f"/ 加载 CPU 上保存的检查点时报错")


@pytest.mark.points(3)
def test_load_for_eval_returns_eval_model_on_device(eval_loop):
    """The returned model is on `device` and in eval mode, every submodule included. / 返回的模型位于 device 上且处于 eval 模式。"""
    _, loaded = loaded_from_cpu_checkpoint(eval_loop, 3)
    training = [name for name, flag in remote_modes(loaded) if flag]
    assert not training, (f"{', '.join(training)} still in train mode: call model.eval() before returning "
                          f"(Dropout and BatchNorm behave differently in eval mode) / 返回前调用 model.eval()")
    devices = remote.build("a4_devices", loaded)
    assert devices == ["cpu"], (
        f"load_for_eval must return the model on the given device (CPU), its tensors are on {devices} "
        f"/ load_for_eval 应返回位于指定设备（CPU）上的模型")


@pytest.mark.points(1)
def test_load_for_eval_moves_model_to_device(eval_loop):
    """The model is moved to `device` with .to(device) (a probe: the model records its moves). / 用 model.to(device) 把模型移到 device。"""
    model, loaded = loaded_from_cpu_checkpoint(eval_loop, 5)
    recorded = loaded.moved_to if loaded.remote_type.endswith("RecordingNet") else model.moved_to
    replaced = model.replaced()  # load_state_dict(assign=True) puts tensors from the checkpoint in place
    assert CPU in recorded or replaced is True, (
        "the model was never moved to `device`: call model.to(device) / 请调用 model.to(device)")
