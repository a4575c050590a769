"""a4 on a real GPU (0 points; only collected where CUDA is available, see conftest.py).

The same checks as the CPU tests with ``device = cuda``, on models and loaders built in the
student's process: batches come from the CPU and must be moved, the results must match the CPU
oracle here, and a CPU checkpoint written here must load onto the GPU. Worth no points so that a
grade does not depend on the grading machine; the CPU tests already observe device handling.
"""

import math

import pytest
import torch
from torch import nn

from a4_support import Scenario, bn_dropout_model, layer_specs, loader_of, oracle_evaluate, remote_state, shared_folder
from ailit_core.grade import remote

pytestmark = [pytest.mark.gpu, pytest.mark.points(0)]


def test_gpu_evaluate_train_and_load(eval_loop):
    """On CUDA: evaluate moves CPU batches to the GPU and matches the CPU result; train_model trains there; load_for_eval puts a CPU checkpoint on the GPU. / 在 GPU 上运行同样的检查。"""
    cuda = torch.device("cuda")
    gen = torch.Generator().manual_seed(0)
    X, y = torch.randn(23, 6, generator=gen), torch.randint(0, 4, (23,), generator=gen)
    here = bn_dropout_model(0)
    expected = oracle_evaluate(here, X, y, nn.CrossEntropyLoss(), batch_size=5)
    model = remote.build("sequential", layer_specs(here), state_dict=here.state_dict())
    model.to(cuda)
    model.train()
    result = eval_loop.evaluate(model, loader_of(X, y, 5), cuda, remote.build("cross_entropy"))
    assert torch.equal(torch.as_tensor(result["confusion_matrix"]), expected["confusion_matrix"]), (
        "on CUDA evaluate's confusion matrix differs from the CPU oracle's / 在 GPU 上 evaluate 的混淆矩阵与 CPU 上的参考结果不同")
    assert math.isclose(float(result["loss"]), expected["loss"], rel_tol=1e-3), (
        "on CUDA evaluate's loss differs from the CPU oracle's / 在 GPU 上 evaluate 的损失与 CPU 上的参考结果不同")
    after = remote_state(model)
    assert all(torch.equal(v, after[k]) for k, v in here.state_dict().items()), (
        "on CUDA evaluate changed the BatchNorm buffers: call model.eval() "
        "/ 在 GPU 上 evaluate 修改了 BatchNorm 的统计量：请调用 model.eval()")
    assert model.training is True, "on CUDA evaluate did not restore train mode / 在 GPU 上 evaluate 之后没有恢复训练模式"

    scenario = Scenario(seed=0, num_epochs=3)
    net, criterion, optimizer, scheduler, loaders, _ = scenario.build(device=cuda)
    trained, history = eval_loop.train_model(net, criterion, optimizer, scheduler, loaders, 3, cuda)
    assert len(history) == 3, (
        "on CUDA train_model must return one history entry per epoch (3) "
        "/ 在 GPU 上 train_model 应为每个 epoch 返回一条历史记录（共 3 条）")
    val = loader_of(scenario.X_val, scenario.y_val, 15)
    check = eval_loop.evaluate(trained, val, cuda)
    assert math.isclose(check["accuracy"], max(float(h["val_acc"]) for h in history), abs_tol=1e-6), (
        "the returned model does not have the best validation accuracy of the history "
        "/ 返回的模型没有历史记录中最高的验证准确率")

    path = shared_folder("gpu") / "cpu.pth"
    torch.save(bn_dropout_model(1).state_dict(), path)
    target = bn_dropout_model(2)
    loaded = eval_loop.load_for_eval(str(path), remote.build("sequential", layer_specs(target),
                                                             state_dict=target.state_dict()), cuda)
    devices = remote.build("a4_devices", loaded)
    assert devices and all(d.startswith("cuda") for d in devices), (
        f"load_for_eval must return the model on the GPU, its tensors are on {devices} "
        f"/ load_for_eval 应返回位于 GPU 上的模型")
    assert loaded.training is False, "load_for_eval must return the model in eval mode / load_for_eval 应返回 eval 模式的模型"
