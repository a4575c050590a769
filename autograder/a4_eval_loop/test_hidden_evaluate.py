"""Hidden tests for a4 ``evaluate`` (49 points).

Approach: ``evaluate`` runs in the student's process on models and loaders built there from
recipes (``a4_support``: the same architecture and weights as a trusted model here), and every
expected value comes from an independent oracle here (a copy of the trusted model in eval mode under
``no_grad``). The BatchNorm/Dropout model has unusual running statistics, so a pass in train mode
predicts differently and moves those statistics: both are read back here (the returned metrics, the
model's ``state_dict`` and ``training`` flags afterwards). Models with known predictions (a
``Linear`` with weight 2*I) pin down the confusion matrix, classes that never occur and its
orientation.

Two probes run beside the student's code and could be forged by it, so each carries 1 point
(GRADING.md, threat model): whether autograd was on inside the model's forward
(``test_evaluate_without_autograd``) and the device moves logged by the loader's batches
(``test_evaluate_moves_batches_to_device``).
"""

import math
import numbers

import pytest
import torch
from torch import nn

from a4_support import (CPU, INDEXED_CPU, bn_dropout_model, chooser, chooser_inputs, layer_specs, loader_of,
                        mean_of_batch_losses, moves_to, oracle_evaluate, other_moves, remote_copy, remote_modes,
                        remote_state)
from ailit_core.grade import remote


def bn_problem(seed, n=25, d=6, c=4):
    gen = torch.Generator().manual_seed(seed + 100)
    X = torch.randn(n, d, generator=gen) * 1.5
    y = torch.randint(0, c, (n,), generator=gen)
    return bn_dropout_model(seed, d=d, c=c), X, y


def as_matrix(value):
    return torch.as_tensor(value).detach()


def result_of(eval_loop, model, loader, device, *criterion):
    result = eval_loop.evaluate(model, loader, device, *criterion)
    assert isinstance(result, dict), (
        f"evaluate must return a dict, got {type(result).__name__} / evaluate 应返回字典")
    return result


@pytest.mark.points(10)
@pytest.mark.parametrize("seed", [0, 1])
def test_evaluate_uses_eval_mode(eval_loop, seed):
    """The model is evaluated in eval mode: BatchNorm uses (and keeps) its running statistics, Dropout is off. / 评估时必须使用 eval 模式。"""
    here, X, y = bn_problem(seed)
    here.train()
    expected = oracle_evaluate(here, X, y, nn.CrossEntropyLoss(), batch_size=5)
    model = remote_copy(here)
    result = result_of(eval_loop, model, loader_of(X, y, 5), CPU, remote.build("cross_entropy"))
    after = remote_state(model)
    for name, value in here.state_dict().items():
        if name.startswith("1."):  # the BatchNorm layer's buffers
            assert name in after and torch.equal(value, after[name]), (
                f"evaluate changed the BatchNorm buffer {name}: the model ran in train mode. Call model.eval() "
                f"before evaluating / BatchNorm 的统计量被修改：评估前要调用 model.eval()")
    # Either orientation of the matrix is accepted here (the orientation has its own test), and 25
    # samples in batches of 5 make every way of averaging the loss agree: only the mode matters.
    confusion = as_matrix(result.get("confusion_matrix"))
    expected_confusion = expected["confusion_matrix"]
    assert confusion.shape == expected_confusion.shape and (
        torch.equal(confusion, expected_confusion) or torch.equal(confusion.T, expected_confusion)), (
        "predictions differ from the model's eval-mode predictions (Dropout/BatchNorm in train mode?) "
        "/ 预测结果与 eval 模式下不一致")
    assert math.isclose(float(result["loss"]), expected["loss"], rel_tol=1e-4), (
        "the loss differs from the eval-mode loss (Dropout/BatchNorm in train mode?) / 损失与 eval 模式下不一致")


@pytest.mark.points(8)
@pytest.mark.parametrize("start_in_train_mode", [True, False], ids=["was_train", "was_eval"])
def test_evaluate_restores_previous_mode(eval_loop, start_in_train_mode):
    """After evaluate the model is back in the mode it had before (train stays train, eval stays eval). / 评估后恢复原来的模式。"""
    here, X, y = bn_problem(3)
    model = remote_copy(here.train(start_in_train_mode))
    eval_loop.evaluate(model, loader_of(X, y, 7), CPU)
    wanted = "train" if start_in_train_mode else "eval"
    wrong = [name for name, training in remote_modes(model) if training != start_in_train_mode]
    assert not wrong, (
        f"the model was in {wanted} mode before evaluate, but after it {', '.join(wrong)} "
        f"{'is' if len(wrong) == 1 else 'are'} not: remember model.training and restore it with "
        f"model.train(was_training) / 评估前模型处于 {wanted} 模式，评估后应恢复")


