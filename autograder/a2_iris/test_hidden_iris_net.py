"""Hidden tests for a2_iris (100 points).

The student's module runs in its own process (``iris_net`` is a proxy, ``ailit_core.grade.remote``);
every check is made here, on plain data that process returns. ``train`` and ``evaluate`` get the
test's own small models, loaders and optimizers, built on the student's side from recipes (so a
broken IrisNet costs points only once), and are judged by their outcome against a replay here:
the parameters after an epoch, BatchNorm's running statistics (train mode), predictions under
Dropout (eval mode), the accuracy of ``run``'s model measured here from its weights. Every
comparison allows what correct code may do differently (nn.Sequential or separate layers, F.relu,
any seed order, ``len(batch)`` or ``batch.size(0)``, ``argmax`` or ``torch.max``, ``no_grad`` or
``inference_mode``, KMeans restarts).

Probes that run beside the student's code (device moves logged by tensors, autograd seen from the
model's forward, the optimizer steps ``run`` takes) could be forged by that code, so each carries
1 point (GRADING.md, threat model).
"""

import copy
import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, adjusted_rand_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from ailit_core.grade import remote

CPU = torch.device("cpu")
SIZES = [(4, 10, 3), (7, 5, 2), (3, 16, 6), (12, 4, 5)]


# --- oracles -------------------------------------------------------------------------------------


def oracle_labels(test_size, random_state, *, stratify):
    """y_train, y_test of the course's split (and of the same split without stratify)."""
    X, y = load_iris(return_X_y=True)
    _, _, y_train, y_test = train_test_split(X, y, test_size=test_size, random_state=random_state,
                                             stratify=y if stratify else None)
    return y_train, y_test


@functools.lru_cache(maxsize=None)
def oracle_baseline_accuracies(random_state):
    """Logistic-regression accuracies a correct 70/30 split of standardised Iris may give.

    The contract fixes neither stratification nor where the scaler is fitted, so each combination
    counts as correct (max_iter does not matter: lbfgs converges in a few dozen iterations here).
    """
    X, y = load_iris(return_X_y=True)
    accepted = set()
    for stratify in (None, y):
        for fit_on_train in (False, True):
            data = X if fit_on_train else StandardScaler().fit_transform(X)
            a, b, c, d = train_test_split(data, y, test_size=0.3, random_state=random_state, stratify=stratify)
            if fit_on_train:
                scaler = StandardScaler().fit(a)
                a, b = scaler.transform(a), scaler.transform(b)
            clf = LogisticRegression(max_iter=1000).fit(a, c)
            accepted.add(round(float(accuracy_score(d, clf.predict(b))), 9))
    return frozenset(accepted)


def standardised_iris():
    return StandardScaler().fit_transform(load_iris().data)


def misassigned(X, labels):
    """How many samples are nearer another cluster's mean than their own (0 for any k-means result)."""
    clusters = np.unique(labels)
    means = np.stack([X[labels == k].mean(axis=0) for k in clusters])
    nearest = clusters[((X[:, None, :] - means[None]) ** 2).sum(-1).argmin(axis=1)]
    return int((nearest != labels).sum())


def oracle_logits(first, second, X):
    return F.relu(X @ first.weight.T + first.bias) @ second.weight.T + second.bias


def linear_layers(model, sizes):
    """The model's two Linear layers, as trusted copies of their weights (see ``trusted_linear``)."""
    n_in, hidden, n_out = sizes
    linears = [trusted_linear(m) for m in model.modules() if m.isinstance_of("torch.nn.Linear")]
    found = ", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears) or "none"
    assert len(linears) == 2, (
        f"IrisNet{sizes} should hold exactly two nn.Linear layers (found: {found}) / 应恰好包含两个 nn.Linear")
    first = [m for m in linears if (m.in_features, m.out_features) == (n_in, hidden)]
    second = [m for m in linears if (m.in_features, m.out_features) == (hidden, n_out)]
    assert first and second, (
        f"IrisNet{sizes} should be Linear({n_in}, {hidden}) -> ReLU -> Linear({hidden}, {n_out}); found {found}. "
        "Use the constructor's arguments, not fixed numbers / 请使用构造函数的参数，不要写死尺寸")
    return first[0], second[0]


def trusted_linear(module):
    """A Linear layer here with the weights of a Linear layer in the student's process."""
    weight, bias = module.weight, module.bias
    assert isinstance(weight, torch.Tensor) and weight.dim() == 2, "a Linear layer without a weight matrix / 线性层缺少权重"
    layer = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


LAYERS = [["Linear", 4, 6], ["ReLU"], ["Linear", 6, 3]]


def small_model(seed, n_in=4, hidden=6, n_out=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


def remote_copy(model, layers=LAYERS):
    """The same model (architecture and weights), built in the student's process."""
    return remote.build("sequential", layers, state_dict=model.state_dict())


def remote_state(model):
    state = model.state_dict()
    assert isinstance(state, dict), "state_dict() did not return a dict / state_dict() 应返回字典"
    return state


def same_parameters(state, model, atol=1e-5):
    return all(torch.allclose(state[k].float(), v.float(), atol=atol) for k, v in model.state_dict().items())


def train_problem(seed, n=37, n_in=4, n_classes=3):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, n_in, generator=gen) * 1.5
    y = torch.randint(0, n_classes, (n,), generator=gen)
    return X, y


