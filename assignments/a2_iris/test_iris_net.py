"""Public tests for A2: run `pytest` in this folder. 公开测试：在本目录运行 `pytest`。

They check the basics with helpful messages; the hidden tests used for grading check much more
(other layer sizes, the exact training step, evaluation mode, devices, the baselines).
"""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ailit_core.testing import implementation

iris_net = implementation("iris_net")

torch.set_num_threads(1)  # tiny models: extra threads only slow them down


def test_irisnet_outputs_logits():
    torch.manual_seed(0)
    model = iris_net.IrisNet()
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params == 4 * 10 + 10 + 10 * 3 + 3, \
        f"IrisNet() should have 83 parameters, has {n_params} / 参数个数应为 83"
    out = model(torch.randn(5, 4) * 3)
    assert out.shape == (5, 3), "forward returns (N, num_classes) / 输出形状应为 (N, 3)"
    assert not torch.allclose(out.sum(dim=1), torch.ones(5)), \
        "forward should return raw logits, not softmax probabilities / forward 返回 logits，不要 softmax"


def test_load_data_split_is_stratified_and_standardised():
    X_train, X_test, y_train, y_test = iris_net.load_data()
    assert X_train.shape == (120, 4) and X_test.shape == (30, 4), \
        "an 80/20 split of the 150 flowers: 120 train, 30 test / 150 个样本按 80/20 划分：训练 120，测试 30"
    assert X_train.dtype == torch.float32 and y_train.dtype == torch.int64, \
        "features float32, labels int64 (torch.long) / 特征 float32，标签 int64"
    assert torch.bincount(y_test).tolist() == [10, 10, 10], \
        "a stratified split puts 10 flowers of each class in the test set / 分层划分：测试集每类 10 个"
    assert torch.allclose(X_train.mean(dim=0), torch.zeros(4), atol=1e-5), \
        "training features should have mean 0: fit the StandardScaler on X_train / 在训练集上拟合标准化器"


def test_one_epoch_of_training_lowers_the_loss():
    X_train, _, y_train, _ = iris_net.load_data()
    torch.manual_seed(0)
    model = iris_net.IrisNet()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=16, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    losses = [iris_net.train(model, loader, nn.CrossEntropyLoss(), optimizer, torch.device("cpu")) for _ in range(5)]
    assert all(isinstance(v, float) for v in losses), "train returns a Python float / train 返回 Python float"
    assert losses[-1] < losses[0], "the loss should go down over 5 epochs / 5 个 epoch 后损失应下降"


def test_evaluate_returns_fraction_and_predictions():
    _, X_test, _, y_test = iris_net.load_data()
    torch.manual_seed(0)
    accuracy, predicted = iris_net.evaluate(iris_net.IrisNet(), X_test, y_test, torch.device("cpu"))
    assert isinstance(accuracy, float) and 0.0 <= accuracy <= 1.0, \
        "accuracy is a Python float in [0, 1] (use .item()) / 准确率是 [0, 1] 之间的 float"
    assert predicted.shape == (30,), "one predicted class per sample / 每个样本一个预测类别"