@pytest.mark.points(1)
def test_evaluate_without_autograd(eval_loop):
    """Evaluation runs without autograd (torch.no_grad or inference_mode) and computes no gradients. / 评估时关闭梯度计算。"""
    model = remote.build("grad_probe", 4, 3, seed=5)
    gen = torch.Generator().manual_seed(5)
    X, y = torch.randn(12, 4, generator=gen), torch.randint(0, 3, (12,), generator=gen)
    eval_loop.evaluate(model, loader_of(X, y, 5), CPU, remote.build("cross_entropy"))
    flags = model.grad_flags
    assert flags, "the model was never called / 模型从未被调用"
    assert not any(flags), (
        "autograd was on during evaluation: wrap the loop in `with torch.no_grad():` (saves memory and time) "
        "/ 评估时请使用 torch.no_grad()")
    assert not remote.build("a4_gradients", model), "evaluate must not compute gradients / 评估不应计算梯度"
    assert remote.build("grad_enabled"), (
        "autograd stayed off after evaluate (torch.set_grad_enabled(False)?): use a `with torch.no_grad():` block "
        "/ 评估后梯度计算仍被关闭：请使用 with torch.no_grad(): 语句块")


CRITERIA = {"cross_entropy_smoothed": (nn.CrossEntropyLoss(label_smoothing=0.2),
                                       ("CrossEntropyLoss",), {"label_smoothing": 0.2}),
            "multi_margin": (nn.MultiMarginLoss(), ("MultiMarginLoss",), {})}


@pytest.mark.points(9)
@pytest.mark.parametrize("criterion_name", list(CRITERIA))
def test_evaluate_loss_is_sample_weighted(eval_loop, criterion_name):
    """The loss is the mean over SAMPLES: each batch's mean loss weighted by its size (the last batch is short). / 损失按样本数加权平均。"""
    criterion, args, options = CRITERIA[criterion_name]
    gen = torch.Generator().manual_seed(7)
    c, n, batch = 5, 10, 4
    torch.manual_seed(8)
    here = nn.Sequential(nn.Linear(6, c))
    X = torch.randn(n, 6, generator=gen)
    X[8:] *= 6  # the short last batch (2 samples) has much larger losses
    y = torch.randint(0, c, (n,), generator=gen)
    expected = oracle_evaluate(here, X, y, criterion, batch_size=batch)["loss"]
    naive = mean_of_batch_losses(here, X, y, criterion, batch)
    assert abs(naive - expected) > 1e-2 * abs(expected), (  # the scenario tells the two apart
        "test scenario broken: the two ways of averaging agree (grader problem) "
        "/ 测试场景有误：两种平均方式结果相同（评分端问题）")
    got = result_of(eval_loop, remote_copy(here), loader_of(X, y, batch), CPU,
                    remote.build("a4_criterion", *args, **options)).get("loss")
    assert got is not None, (
        "with a criterion, loss must be a number, not None / 有 criterion 时 loss 应为数值，而不是 None")
    got = float(got)
    if math.isclose(got, naive, rel_tol=1e-5):
        pytest.fail("loss is the mean of the batch losses; with a short last batch that over-weights its samples. "
                    "Sum loss.item() * batch_size and divide by the number of samples / 请按样本数加权")
    assert math.isclose(got, expected, rel_tol=1e-4), (
        f"loss {got:.6f}, expected the sample-weighted mean of the given criterion {expected:.6f} "
        f"/ 损失应为按样本加权的平均值（使用传入的 criterion）")


@pytest.mark.points(2)
def test_evaluate_loss_is_none_without_criterion(eval_loop):
    """Without a criterion, "loss" is None. / 没有 criterion 时 loss 为 None。"""
    here, X, y = bn_problem(4)
    result = result_of(eval_loop, remote_copy(here), loader_of(X, y, 7), CPU)
    assert "loss" in result and result["loss"] is None, (
        "without a criterion the result's \"loss\" must be None / 没有 criterion 时结果中的 \"loss\" 应为 None")