def model_argmin(model, X):
    """The class each sample is least likely to be: labels that make a batch's loss large."""
    with torch.no_grad():
        return model(X).argmin(dim=1)


def oracle_epoch(model, X, y, batch_size, lr, *, zero_grad=True):
    """Plain SGD over fixed-order batches; returns (sample-weighted mean loss, batch losses)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    total, batch_losses = 0.0, []
    for start in range(0, len(X), batch_size):
        xb, yb = X[start:start + batch_size], y[start:start + batch_size]
        if zero_grad:
            optimizer.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(xb)
        batch_losses.append(loss.item())
    return total / len(X), batch_losses


# --- helpers --------------------------------------------------------------------------------------


def as_float(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        pytest.fail(f"{what} must be a number, got {type(value).__name__} / {what} 应为数字")


def quiet_run(iris_net, **kwargs):
    result = iris_net.run(**kwargs)  # progress prints go to the student's output, not to feedback
    assert isinstance(result, dict), f"run() must return a dict, got {type(result).__name__} / run() 应返回字典"
    return result


def loader_of(X, y, batch_size):
    return remote.build("tensor_loader", X, y, batch_size)


def remote_sgd(model, lr):
    return remote.build("sgd", model, lr)


# --- IrisNet -------------------------------------------------------------------------------------


@pytest.mark.points(6)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_parameter_count(iris_net, sizes):
    """IrisNet(input_size, hidden_size, num_classes) has in*h + h + h*c + c parameters (83 by default). / 参数个数正确。"""
    n_in, hidden, n_out = sizes
    model = iris_net.IrisNet() if sizes == (4, 10, 3) else iris_net.IrisNet(n_in, hidden, n_out)
    count = sum(p.numel() for p in model.parameters())
    expected = n_in * hidden + hidden + hidden * n_out + n_out
    assert count == expected, (
        f"IrisNet{sizes} has {count} parameters, expected {n_in}*{hidden}+{hidden}+{hidden}*{n_out}+{n_out} = {expected} "
        f"/ 参数个数为 {count}，应为 {expected}")


@pytest.mark.points(8)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_forward_is_linear_relu_linear(iris_net, sizes):
    """forward computes Linear -> ReLU -> Linear for any sizes, output (N, num_classes). / 前向传播结构正确。"""
    torch.manual_seed(sum(sizes))
    model = iris_net.IrisNet(*sizes)
    first, second = linear_layers(model, sizes)
    X = torch.randn(9, sizes[0]) * 2
    got = model(X)
    assert isinstance(got, torch.Tensor), f"forward must return a tensor, got {type(got).__name__} / forward 应返回张量"
    assert tuple(got.shape) == (9, sizes[2]), (
        f"output shape {tuple(got.shape)}, expected (9, {sizes[2]}) / 输出形状应为 (9, {sizes[2]})")
    with torch.no_grad():
        expected = oracle_logits(first, second, X)
        got = got.detach()
        if torch.allclose(got, torch.softmax(expected, dim=1), atol=1e-5):
            pytest.fail("forward applies softmax; return the raw logits (CrossEntropyLoss applies log-softmax itself) "
                        "/ forward 不应做 softmax，应返回原始 logits")
        if torch.allclose(got, second(first(X)), atol=1e-5):
            pytest.fail("no ReLU between the two Linear layers / 两个线性层之间缺少 ReLU")
    assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5), (
        "forward is not Linear -> ReLU -> Linear on the input / 前向传播应为 线性层 → ReLU → 线性层")


@pytest.mark.points(6)
def test_forward_returns_raw_logits(iris_net):
    """forward returns raw logits, not probabilities: CrossEntropyLoss on them equals the true loss. / 输出 logits 而非概率。"""
    torch.manual_seed(3)
    model = iris_net.IrisNet()
    state = remote_state(model)
    model.load_state_dict({k: v * 3.0 for k, v in state.items()})  # large logits: probabilities are far from them
    first, second = linear_layers(model, (4, 10, 3))
    X = torch.randn(64, 4) * 2
    y = torch.randint(0, 3, (64,))
    out = model(X).detach()
    with torch.no_grad():
        true_logits = oracle_logits(first, second, X)
    assert tuple(model(X[:1]).shape) == (1, 3), "a single sample must give output shape (1, 3) / 单个样本的输出形状应为 (1, 3)"
    if torch.allclose(out.sum(dim=1), torch.ones(64), atol=1e-4) and bool((out >= 0).all()):
        pytest.fail("the outputs are probabilities (rows sum to 1): return raw logits, without softmax / 不要在 forward 中做 softmax")
    if bool((out <= 1e-6).all()) and torch.allclose(torch.logsumexp(out, dim=1), torch.zeros(64), atol=1e-4):
        pytest.fail("the outputs are log-probabilities (log_softmax): return raw logits / 请返回原始 logits")
    expected = F.cross_entropy(true_logits, y)
    got = F.cross_entropy(out, y)
    assert math.isclose(float(got), float(expected), rel_tol=1e-4, abs_tol=1e-5), (
        f"CrossEntropyLoss on your outputs is {float(got):.4f}, on the true logits {float(expected):.4f}: "
        "forward must return raw logits / forward 应返回原始 logits")


# --- load_data -----------------------------------------------------------------------------------


def _load(iris_net, **kwargs):
    out = iris_net.load_data(**kwargs)
    assert isinstance(out, (tuple, list)) and len(out) == 4, (
        "load_data must return X_train, X_test, y_train, y_test / load_data 应返回四个张量")
    for name, t in zip(("X_train", "X_test", "y_train", "y_test"), out):
        assert isinstance(t, torch.Tensor), f"{name} must be a torch.Tensor, got {type(t).__name__} / {name} 应为张量"
    return [t.detach() for t in out]


@pytest.mark.points(4)
def test_load_data_shapes_and_dtypes(iris_net):
    """load_data() gives X (120, 4)/(30, 4) float32 and y (120,)/(30,) int64 with labels 0..2. / 形状与数据类型。"""
    X_train, X_test, y_train, y_test = _load(iris_net)
    assert tuple(X_train.shape) == (120, 4) and tuple(X_test.shape) == (30, 4), (
        f"feature shapes {tuple(X_train.shape)}, {tuple(X_test.shape)}; expected (120, 4), (30, 4) / 特征形状应为 (120, 4) 与 (30, 4)")
    assert tuple(y_train.shape) == (120,) and tuple(y_test.shape) == (30,), (
        f"label shapes {tuple(y_train.shape)}, {tuple(y_test.shape)}; expected (120,), (30,) / 标签形状应为 (120,) 与 (30,)")
    assert X_train.dtype == torch.float32 and X_test.dtype == torch.float32, (
        f"features must be float32 (the model's weights are float32), got {X_train.dtype} / 特征应为 float32")
    assert y_train.dtype == torch.int64 and y_test.dtype == torch.int64, (
        f"labels must be int64 (torch.long) for CrossEntropyLoss, got {y_train.dtype} / 标签应为 int64")
    assert set(torch.cat([y_train, y_test]).tolist()) == {0, 1, 2}, "labels must be the class indices 0, 1, 2 / 标签应为类别下标 0、1、2"


@pytest.mark.points(5)
@pytest.mark.parametrize("test_size,random_state", [(0.2, 42), (0.3, 0), (0.4, 3), (0.1, 5)])
def test_load_data_stratified(iris_net, test_size, random_state):
    """The split is stratified: each class has the same share in train and test. / 分层划分（stratify=y）。"""
    # Iris has 50 flowers per class and these test sizes split 50 evenly, so a stratified split has
    # equal class counts in both parts whatever the random_state (checked on its own below).
    _, _, y_train, y_test = _load(iris_net, test_size=test_size, random_state=random_state)
    for part, labels in (("test", y_test), ("training", y_train)):
        counts = np.bincount(labels.numpy(), minlength=3).tolist()
        assert len(set(counts)) == 1, (
            f"load_data(test_size={test_size}): {part}-set class counts {counts}, a stratified split has "
            "equal counts: pass stratify=y to train_test_split / 请使用 stratify=y 分层划分")


@pytest.mark.points(7)
@pytest.mark.parametrize("test_size,random_state", [(0.2, 42), (0.3, 7)])
def test_load_data_scaler_fitted_on_train_only(iris_net, test_size, random_state):
    """StandardScaler is fitted on the training part only and applied to both parts. / 标准化只在训练集上拟合。"""
    # Checked on the student's own split (a wrong split costs points elsewhere): both parts must be
    # one per-column map x -> (x - mu) / sigma of the raw flowers, with mu, sigma those of the
    # training part. The map is recovered from all 150 rows together, whichever rows went where.
    X_train, X_test, _, _ = (t.double().numpy() for t in _load(iris_net, test_size=test_size,
                                                                random_state=random_state))
    raw = load_iris().data
    both = np.concatenate([X_train, X_test])
    assert both.shape == raw.shape, f"X_train and X_test together have shape {both.shape}, expected {raw.shape} / 训练集与测试集合起来的形状应为 {raw.shape}"
    scale = raw.std(axis=0) / both.std(axis=0)
    shift = raw.mean(axis=0) - scale * both.mean(axis=0)
    unscaled = both * scale + shift
    same_map = np.allclose(np.sort(unscaled, axis=0), np.sort(raw, axis=0), atol=1e-3)
    train_mean, train_std = X_train.mean(axis=0), X_train.std(axis=0)
    train_standard = np.allclose(train_mean, 0, atol=1e-3) and np.allclose(train_std, 1, atol=1e-3)
    if same_map and train_standard:
        return
    if same_map and np.allclose(both.mean(axis=0), 0, atol=1e-3) and np.allclose(both.std(axis=0), 1, atol=1e-3):
        pytest.fail("the scaler was fitted on all the data (before splitting), so test data leaked into it: fit it "
                    "on X_train only, then transform X_test / 标准化器只能在训练集上拟合")
    test_mean, test_std = X_test.mean(axis=0), X_test.std(axis=0)
    if np.allclose(test_mean, 0, atol=1e-3) and np.allclose(test_std, 1, atol=1e-3):
        pytest.fail("the test part is standardised with its own statistics (fit on X_test): use the scaler fitted "
                    "on X_train and only .transform(X_test) / 测试集只做 transform")
    if same_map and np.allclose(train_std, math.sqrt((len(X_train) - 1) / len(X_train)), atol=1e-3):
        pytest.fail("the features are divided by the sample (n-1) standard deviation; StandardScaler uses the "
                    "population one (torch.std needs unbiased=False) / 应使用总体标准差（StandardScaler 的做法）")
    if train_standard:
        pytest.fail("the test part is not scaled with the training part's mean and std: fit the scaler on X_train, "
                    "then transform X_test with it / 测试集应使用训练集的均值和标准差")
    pytest.fail(f"the training features are not standardised: column means {np.round(train_mean, 3).tolist()}, "
                f"stds {np.round(train_std, 3).tolist()} (expected 0 and 1) / 训练集特征应均值为 0、标准差为 1")


@pytest.mark.points(4)
def test_load_data_honours_arguments(iris_net):
    """test_size and random_state are passed on to the split. / test_size 与 random_state 参数生效。"""
    X_train, X_test, _, y_test = _load(iris_net, test_size=0.3, random_state=7)
    assert len(X_train) == 105 and len(X_test) == 45, (
        f"test_size=0.3 should give 105/45 samples, got {len(X_train)}/{len(X_test)}: test_size is not used / test_size 参数未生效")
    assert any(np.array_equal(y_test.numpy(), oracle_labels(0.3, 7, stratify=s)[1]) for s in (True, False)), (
        "load_data(random_state=7) does not give the split of train_test_split(..., random_state=7): "
        "random_state is not used / random_state 参数未生效")
    a, b = _load(iris_net, random_state=1)[2], _load(iris_net, random_state=2)[2]
    assert not torch.equal(a, b), "different random_state values give the same split / 不同的 random_state 得到了相同的划分"


# --- train ---------------------------------------------------------------------------------------


@pytest.mark.points(11)
def test_train_steps_once_per_batch_with_zeroed_gradients(iris_net):
    """train steps once per batch, each on that batch's gradient only (zero_grad). / 每个 batch 清零梯度并更新一次。"""
    X, y = train_problem(11)
    reference = small_model(4)
    model = remote_copy(small_model(4))
    iris_net.train(model, loader_of(X, y, 8), remote.build("cross_entropy"), remote_sgd(model, 0.5), CPU)  # 5 batches
    state = remote_state(model)
    oracle_epoch(reference, X, y, 8, 0.5)
    if same_parameters(state, reference):
        return
    accumulated = small_model(4)
    oracle_epoch(accumulated, X, y, 8, 0.5, zero_grad=False)
    if same_parameters(state, accumulated):
        pytest.fail("gradients accumulate across batches: call optimizer.zero_grad() before loss.backward() "
                    "/ 忘记 optimizer.zero_grad()，梯度在各 batch 之间累加")
    if same_parameters(state, small_model(4)):
        pytest.fail("the parameters did not change: call loss.backward() and optimizer.step() for every batch "
                    "/ 参数没有更新：每个 batch 都要 backward() 和 step()")
    pytest.fail("the parameters after one epoch differ from forward -> loss -> backward -> step once per batch "
                "/ 一个 epoch 后的参数与“每个 batch 前向、求损失、反向、更新一次”不一致")


