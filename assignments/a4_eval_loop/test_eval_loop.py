"""Public tests for A4: run `pytest` in this folder. 公开测试：在本目录运行 `pytest`。

They check the basics with helpful messages; the hidden tests used for grading check much more
(eval mode and running statistics, restoring the mode, no autograd, the short last batch, NaN for
absent classes, best weights that really are a copy, interrupted preparation, GPU checkpoints).
"""

import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.data.tiny_imagenet import write_raw_tree
from ailit_core.testing import implementation

eval_loop = implementation("eval_loop")
CPU = torch.device("cpu")


def small_problem(n=10, c=3):
    torch.manual_seed(0)
    X, y = torch.randn(n, 4), torch.randint(0, c, (n,))
    model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, c))
    return model, X, y


def test_evaluate_result_keys_and_shapes():
    model, X, y = small_problem()
    result = eval_loop.evaluate(model, DataLoader(TensorDataset(X, y), batch_size=4), CPU, nn.CrossEntropyLoss())
    assert set(result) >= {"accuracy", "loss", "per_class_accuracy", "confusion_matrix", "num_samples"}, \
        "keys accuracy, loss, per_class_accuracy, confusion_matrix, num_samples / 结果字典缺少键"
    assert result["num_samples"] == 10, "count every sample, also those of the short last batch / 统计所有样本"
    assert result["confusion_matrix"].shape == (3, 3), "C x C with C = the model's output width / 形状为 (C, C)"
    assert result["confusion_matrix"].dtype == torch.int64, "counts as torch.int64 / 混淆矩阵为 torch.int64 计数"
    assert int(result["confusion_matrix"].sum()) == 10, "one count per sample / 每个样本计数一次"
    assert 0.0 <= result["accuracy"] <= 1.0, "accuracy is a fraction in [0, 1] / 准确率在 [0, 1] 之间"
    assert len(result["per_class_accuracy"]) == 3, "one accuracy per class / 每个类别一个准确率"


def test_evaluate_restores_train_mode():
    model, X, y = small_problem()
    model.train()
    eval_loop.evaluate(model, DataLoader(TensorDataset(X, y), batch_size=4), CPU)
    assert model.training, "evaluate must put the model back in the mode it had before / 评估后要恢复原来的模式"


def test_evaluate_loss_none_without_criterion():
    model, X, y = small_problem()
    assert eval_loop.evaluate(model, DataLoader(TensorDataset(X, y), batch_size=4), CPU)["loss"] is None, \
        "without a criterion the loss is None / 没有 criterion 时 loss 为 None"


def test_train_model_returns_model_and_history():
    model, X, y = small_problem(n=24)
    loaders = {"train": DataLoader(TensorDataset(X, y), batch_size=8), "val": DataLoader(TensorDataset(X, y), batch_size=8)}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    trained, history = eval_loop.train_model(model, nn.CrossEntropyLoss(), optimizer, scheduler, loaders, 3, CPU)
    assert len(history) == 3, "one history entry per epoch / 每个 epoch 一条记录"
    assert set(history[0]) >= {"epoch", "train_loss", "train_acc", "val_loss", "val_acc"}, \
        "history entries have epoch, train_loss, train_acc, val_loss, val_acc / 每条记录应包含这些键"
    best = max(h["val_acc"] for h in history)
    check = eval_loop.evaluate(trained, loaders["val"], CPU)
    assert math.isclose(check["accuracy"], best, abs_tol=1e-6), \
        "the returned model should have the best validation accuracy of the history / 应返回最佳权重"


def test_prepare_tiny_imagenet_for_image_folder(tmp_path):
    from torchvision.datasets import ImageFolder

    root = write_raw_tree(tmp_path / "tiny-imagenet-200", num_classes=3, train_per_class=4, val_per_class=2)
    eval_loop.prepare_tiny_imagenet(root)
    train, val = ImageFolder(str(root / "train")), ImageFolder(str(root / "val"))
    assert len(train) == 12 and len(val) == 6, "every image must be found by ImageFolder / 所有图片都应被找到"
    assert train.classes == val.classes, "train/ and val/ must have one folder per wnid / 每个类别一个文件夹"
    assert not list(root.glob("train/*/*_boxes.txt")), "drop the <wnid>_boxes.txt files / 删除 boxes 文件"
    eval_loop.prepare_tiny_imagenet(root)  # a second run must work and change nothing
    assert len(ImageFolder(str(root / "train"))) == 12, "running it twice must not lose images / 重复运行不能丢图片"


def test_load_for_eval_round_trip(tmp_path):
    model, _, _ = small_problem()
    torch.save(model.state_dict(), tmp_path / "model.pth")
    fresh, _, _ = small_problem()
    with torch.no_grad():
        for p in fresh.parameters():
            p.zero_()
    loaded = eval_loop.load_for_eval(tmp_path / "model.pth", fresh.train(), CPU)
    assert not loaded.training, "return the model in eval mode / 返回 eval 模式的模型"
    assert torch.equal(loaded[0].weight, model[0].weight), "the weights must come from the checkpoint / 权重应来自保存的文件"