@pytest.mark.points(6)
def test_evaluate_per_class_accuracy(eval_loop):
    """per_class_accuracy has one entry per class (model output width): correct / samples of that class, NaN for a class with no samples. / 逐类准确率，无样本的类为 NaN。"""
    c = 5
    gen = torch.Generator().manual_seed(11)
    y = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4])  # class 3 never occurs
    predictions = torch.where(torch.rand(len(y), generator=gen) < 0.6, y, torch.randint(0, c, (len(y),), generator=gen))
    predictions[5] = 3  # class 3 is predicted but never true
    X = chooser_inputs(predictions, c, seed=12)
    expected = oracle_evaluate(chooser(c), X, y)["per_class_accuracy"]
    got = result_of(eval_loop, remote_copy(chooser(c)), loader_of(X, y, 4), CPU).get("per_class_accuracy")
    try:
        got = [float(v) for v in (got.tolist() if isinstance(got, torch.Tensor) else got)]
    except (TypeError, ValueError):
        pytest.fail(f"per_class_accuracy must be a list of floats, got {type(got).__name__} "
                    f"/ per_class_accuracy 应为浮点数列表")
    assert len(got) == c, (
        f"per_class_accuracy has {len(got)} entries; the model has {c} output classes"
        f" / per_class_accuracy 应有 {c} 项（模型输出的类别数）")
    assert math.isnan(got[3]), (
        f"class 3 has no samples: its accuracy is undefined and must be NaN, got {got[3]} / 无样本的类应为 NaN")
    for k in (0, 1, 2, 4):
        assert math.isclose(got[k], expected[k], abs_tol=1e-6), (
            f"accuracy of class {k} is {got[k]:.4f}, expected {expected[k]:.4f} (correct / true samples of that class)"
            f" / 第 {k} 类的准确率应为 {expected[k]:.4f}（该类预测正确数 / 该类真实样本数）")


@pytest.mark.points(8)
@pytest.mark.parametrize("seed", [0, 1])
def test_evaluate_confusion_matrix(eval_loop, seed):
    """confusion_matrix is a torch.int64 tensor (C, C), C = model output width, rows = true class, columns = predicted. / 混淆矩阵：行为真实类别，列为预测类别。"""
    c = 6
    gen = torch.Generator().manual_seed(seed + 20)
    y = torch.tensor([0, 1, 2, 4])[torch.randint(0, 4, (17,), generator=gen)]  # classes 3 and 5 never true
    predictions = torch.randint(0, c, (17,), generator=gen)
    predictions[:3] = 5  # class 5 is predicted, never true: column 5 filled, row 5 empty
    # Class 3 is neither a label nor a prediction: scikit-learn's confusion_matrix without labels=
    # leaves its row and column out.
    predictions[predictions == 3] = 5
    X = chooser_inputs(predictions, c, seed=seed + 21)
    expected = oracle_evaluate(chooser(c), X, y)["confusion_matrix"]
    got = result_of(eval_loop, remote_copy(chooser(c)), loader_of(X, y, 5), CPU).get("confusion_matrix")
    assert isinstance(got, torch.Tensor), (
        f"confusion_matrix must be a torch.Tensor, got {type(got).__name__} / confusion_matrix 应为 torch.Tensor")
    assert got.dtype == torch.int64, (
        f"confusion_matrix must have dtype torch.int64, got {got.dtype} / confusion_matrix 的数据类型应为 torch.int64")
    if got.dim() == 2 and got.shape[0] == got.shape[1] == c - 1:
        pytest.fail(f"confusion_matrix has shape {tuple(got.shape)}: class 3 is neither a label nor a prediction "
                    f"here and lost its row and column. C is the model's output width {c}; with scikit-learn pass "
                    f"labels=list(range(C)) to confusion_matrix / 混淆矩阵少了一类：第 3 类既不是标签也不是预测，"
                    f"但仍要占一行一列；C 为模型输出的类别数 {c}，使用 scikit-learn 时请传入 labels=list(range(C))")
    assert tuple(got.shape) == (c, c), (
        f"confusion_matrix has shape {tuple(got.shape)}; C must be the model's output width {c}, even for "
        f"classes that never occur in the labels / C 应为模型输出的类别数")
    if not torch.equal(got, expected) and torch.equal(got.T, expected):
        pytest.fail("confusion_matrix is transposed: rows must be the TRUE class, columns the predicted class "
                    "/ 混淆矩阵转置了：行是真实类别，列是预测类别")
    assert torch.equal(got, expected), "confusion_matrix counts are wrong / 混淆矩阵计数错误"