@pytest.mark.points(7)
def test_train_returns_sample_weighted_mean_loss(iris_net):
    """train returns sum(batch loss * batch size) / number of samples (the short last batch weighs less). / 按样本数加权的平均损失。"""
    # lr=0 keeps the weights fixed, so the right answer is the loss over all 37 samples at once,
    # whatever else the training step does.
    X, y = train_problem(12, n=37)
    y[32:] = model_argmin(small_model(5), X[32:])  # a short last batch unlike the others
    model = remote_copy(small_model(5))
    result = iris_net.train(model, loader_of(X, y, 8), remote.build("cross_entropy"), remote_sgd(model, 0.0), CPU)
    assert not isinstance(result, torch.Tensor), (
        "train returned a tensor; return a Python float (loss.item(): a tensor keeps the autograd graph alive) "
        "/ train 应返回 Python float（使用 loss.item()）")
    got = as_float(result, "train's return value")
    with torch.no_grad():
        reference = small_model(5)
        expected = F.cross_entropy(reference(X), y).item()
        batch_mean = float(np.mean([F.cross_entropy(reference(X[i:i + 8]), y[i:i + 8]).item() for i in range(0, 37, 8)]))
    if math.isclose(got, expected, rel_tol=1e-4, abs_tol=1e-6):
        return
    if math.isclose(got, batch_mean, rel_tol=1e-4):
        pytest.fail("train returns the mean of the batch losses; weight each by its batch size and divide by the "
                    "number of samples (the last batch is smaller) / 需按 batch 大小加权平均")
    pytest.fail(f"train returned {got:.5f}; the sample-weighted mean loss of the epoch is {expected:.5f} "
                f"/ 返回值 {got:.5f}，按样本加权的平均损失应为 {expected:.5f}")


