"""Hidden tests for a4 ``train_model`` (23 points).

Approach: a ``Scenario`` whose training labels switch rules after a few epochs, so validation
accuracy rises, peaks in the middle of the run and falls: the best weights are neither the first
nor the last. The student's ``train_model`` runs it in its own process (model, loaders, optimizer
and scheduler built there from a recipe with this scenario's data and initial weights); an
independent loop here replays it from the same weights on the same batches, giving the weights
after every epoch and the expected history; its validation is the student's own ``evaluate`` (run
there on a copy of the replayed model), so a mistake in ``evaluate`` is charged in the evaluate
tests only, never here. The returned model's ``state_dict`` is read back and
matched against those epochs. The model is handed over in eval mode (as after an evaluation), so
training must switch it to train mode itself. SGD updates parameters in place and BatchNorm updates
its buffers in place, so a best "copy" that shares memory with the model ends up holding the last
epoch's values.

One probe runs beside the student's code and could be forged by it, so it carries 1 point
(GRADING.md, threat model): the device moves logged by the training
batches (``test_train_model_moves_batches_to_device``; validation batches are evaluate's to move).
"""

import math

import pytest
import torch

from a4_support import CPU, INDEXED_CPU, Scenario, moves_to, other_moves, remote_state, which_epoch
from ailit_core.grade import remote

KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")


def run(eval_loop, scenario, device=CPU, tracked=False):
    model, criterion, optimizer, scheduler, loaders, log = scenario.build(tracked=tracked)
    result = eval_loop.train_model(model, criterion, optimizer, scheduler, loaders, scenario.num_epochs, device)
    assert isinstance(result, tuple) and len(result) == 2, (
        "train_model must return a tuple (model, history) / train_model 应返回元组 (model, history)")
    return result, optimizer, scheduler, log


def returned_state(model):
    assert isinstance(model, remote.RemoteObject) and model.isinstance_of("torch.nn.Module"), (
        f"train_model must return the model (an nn.Module) first, got {type(model).__name__} "
        f"/ train_model 返回的第一个值应为模型（nn.Module）")
    return remote_state(model)


def best_epoch(history):
    accs = [h["val_acc"] for h in history]
    best = max(range(len(accs)), key=accs.__getitem__)
    # the scenario has a unique, early peak; only a wrong evaluate (the expected history is its
    # answers) can take it away, and then which epoch train_model keeps cannot be judged here
    assert accs.count(accs[best]) == 1 and best != len(accs) - 1 and all(math.isfinite(a) for a in accs), (
        f"your evaluate gives the validation accuracies {[round(a, 4) for a in accs]} for this run: no single best "
        f"epoch before the last, so the best-weights copy cannot be checked; fix evaluate first (see its tests) "
        f"/ 你的 evaluate 在本场景中给出的验证准确率没有唯一且靠前的最佳 epoch，无法检查最佳权重：请先修正 evaluate（见其测试）")
    return best + 1


def epoch_name(epoch, last):
    if epoch is None:
        return "weights of no epoch at all"
    if epoch == 0:
        return "the INITIAL weights (the best copy was never updated)"
    if epoch == last:
        return ("the LAST epoch's weights: the saved best weights followed the model. model.state_dict() shares "
                "memory with the parameters; keep copy.deepcopy(model.state_dict()) / 最佳权重必须深拷贝")
    return f"the weights after epoch {epoch}"


@pytest.mark.points(10)
@pytest.mark.parametrize("seed, switch_after", [(0, 2), (1, 3)], ids=["peak_at_2", "peak_at_4"])
def test_train_model_returns_best_weights(eval_loop, seed, switch_after):
    """The returned model holds the parameters of the epoch with the highest validation accuracy, not the last epoch's. / 返回验证准确率最高那一轮的参数。"""
    scenario = Scenario(seed=seed, switch_after=switch_after)
    (model, _), _, _, _ = run(eval_loop, scenario)
    states, history = scenario.oracle(eval_loop)
    best = best_epoch(history)
    keys = [name for name, _ in scenario.template.named_parameters()]
    got = which_epoch(returned_state(model), [scenario.template.state_dict()] + states, keys)
    assert got == best, (
        f"validation accuracy peaked after epoch {best} of {scenario.num_epochs}, but the returned model holds "
        f"{epoch_name(got, scenario.num_epochs)} / 应返回验证准确率最高时的权重")


@pytest.mark.points(3)
def test_train_model_restores_best_buffers(eval_loop):
    """The best weights include the buffers (BatchNorm running statistics) of the best epoch, not only the parameters. / 最佳权重也包括 BatchNorm 的统计量。"""
    scenario = Scenario(seed=0)
    (model, _), _, _, _ = run(eval_loop, scenario)
    states, history = scenario.oracle(eval_loop)
    best = best_epoch(history)
    keys = [name for name, _ in scenario.template.named_buffers()]
    got = which_epoch(returned_state(model), [scenario.template.state_dict()] + states, keys)
    assert got == best, (
        f"the BatchNorm running statistics of the returned model are {epoch_name(got, scenario.num_epochs)}, "
        f"expected those after epoch {best}: save and load the whole state_dict (parameters and buffers), "
        f"as an independent copy / 要保存完整的 state_dict（含缓冲区）的副本")