@pytest.mark.points(4)
def test_evaluate_accuracy_num_samples_and_types(eval_loop):
    """accuracy is a float (correct / all samples), num_samples an int, per_class_accuracy a list; all samples of every batch count. / 返回值类型与准确率。"""
    c = 4
    gen = torch.Generator().manual_seed(31)
    y = torch.randint(0, c, (19,), generator=gen)
    predictions = torch.where(torch.rand(19, generator=gen) < 0.5, y, (y + 1) % c)
    X = chooser_inputs(predictions, c, seed=32)
    expected = oracle_evaluate(chooser(c), X, y, nn.CrossEntropyLoss())
    result = result_of(eval_loop, remote_copy(chooser(c)), loader_of(X, y, 6), CPU, remote.build("cross_entropy"))
    missing = {"accuracy", "loss", "per_class_accuracy", "confusion_matrix", "num_samples"} - set(result)
    assert not missing, (
        f"the result lacks the key(s) {sorted(missing)} / 结果缺少键 {sorted(missing)}")
    assert isinstance(result["accuracy"], float), (
        f"accuracy must be a Python float (use .item() / float()), got {type(result['accuracy']).__name__}"
        " / accuracy 应为 Python float（使用 .item() 或 float()）")
    assert isinstance(result["loss"], float), (
        f"loss must be a Python float, got {type(result['loss']).__name__} / loss 应为 Python float")
    assert isinstance(result["num_samples"], numbers.Integral) and not isinstance(result["num_samples"], bool), (
        f"num_samples must be an int, got {type(result['num_samples']).__name__}"
        " / num_samples 应为 int")
    assert isinstance(result["per_class_accuracy"], list), (
        "per_class_accuracy must be a list of floats / per_class_accuracy 应为浮点数列表")
    assert result["num_samples"] == 19, (
        f"num_samples is {result['num_samples']}, the loader holds 19 samples / num_samples 应为 19（数据加载器中的样本数）")
    assert math.isclose(result["accuracy"], expected["accuracy"], abs_tol=1e-6), (
        f"accuracy {result['accuracy']:.4f}, expected {expected['accuracy']:.4f} (correct predictions / all samples)"
        f" / 准确率应为 {expected['accuracy']:.4f}（预测正确的样本数 / 全部样本数）")


@pytest.mark.points(1)
def test_evaluate_moves_batches_to_device(eval_loop):
    """Inputs and labels of every batch are moved to the `device` argument with .to(device). / 输入和标签都要移动到 device。"""
    c = 3
    gen = torch.Generator().manual_seed(41)
    X, y = torch.randn(11, 4, generator=gen), torch.randint(0, c, (11,), generator=gen)
    here = nn.Sequential(nn.Linear(4, c))
    model = remote.build("a4_input_probe", layer_specs(here), state_dict={f"1.{k.partition('.')[2]}": v for k, v in here.state_dict().items()})
    loader, log = remote.build("tracked_loader", X, y, 4)
    result = result_of(eval_loop, model, loader, INDEXED_CPU, remote.build("cross_entropy"))
    moves = log.entries()
    batches = 3
    for role in ("inputs", "labels"):
        wrong = other_moves(moves, role, INDEXED_CPU)
        assert moves_to(moves, role, INDEXED_CPU) >= batches, (
            f"the {role} of each batch must be moved with .to(device) to the device passed in"
            + (f" (they were moved to {wrong} instead: do not hard-code a device)" if wrong else "")
            + f" / 每个批次的{'输入' if role == 'inputs' else '标签'}都要 .to(device)")
    assert model[0].unmoved == 0, (
        "the model received inputs that were not moved to the device (x.to(device) returns a new tensor: assign it) "
        "/ 模型收到了没有移动到 device 的输入（x.to(device) 返回新张量，需要赋值）")
    assert result.get("num_samples") == 11, (
        f"num_samples is {result.get('num_samples')}, the loader holds 11 samples / num_samples 应为 11")