@pytest.mark.points(3)
def test_train_sets_train_mode(iris_net):
    """train puts the model in training mode (model.train()), e.g. after an evaluation. / 训练前调用 model.train()。"""
    # BatchNorm updates its running statistics only in training mode: two batches of 10 must be
    # counted in num_batches_tracked (lr=0 keeps everything else fixed).
    X, y = train_problem(13, n=20)
    layers = [["Linear", 4, 8], ["BatchNorm1d", 8], ["ReLU"], ["Linear", 8, 3]]
    torch.manual_seed(13)
    model = remote.build("sequential", layers)
    model.eval()  # as left by a previous evaluate()
    iris_net.train(model, loader_of(X, y, 10), remote.build("cross_entropy"), remote_sgd(model, 0.0), CPU)
    tracked = int(remote_state(model)["1.num_batches_tracked"])
    assert tracked == 2, (
        "the model ran in eval mode during training: call model.train() at the start of train "
        "(Dropout/BatchNorm behave differently) / 训练开始时应调用 model.train()")


@pytest.mark.points(1)
def test_train_moves_batches_to_device(iris_net):
    """train moves each batch's inputs and labels to `device` (batch.to(device)). / 把每个 batch 移到 device。"""
    X, y = train_problem(14, n=20)
    model = remote_copy(small_model(6))
    loader, log = remote.build("tracked_loader", X, y, 8)
    iris_net.train(model, loader, remote.build("cross_entropy"), remote_sgd(model, 0.1), CPU)
    moves = log.entries()
    assert any(role == "inputs" and device == "cpu" for role, device in moves), (
        "the batch inputs were never moved with .to(device): on a GPU the model would get CPU tensors "
        "/ 输入数据需要 .to(device)")
    assert any(role == "labels" and device == "cpu" for role, device in moves), (
        "the batch labels were never moved with .to(device): the loss needs them on the model's device "
        "/ 标签也需要 .to(device)")