def number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError, RuntimeError):
        pytest.fail(f"{what} must be a number, got {type(value).__name__} / {what} 应为数字")


@pytest.mark.points(6)
def test_train_model_history(eval_loop):
    """history has one dict per epoch with epoch, train_loss (sample-weighted running mean in train mode), train_acc, val_loss, val_acc. / 训练历史的键与数值。"""
    scenario = Scenario(seed=0)
    (_, history), _, _, _ = run(eval_loop, scenario)
    _, expected = scenario.oracle(eval_loop)
    assert isinstance(history, list) and len(history) == scenario.num_epochs, (
        f"history must be a list with one dict per epoch ({scenario.num_epochs}), got "
        f"{len(history) if isinstance(history, (list, tuple)) else type(history).__name__}"
        f" / history 应为列表，每个 epoch 一个字典（共 {scenario.num_epochs} 个）")
    for i, entry in enumerate(history):
        assert isinstance(entry, dict), (
            f"history[{i}] must be a dict, got {type(entry).__name__} / history[{i}] 应为字典")
        missing = set(KEYS) - set(entry)
        assert not missing, (
            f"history[{i}] lacks the key(s) {sorted(missing)} / history[{i}] 缺少键 {sorted(missing)}")
    epochs = [int(number(h["epoch"], "epoch")) for h in history]
    assert epochs in (list(range(scenario.num_epochs)), list(range(1, scenario.num_epochs + 1))), (
        f"history epochs are {epochs}; number them 1, 2, 3, ... (or 0, 1, 2, ...)"
        " / history 中的 epoch 编号应为 1, 2, 3, ...（或 0, 1, 2, ...）")
    for i, entry in enumerate(history, start=1):
        for key in KEYS:
            value = entry[key]
            assert not (isinstance(value, torch.Tensor) and value.requires_grad), (
                f"epoch {i}: {key} is a tensor that keeps its autograd graph: accumulate loss.item() (a number), "
                f"not the loss tensor, or every batch's graph stays in memory until the epoch ends "
                f"/ 第 {i} 轮的 {key} 是带计算图的张量：请累加 loss.item()（一个数），否则每个批次的计算图都会留在内存中")
    for i, (entry, want) in enumerate(zip(history, expected), start=1):
        for key in ("val_acc", "val_loss"):
            got = number(entry[key], key)
            assert math.isclose(got, want[key], rel_tol=1e-4, abs_tol=1e-6), (
                f"epoch {i}: {key} is {got:.5f}, but your evaluate gives {want[key]:.5f} on the model after that "
                f"epoch's training: call evaluate(model, dataloaders['val'], device, criterion) once per epoch, after "
                f"its training batches / 第 {i} 轮的 {key} 不对：每个 epoch 训练完后用 evaluate 在 dataloaders['val'] 上评估")
        for key in ("train_loss", "train_acc"):
            got = number(entry[key], key)
            assert math.isclose(got, want[key], rel_tol=1e-4, abs_tol=1e-6), (
                f"epoch {i}: {key} is {got:.5f}, expected {want[key]:.5f}: the running, sample-weighted "
                f"mean over that epoch's training batches, with the model in TRAIN mode (it was handed over in eval "
                f"mode; call model.train() every epoch) / 第 {i} 轮的 {key} 不对（训练时要调用 model.train()）")


@pytest.mark.points(3)
def test_train_model_steps_scheduler_once_per_epoch(eval_loop):
    """scheduler.step() is called exactly once per epoch (after the epoch's training batches). / 每个 epoch 调用一次 scheduler.step()。"""
    scenario = Scenario(seed=0)
    _, optimizer, scheduler, _ = run(eval_loop, scenario)
    steps = scheduler.last_epoch
    assert steps == scenario.num_epochs, (
        f"the scheduler was stepped {steps} times in {scenario.num_epochs} epochs: call scheduler.step() once per "
        f"epoch, not per batch / 每个 epoch 调用一次 scheduler.step()")
    lr = number(optimizer.param_groups[0]["lr"], "the learning rate")
    assert math.isclose(lr, scenario.lr * scenario.gamma ** scenario.num_epochs, rel_tol=1e-9), (
        f"the learning rate after {scenario.num_epochs} epochs is {lr}, expected "
        f"{scenario.lr * scenario.gamma ** scenario.num_epochs}: step the scheduler once per epoch "
        "/ 每个 epoch 调用一次 scheduler.step()")


@pytest.mark.points(1)
def test_train_model_moves_batches_to_device(eval_loop):
    """Training batches (inputs and labels) are moved to the `device` argument. / 训练批次要移动到 device。"""
    scenario = Scenario(seed=2, num_epochs=2)
    _, _, _, log = run(eval_loop, scenario, device=INDEXED_CPU, tracked=True)
    moves = log.entries()
    for role in ("inputs", "labels"):  # validation batches are evaluate's to move (its own test)
        wrong = other_moves(moves, role, INDEXED_CPU)
        assert moves_to(moves, role, INDEXED_CPU) >= scenario.train_batches_per_epoch() * scenario.num_epochs, (
            f"the {role} of every training batch must be moved with .to(device) to the device "
            f"passed in" + (f" (some went to {wrong}: do not hard-code a device)" if wrong else "")
            + " / 每个训练批次的输入和标签都要 .to(device)")