# --- evaluate ------------------------------------------------------------------------------------


def _evaluate(iris_net, model, X, y, device=CPU):
    out = iris_net.evaluate(model, X, y, device)
    assert isinstance(out, (tuple, list)) and len(out) == 2, (
        "evaluate must return (accuracy, predictions) / evaluate 应返回 (准确率, 预测)")
    return out


@pytest.mark.points(5)
def test_evaluate_accuracy_and_predictions(iris_net):
    """evaluate returns the accuracy as a fraction in [0, 1] and the predicted classes (N,) = argmax of the logits. / 准确率与预测。"""
    torch.manual_seed(21)
    model = nn.Linear(5, 4)
    X = torch.randn(23, 5)
    with torch.no_grad():
        predicted = model(X).argmax(dim=1)
    y = predicted.clone()
    y[[1, 4, 9, 12, 17, 20]] = (y[[1, 4, 9, 12, 17, 20]] + 1) % 4  # 17 of 23 right
    accuracy, preds = _evaluate(iris_net, remote.build("sequential", [["Linear", 5, 4]],
                                                       state_dict={f"0.{k}": v for k, v in model.state_dict().items()}),
                                X, y)
    acc = as_float(accuracy, "the accuracy")
    if math.isclose(acc, 100 * 17 / 23, rel_tol=1e-5):
        pytest.fail("accuracy is a percentage; return a fraction in [0, 1] / 准确率应在 [0, 1] 之间")
    assert 0.0 <= acc <= 1.0, f"accuracy {acc} is not in [0, 1] / 准确率 {acc} 不在 [0, 1] 内"
    assert math.isclose(acc, 17 / 23, abs_tol=1e-6), f"accuracy {acc:.4f}, expected 17/23 = {17 / 23:.4f} / 准确率错误"
    assert isinstance(preds, torch.Tensor), f"predictions must be a tensor, got {type(preds).__name__} / 预测应为张量"
    assert tuple(preds.shape) == (23,), f"predictions have shape {tuple(preds.shape)}, expected (N,) = (23,) / 预测形状应为 (23,)"
    assert not preds.is_floating_point(), "predictions must be class indices (integers), not scores / 预测应为类别下标"
    assert torch.equal(preds.long(), predicted), "predictions must be the argmax of the logits over dim 1 / 预测应为 logits 在 dim=1 上的 argmax"


@pytest.mark.points(1)
def test_evaluate_accuracy_is_python_float(iris_net):
    """The accuracy is a Python float (e.g. via .item()), not a tensor. / 准确率是 Python float（用 .item()）。"""
    torch.manual_seed(22)
    X, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    accuracy, _ = _evaluate(iris_net, remote.build("sequential", [["Linear", 4, 3]], seed=22), X, y)
    assert isinstance(accuracy, float), (
        f"accuracy is a {type(accuracy).__name__}; return a Python float, e.g. (...).mean().item() / 准确率应为 Python float")


@pytest.mark.points(1)
def test_evaluate_without_autograd(iris_net):
    """evaluate runs the model under torch.no_grad() and leaves autograd on afterwards. / 评估时不计算梯度。"""
    model = remote.build("grad_probe", 4, 3, seed=23)
    X, y = torch.randn(15, 4), torch.randint(0, 3, (15,))
    _evaluate(iris_net, model, X, y)
    flags = model.grad_flags
    assert flags, "evaluate never called the model / evaluate 没有调用模型"
    assert not any(flags), (
        "the model ran with autograd on: wrap the evaluation in `with torch.no_grad():` / 评估应在 torch.no_grad() 下进行")
    assert remote.build("grad_enabled"), (
        "autograd stayed off after evaluate (torch.set_grad_enabled(False)?): use a `with torch.no_grad():` block so "
        "later training still gets gradients / 评估后梯度计算仍被关闭：请使用 with torch.no_grad(): 语句块")


@pytest.mark.points(5)
def test_evaluate_in_eval_mode(iris_net):
    """evaluate puts the model in eval mode (model.eval()): Dropout off, deterministic predictions. / 评估前调用 model.eval()。"""
    # With Dropout(0.5) left on, some of 300 predictions differ from the eval-mode model's.
    layers = [["Linear", 4, 32], ["ReLU"], ["Dropout", 0.5], ["Linear", 32, 3]]
    torch.manual_seed(24)
    here = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3)).eval()
    X = torch.randn(300, 4) * 2
    with torch.no_grad():
        predicted = here(X).argmax(dim=1)
    model = remote.build("sequential", layers, state_dict=here.state_dict())
    model.train()
    accuracy, preds = _evaluate(iris_net, model, X, predicted)
    assert torch.equal(torch.as_tensor(preds).long(), predicted) and math.isclose(as_float(accuracy, "the accuracy"), 1.0), (
        "the model ran in training mode during evaluation (Dropout dropped units): call model.eval() first "
        "/ 评估前应调用 model.eval()")


@pytest.mark.points(1)
def test_evaluate_moves_inputs_to_device(iris_net):
    """evaluate moves X to `device` before calling the model. / 评估时把输入移到 device。"""
    torch.manual_seed(25)
    X, y, log = remote.build("tracked_tensors", torch.randn(12, 4), torch.randint(0, 3, (12,)))
    _evaluate(iris_net, remote.build("sequential", [["Linear", 4, 3]], seed=25), X, y)
    assert any(role == "inputs" and device == "cpu" for role, device in log.entries()), (
        "X was never moved with .to(device): on a GPU the model would get CPU tensors / 输入需要 .to(device)")


# --- run -----------------------------------------------------------------------------------------


def run_model_layers(result):
    model = result["model"]
    assert isinstance(model, remote.RemoteObject) and model.isinstance_of("torch.nn.Module"), (
        f"result['model'] must be the trained nn.Module, got {type(model).__name__} / result['model'] 应为训练好的模型")
    return model


@pytest.mark.points(3)
def test_run_result_keys_and_losses(iris_net):
    """run returns {"test_accuracy", "losses" (one float per epoch), "model"}. / run 的返回值。"""
    result = quiet_run(iris_net, num_epochs=4, seed=1)
    missing = {"test_accuracy", "losses", "model"} - set(result)
    assert not missing, f"run() result lacks the key(s) {sorted(missing)} / run() 的结果缺少 {sorted(missing)}"
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 4, f"run(num_epochs=4) returned {len(losses)} losses; expected one per epoch / 每个 epoch 一个损失"
    assert all(math.isfinite(v) and v > 0 for v in losses), f"losses must be positive finite numbers: {losses} / 损失应为正的有限数"
    assert 0.0 <= as_float(result["test_accuracy"], "test_accuracy") <= 1.0, "test_accuracy must be in [0, 1] / 应在 [0, 1] 内"
    out = run_model_layers(result)(torch.randn(5, 4))
    assert tuple(out.shape) == (5, 3), (
        f"the returned model maps (5, 4) to {tuple(out.shape)}, expected (5, 3) / 返回的模型输出形状应为 (5, 3)")


@pytest.mark.points(5)
def test_run_reaches_90_percent(iris_net):
    """run() with the defaults (100 epochs) reaches test accuracy >= 0.9, measured here on the test split. / 测试准确率 ≥ 0.9。"""
    result = quiet_run(iris_net)
    acc = as_float(result["test_accuracy"], "test_accuracy")
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 100, f"run() trains 100 epochs by default, got {len(losses)} losses / 默认应训练 100 个 epoch"
    assert losses[-1] < losses[0], f"the loss did not go down: first {losses[0]:.4f}, last {losses[-1]:.4f} / 损失没有下降"
    # Measured here, from the returned model's weights, on the course's split (not a number the
    # student's process reports).
    first, second = linear_layers(run_model_layers(result), (4, 10, 3))
    X, y = load_iris(return_X_y=True)
    X_train, X_test, _, y_test = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
    scaler = StandardScaler().fit(X_train)
    with torch.no_grad():
        logits = oracle_logits(first, second, torch.tensor(scaler.transform(X_test), dtype=torch.float32))
    own = float((logits.argmax(dim=1).numpy() == y_test).mean())
    assert own >= 0.9, f"the returned model scores {own:.3f} < 0.9 on the test split after 100 epochs / 测试准确率低于 0.9"
    assert math.isclose(acc, own, abs_tol=1e-6), (
        f"test_accuracy is {acc:.4f} but the returned model scores {own:.4f} on the test split: "
        "report the accuracy on the test data / 应报告测试集上的准确率")


def oracle_train_split():
    """The course's standardised training part (what a correct ``load_data()`` gives), as tensors."""
    X, y = load_iris(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, random_state=42, stratify=y)
    X_train = StandardScaler().fit(X_train).transform(X_train)
    return torch.tensor(X_train, dtype=torch.float32), torch.tensor(y_train, dtype=torch.long)


@pytest.mark.points(2)
def test_run_shuffles_the_training_data(iris_net):
    """run's DataLoader shuffles the training data (shuffle=True): an epoch is not the fixed-order one. / 训练数据要打乱。"""
    # run(lr=0) returns the initial weights of the same seed; from them, one epoch over the training
    # part in its stored order is replayed here. Only a run that never shuffles ends on exactly those
    # weights (a mistake elsewhere in run or load_data makes the two differ, and costs points there).
    seed, batch_size = 4, 12
    start = run_model_layers(quiet_run(iris_net, num_epochs=1, lr=0.0, batch_size=batch_size, seed=seed))
    trained = run_model_layers(quiet_run(iris_net, num_epochs=1, batch_size=batch_size, seed=seed))
    first, second = (copy.deepcopy(m) for m in linear_layers(start, (4, 10, 3)))
    replay = nn.Sequential(first, nn.ReLU(), second)
    optimizer = torch.optim.Adam(replay.parameters(), lr=0.01)
    X, y = oracle_train_split()
    for i in range(0, len(X), batch_size):
        optimizer.zero_grad()
        F.cross_entropy(replay(X[i:i + batch_size]), y[i:i + batch_size]).backward()
        optimizer.step()
    got = linear_layers(trained, (4, 10, 3))
    fixed_order = all(torch.allclose(a.weight, b.weight, atol=1e-6) and torch.allclose(a.bias, b.bias, atol=1e-6)
                      for a, b in zip(got, (first, second)))
    assert not fixed_order, (
        "run trains on the batches in the same fixed order every epoch: create the training DataLoader with "
        "shuffle=True so each epoch sees the samples in a new random order "
        "/ 训练数据没有打乱：创建训练用 DataLoader 时应设置 shuffle=True，让每个 epoch 以新的随机顺序遍历样本")


@pytest.mark.points(3)
def test_run_honours_hyperparameters(iris_net):
    """run honours lr and num_epochs: with lr=0 nothing is learnt, so every epoch's loss is the same. / lr、num_epochs 参数生效。"""
    result = quiet_run(iris_net, num_epochs=3, lr=0.0, batch_size=50, seed=2)
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 3, f"run(num_epochs=3) returned {len(losses)} losses / num_epochs 参数未生效"
    assert np.allclose(losses, losses[0], rtol=1e-5), (
        f"run(lr=0.0) still changed the model (losses {np.round(losses, 5).tolist()}): pass lr to the optimizer "
        "/ lr 参数未生效：请把 lr 传给优化器")


@pytest.mark.points(1)
def test_run_uses_adam_with_batch_size(iris_net):
    """run trains with torch.optim.Adam and the given batch_size (steps per epoch). / 使用 Adam 与给定的 batch_size。"""
    log = remote.build("step_log")
    quiet_run(iris_net, num_epochs=2, lr=0.0, batch_size=50, seed=2)
    steps = log.entries()
    adam = [lrs for name, lrs in steps if name == "Adam"]
    assert adam, "no torch.optim.Adam step was taken: train with optim.Adam(model.parameters(), lr=lr) / 请使用 Adam"
    assert len(adam) == 6, (f"{len(adam)} optimizer steps for 2 epochs of 120 samples with batch_size=50; expected "
                            "2 x 3: pass batch_size to the DataLoader / batch_size 参数未生效")


@pytest.mark.points(2)
def test_run_seed_reproducible(iris_net):
    """The same seed gives the same losses and model; another seed a different run. / 相同种子结果可复现。"""
    a = quiet_run(iris_net, num_epochs=3, seed=5)
    b = quiet_run(iris_net, num_epochs=3, seed=5)
    c = quiet_run(iris_net, num_epochs=3, seed=6)
    la, lb, lc = ([as_float(v, "each loss") for v in r["losses"]] for r in (a, b, c))
    assert np.allclose(la, lb, rtol=1e-6, atol=1e-9), (
        "run(seed=5) twice gave different losses: seed everything (torch.manual_seed) before creating the model "
        "and the DataLoader / 需在创建模型与 DataLoader 之前设置随机种子")
    sa, sb = remote_state(run_model_layers(a)), remote_state(run_model_layers(b))
    assert all(torch.allclose(sa[k].float(), sb[k].float()) for k in sa), (
        "run(seed=5) twice gave different models / 相同种子得到了不同的模型")
    assert not np.allclose(la, lc, rtol=1e-6, atol=1e-9), "seed=5 and seed=6 gave the same run: seed is not used / 种子未生效"


@pytest.mark.points(1)
def test_run_honours_device(iris_net):
    """run(device=...) uses that device instead of choosing one itself. / run 使用给定的 device。"""
    # select_device() would now answer "meta", where nothing can be trained: only code that uses
    # the caller's device finishes on the CPU.
    remote.build("setenv", "AILIT_DEVICE", "meta")
    try:
        result = quiet_run(iris_net, num_epochs=2, device=torch.device("cpu"), seed=3)
    except remote.RemoteError as exc:
        pytest.fail(f"run(device=torch.device('cpu')) failed ({type(exc).__name__}: {str(exc)[:200]}): use the "
                    "`device` argument and choose a device only when it is None / device 不为 None 时必须使用它")
    finally:
        remote.build("setenv", "AILIT_DEVICE", "")
    devices = {str(t.device) for t in remote_state(run_model_layers(result)).values()}
    assert devices == {"cpu"}, f"run(device=cpu) returned a model on {sorted(devices)} / 模型不在给定的 device 上"


# --- classical_baselines -------------------------------------------------------------------------


def _baselines(iris_net, random_state):
    out = iris_net.classical_baselines(random_state=random_state)
    assert isinstance(out, dict), f"classical_baselines must return a dict, got {type(out).__name__} / 应返回字典"
    missing = {"logreg_accuracy", "kmeans_labels", "pca_2d"} - set(out)
    assert not missing, f"classical_baselines result lacks {sorted(missing)} / 结果缺少 {sorted(missing)}"
    return out


@pytest.mark.points(3)
def test_baselines_logreg_accuracy(iris_net):
    """logreg_accuracy is LogisticRegression's accuracy on a 70/30 split (random_state) of standardised Iris. / 逻辑回归准确率。"""
    for random_state in (42, 7, 8):
        got = as_float(_baselines(iris_net, random_state)["logreg_accuracy"], "logreg_accuracy")
        if math.isclose(got * 0.01, 1.0, rel_tol=0.2):
            pytest.fail("logreg_accuracy looks like a percentage; return a fraction in [0, 1] / 准确率应在 [0, 1] 之间")
        accepted = oracle_baseline_accuracies(random_state)
        assert any(math.isclose(got, a, abs_tol=1e-6) for a in accepted), (
            f"classical_baselines(random_state={random_state}): logreg_accuracy {got:.4f}, expected one of "
            f"{sorted(round(a, 4) for a in accepted)} (LogisticRegression on standardised data, 30 % test split "
            "with this random_state) / 请在标准化数据上按 7:3 划分并使用 random_state")


@pytest.mark.points(3)
def test_baselines_kmeans_labels(iris_net):
    """kmeans_labels: 150 labels from KMeans with 3 clusters on the standardised data. / KMeans 聚类标签。"""
    labels = np.asarray(_baselines(iris_net, 42)["kmeans_labels"]).ravel()
    assert labels.shape == (150,), f"kmeans_labels has shape {np.asarray(labels).shape}, expected (150,) / 形状应为 (150,)"
    assert np.allclose(labels, np.round(labels)), "kmeans_labels must be integer cluster indices / kmeans_labels 应为整数簇编号"
    labels = np.round(labels).astype(int)
    assert len(np.unique(labels)) == 3, f"expected 3 clusters, found {len(np.unique(labels))} / 应有 3 个簇"
    X = standardised_iris()
    oracle = KMeans(n_clusters=3, random_state=42, n_init=10).fit_predict(X)
    if adjusted_rand_score(oracle, labels) >= 0.99:
        return
    off = misassigned(X, labels)
    assert off <= 1, (
        f"these are not k-means clusters of the standardised data: {off} samples are nearer another cluster's "
        "centre. Standardise first, then KMeans(n_clusters=3).fit_predict / 先标准化再聚类")


@pytest.mark.points(2)
def test_baselines_pca(iris_net):
    """pca_2d: the standardised data on its first two principal components, shape (150, 2). / PCA 降到二维。"""
    got = np.asarray(_baselines(iris_net, 42)["pca_2d"], dtype=np.float64)
    assert got.shape == (150, 2), f"pca_2d has shape {got.shape}, expected (150, 2) / 形状应为 (150, 2)"
    expected = PCA(n_components=2).fit_transform(standardised_iris())
    for j in range(2):
        err = min(np.abs(got[:, j] - expected[:, j]).max(), np.abs(got[:, j] + expected[:, j]).max())
        if j == 0 and err > 1e-3:
            raw = PCA(n_components=2).fit_transform(load_iris().data)[:, 0]
            if min(np.abs(got[:, 0] - raw).max(), np.abs(got[:, 0] + raw).max()) < 1e-3:
                pytest.fail("PCA was fitted on the raw features; use the standardised data / PCA 应使用标准化后的数据")
        assert err < 1e-3, (f"component {j + 1} of pca_2d differs from PCA(n_components=2) on the standardised data "
                            f"(max difference {err:.3g}, up to sign) / 第 {j + 1} 个主成分与标准化数据上的 PCA 不一致")
