"""Hidden tests for a2_iris (100 points).

Each function is checked on its own, against an oracle written here: ``train`` and ``evaluate`` get
the test's own small models, loaders and spies (so a broken IrisNet costs points only once), and
every comparison allows what correct code may legitimately do differently (nn.Sequential or
separate layers, F.relu, any seed order, ``len(batch)`` or ``batch.size(0)``, ``argmax`` or
``torch.max``, ``no_grad`` or ``inference_mode``, KMeans restarts).

Device handling is observed without a GPU: batches are tensors that log every ``.to()`` made on
them, and ``run(device=cpu)`` is called while CUDA/MPS claim to be available and ``AILIT_DEVICE``
points elsewhere, so code that ignores its ``device`` argument cannot end up on the CPU.
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
from torch.optim.optimizer import register_optimizer_step_post_hook
from torch.utils.data import DataLoader, TensorDataset

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
    n_in, hidden, n_out = sizes
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    found = ", ".join(f"Linear({m.in_features}, {m.out_features})" for m in linears) or "none"
    assert len(linears) == 2, (
        f"IrisNet{sizes} should hold exactly two nn.Linear layers (found: {found}) / 应恰好包含两个 nn.Linear")
    first = [m for m in linears if (m.in_features, m.out_features) == (n_in, hidden)]
    second = [m for m in linears if (m.in_features, m.out_features) == (hidden, n_out)]
    assert first and second, (
        f"IrisNet{sizes} should be Linear({n_in}, {hidden}) -> ReLU -> Linear({hidden}, {n_out}); found {found}. "
        "Use the constructor's arguments, not fixed numbers / 请使用构造函数的参数，不要写死尺寸")
    return first[0], second[0]


def small_model(seed, n_in=4, hidden=6, n_out=3):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out))


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


# --- spies ---------------------------------------------------------------------------------------


def count_steps(optimizer):
    """A list that grows by one at every optimizer.step() (torch's own hook API: nothing is patched)."""
    steps = []
    optimizer.register_step_post_hook(lambda opt, args, kwargs: steps.append(1))
    return steps


class SpyNet(nn.Module):
    """A small classifier that records, at every forward, its mode and whether autograd is on."""

    def __init__(self, n_in=4, n_out=3, seed=0):
        super().__init__()
        torch.manual_seed(seed)
        self.fc1 = nn.Linear(n_in, 8)
        self.drop = nn.Dropout(p=0.5)
        self.fc2 = nn.Linear(8, n_out)
        self.training_flags, self.grad_flags = [], []

    def forward(self, x):
        self.training_flags.append(self.training)
        self.grad_flags.append(torch.is_grad_enabled())
        return self.fc2(self.drop(F.relu(self.fc1(x))))


MOVES = {torch.Tensor.to, torch.Tensor.cuda, torch.Tensor.cpu}


def _move_target(func, args, kwargs):
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
    """A tensor that logs ``(role, device)`` for every .to()/.cuda()/.cpu() made on it or on tensors
    computed from it; the moved result is a plain tensor, so the code under test runs unchanged."""

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
        flat = [x for a in args for x in (a if isinstance(a, (list, tuple)) else (a,))]  # torch.stack([...])
        source = next((a for a in flat if isinstance(a, Tracked) and a.log is not None), None)
        if func in MOVES and source is not None and args and args[0] is source:
            source.log.append((source.role, _move_target(func, args[1:], kwargs)))
            with torch._C.DisableTorchFunctionSubclass():
                return func(*args, **kwargs).as_subclass(torch.Tensor)
        out = super().__torch_function__(func, types, args, kwargs)
        if source is not None:
            for t in out if isinstance(out, (tuple, list)) else (out,):
                if isinstance(t, Tracked):
                    t.role, t.log = source.role, source.log
        return out


def moved_to(log, role, device, *, exact=False):
    return any(r == role and d is not None and (d == device if exact else d.type == device.type) for r, d in log)


def tracked_loader(X, y, batch_size, log):
    def collate(items):
        xs, ys = zip(*items)
        return Tracked.wrap(torch.stack(xs), "inputs", log), Tracked.wrap(torch.stack(ys), "labels", log)

    return DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=False, collate_fn=collate)


def as_float(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        pytest.fail(f"{what} must be a number, got {type(value).__name__}")


def quiet_run(iris_net, capsys, **kwargs):
    result = iris_net.run(**kwargs)
    capsys.readouterr()  # progress prints are not feedback
    assert isinstance(result, dict), f"run() must return a dict, got {type(result).__name__}"
    return result


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
        f"IrisNet{sizes} has {count} parameters, expected {n_in}*{hidden}+{hidden}+{hidden}*{n_out}+{n_out} = {expected}")


@pytest.mark.points(8)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_forward_is_linear_relu_linear(iris_net, sizes):
    """forward computes Linear -> ReLU -> Linear for any sizes, output (N, num_classes). / 前向传播结构正确。"""
    torch.manual_seed(sum(sizes))
    model = iris_net.IrisNet(*sizes)
    first, second = linear_layers(model, sizes)
    X = torch.randn(9, sizes[0]) * 2
    got = model(X)
    assert isinstance(got, torch.Tensor), f"forward must return a tensor, got {type(got).__name__}"
    assert tuple(got.shape) == (9, sizes[2]), f"output shape {tuple(got.shape)}, expected (9, {sizes[2]})"
    with torch.no_grad():
        expected = oracle_logits(first, second, X)
        got = got.detach()
        if torch.allclose(got, torch.softmax(expected, dim=1), atol=1e-5):
            pytest.fail("forward applies softmax; return the raw logits (CrossEntropyLoss applies log-softmax itself)")
        if torch.allclose(got, second(first(X)), atol=1e-5):
            pytest.fail("no ReLU between the two Linear layers / 两个线性层之间缺少 ReLU")
    assert torch.allclose(got, expected, atol=1e-5, rtol=1e-5), (
        "forward is not Linear -> ReLU -> Linear on the input / 前向传播应为 线性层 → ReLU → 线性层")


@pytest.mark.points(6)
def test_forward_returns_raw_logits(iris_net):
    """forward returns raw logits, not probabilities: CrossEntropyLoss on them equals the true loss. / 输出 logits 而非概率。"""
    torch.manual_seed(3)
    model = iris_net.IrisNet()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(3.0)  # large logits: probabilities and logits are then far apart
    first, second = linear_layers(model, (4, 10, 3))
    X = torch.randn(64, 4) * 2
    y = torch.randint(0, 3, (64,))
    with torch.no_grad():
        out = model(X)
        true_logits = oracle_logits(first, second, X)
    assert tuple(model(X[:1]).shape) == (1, 3), "a single sample must give output shape (1, 3)"
    if torch.allclose(out.sum(dim=1), torch.ones(64), atol=1e-4) and bool((out >= 0).all()):
        pytest.fail("the outputs are probabilities (rows sum to 1): return raw logits, without softmax / 不要在 forward 中做 softmax")
    if bool((out <= 1e-6).all()) and torch.allclose(torch.logsumexp(out, dim=1), torch.zeros(64), atol=1e-4):
        pytest.fail("the outputs are log-probabilities (log_softmax): return raw logits / 请返回原始 logits")
    expected = F.cross_entropy(true_logits, y)
    got = nn.CrossEntropyLoss()(out, y)
    assert math.isclose(float(got), float(expected), rel_tol=1e-4, abs_tol=1e-5), (
        f"CrossEntropyLoss on your outputs is {float(got):.4f}, on the true logits {float(expected):.4f}: "
        "forward must return raw logits")


# --- load_data -----------------------------------------------------------------------------------


def _load(iris_net, **kwargs):
    out = iris_net.load_data(**kwargs)
    assert isinstance(out, (tuple, list)) and len(out) == 4, "load_data must return X_train, X_test, y_train, y_test"
    for name, t in zip(("X_train", "X_test", "y_train", "y_test"), out):
        assert isinstance(t, torch.Tensor), f"{name} must be a torch.Tensor, got {type(t).__name__}"
    return [t.detach().cpu() for t in out]


@pytest.mark.points(4)
def test_load_data_shapes_and_dtypes(iris_net):
    """load_data() gives X (120, 4)/(30, 4) float32 and y (120,)/(30,) int64 with labels 0..2. / 形状与数据类型。"""
    X_train, X_test, y_train, y_test = _load(iris_net)
    assert tuple(X_train.shape) == (120, 4) and tuple(X_test.shape) == (30, 4), (
        f"feature shapes {tuple(X_train.shape)}, {tuple(X_test.shape)}; expected (120, 4), (30, 4)")
    assert tuple(y_train.shape) == (120,) and tuple(y_test.shape) == (30,), (
        f"label shapes {tuple(y_train.shape)}, {tuple(y_test.shape)}; expected (120,), (30,)")
    assert X_train.dtype == torch.float32 and X_test.dtype == torch.float32, (
        f"features must be float32 (the model's weights are float32), got {X_train.dtype} / 特征应为 float32")
    assert y_train.dtype == torch.int64 and y_test.dtype == torch.int64, (
        f"labels must be int64 (torch.long) for CrossEntropyLoss, got {y_train.dtype} / 标签应为 int64")
    assert set(torch.cat([y_train, y_test]).tolist()) == {0, 1, 2}, "labels must be the class indices 0, 1, 2"


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
    assert both.shape == raw.shape, f"X_train and X_test together have shape {both.shape}, expected {raw.shape}"
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
                    "population one (torch.std needs unbiased=False)")
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
        f"test_size=0.3 should give 105/45 samples, got {len(X_train)}/{len(X_test)}: test_size is not used")
    assert any(np.array_equal(y_test.numpy(), oracle_labels(0.3, 7, stratify=s)[1]) for s in (True, False)), (
        "load_data(random_state=7) does not give the split of train_test_split(..., random_state=7): "
        "random_state is not used / random_state 参数未生效")
    a, b = _load(iris_net, random_state=1)[2], _load(iris_net, random_state=2)[2]
    assert not torch.equal(a, b), "different random_state values give the same split"


# --- train ---------------------------------------------------------------------------------------


@pytest.mark.points(9)
def test_train_steps_once_per_batch_with_zeroed_gradients(iris_net):
    """train calls optimizer.step() once per batch, each on that batch's gradient only (zero_grad). / 每个 batch 清零梯度并更新一次。"""
    X, y = train_problem(11)
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)  # 5 batches: 8+8+8+8+5
    model, reference = small_model(4), small_model(4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    steps = count_steps(optimizer)
    iris_net.train(model, loader, nn.CrossEntropyLoss(), optimizer, CPU)
    assert len(steps) == 5, (
        f"optimizer.step() was called {len(steps)} time(s) for 5 batches; call it once per batch, inside the loop "
        "/ 每个 batch 调用一次 optimizer.step()")
    oracle_epoch(reference, X, y, 8, 0.5)
    got, expected = list(model.parameters()), list(reference.parameters())
    if all(torch.allclose(g, e, atol=1e-5) for g, e in zip(got, expected)):
        return
    accumulated = small_model(4)
    oracle_epoch(accumulated, X, y, 8, 0.5, zero_grad=False)
    if all(torch.allclose(g, a, atol=1e-5) for g, a in zip(got, accumulated.parameters())):
        pytest.fail("gradients accumulate across batches: call optimizer.zero_grad() before loss.backward() "
                    "/ 忘记 optimizer.zero_grad()，梯度在各 batch 之间累加")
    pytest.fail("the parameters after one epoch differ from forward -> loss -> backward -> step on each batch "
                "/ 一个 epoch 后的参数与正确的训练步骤不一致")


@pytest.mark.points(7)
def test_train_returns_sample_weighted_mean_loss(iris_net):
    """train returns sum(batch loss * batch size) / number of samples (the short last batch weighs less). / 按样本数加权的平均损失。"""
    # lr=0 keeps the weights fixed, so the right answer is the loss over all 37 samples at once,
    # whatever else the training step does.
    X, y = train_problem(12, n=37)
    y[32:] = model_argmin(small_model(5), X[32:])  # a short last batch unlike the others
    loader = DataLoader(TensorDataset(X, y), batch_size=8, shuffle=False)  # 8+8+8+8+5
    model = small_model(5)
    result = iris_net.train(model, loader, nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.0), CPU)
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
    pytest.fail(f"train returned {got:.5f}; the sample-weighted mean loss of the epoch is {expected:.5f}")


@pytest.mark.points(3)
def test_train_sets_train_mode(iris_net):
    """train puts the model in training mode (model.train()), e.g. after an evaluation. / 训练前调用 model.train()。"""
    X, y = train_problem(13, n=20)
    model = SpyNet()
    model.eval()  # as left by a previous evaluate()
    iris_net.train(model, DataLoader(TensorDataset(X, y), batch_size=10), nn.CrossEntropyLoss(),
                   torch.optim.SGD(model.parameters(), lr=0.1), CPU)
    assert model.training_flags, "train never called the model"
    assert all(model.training_flags), (
        "the model ran in eval mode during training: call model.train() at the start of train "
        "(Dropout/BatchNorm behave differently) / 训练开始时应调用 model.train()")


@pytest.mark.points(3)
def test_train_moves_batches_to_device(iris_net):
    """train moves each batch's inputs and labels to `device` (batch.to(device)). / 把每个 batch 移到 device。"""
    X, y = train_problem(14, n=20)
    log = []
    model = small_model(6)
    iris_net.train(model, tracked_loader(X, y, 8, log), nn.CrossEntropyLoss(),
                   torch.optim.SGD(model.parameters(), lr=0.1), CPU)
    assert moved_to(log, "inputs", CPU), (
        "the batch inputs were never moved with .to(device): on a GPU the model would get CPU tensors "
        "/ 输入数据需要 .to(device)")
    assert moved_to(log, "labels", CPU), (
        "the batch labels were never moved with .to(device): the loss needs them on the model's device "
        "/ 标签也需要 .to(device)")


# --- evaluate ------------------------------------------------------------------------------------


def _evaluate(iris_net, model, X, y, device=CPU):
    out = iris_net.evaluate(model, X, y, device)
    assert isinstance(out, (tuple, list)) and len(out) == 2, "evaluate must return (accuracy, predictions)"
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
    accuracy, preds = _evaluate(iris_net, model, X, y)
    acc = as_float(accuracy, "the accuracy")
    if math.isclose(acc, 100 * 17 / 23, rel_tol=1e-5):
        pytest.fail("accuracy is a percentage; return a fraction in [0, 1] / 准确率应在 [0, 1] 之间")
    assert 0.0 <= acc <= 1.0, f"accuracy {acc} is not in [0, 1]"
    assert math.isclose(acc, 17 / 23, abs_tol=1e-6), f"accuracy {acc:.4f}, expected 17/23 = {17 / 23:.4f}"
    preds = torch.as_tensor(preds).detach().cpu()
    assert tuple(preds.shape) == (23,), f"predictions have shape {tuple(preds.shape)}, expected (N,) = (23,)"
    assert not preds.is_floating_point(), "predictions must be class indices (integers), not scores"
    assert torch.equal(preds.long(), predicted), "predictions must be the argmax of the logits over dim 1"


@pytest.mark.points(1)
def test_evaluate_accuracy_is_python_float(iris_net):
    """The accuracy is a Python float (e.g. via .item()), not a tensor. / 准确率是 Python float（用 .item()）。"""
    torch.manual_seed(22)
    model = nn.Linear(4, 3)
    X, y = torch.randn(10, 4), torch.randint(0, 3, (10,))
    accuracy, _ = _evaluate(iris_net, model, X, y)
    assert isinstance(accuracy, float), (
        f"accuracy is a {type(accuracy).__name__}; return a Python float, e.g. (...).mean().item()")


@pytest.mark.points(4)
def test_evaluate_without_autograd(iris_net):
    """evaluate runs the model under torch.no_grad() and leaves autograd on afterwards. / 评估时不计算梯度。"""
    model = SpyNet(seed=23)
    X, y = torch.randn(15, 4), torch.randint(0, 3, (15,))
    _evaluate(iris_net, model, X, y)
    grad_after = torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    assert model.grad_flags, "evaluate never called the model"
    assert not any(model.grad_flags), (
        "the model ran with autograd on: wrap the evaluation in `with torch.no_grad():` / 评估应在 torch.no_grad() 下进行")
    assert grad_after, ("autograd stayed off after evaluate (torch.set_grad_enabled(False)?): use a `with "
                        "torch.no_grad():` block so later training still gets gradients")


@pytest.mark.points(3)
def test_evaluate_in_eval_mode(iris_net):
    """evaluate puts the model in eval mode (model.eval()): Dropout off, deterministic predictions. / 评估前调用 model.eval()。"""
    model = SpyNet(seed=24)
    model.train()
    X, y = torch.randn(15, 4), torch.randint(0, 3, (15,))
    _evaluate(iris_net, model, X, y)
    assert model.training_flags, "evaluate never called the model"
    assert not any(model.training_flags), (
        "the model ran in training mode during evaluation: call model.eval() first (Dropout would drop units) "
        "/ 评估前应调用 model.eval()")


@pytest.mark.points(3)
def test_evaluate_moves_inputs_to_device(iris_net):
    """evaluate moves X to `device` before calling the model. / 评估时把输入移到 device。"""
    torch.manual_seed(25)
    model = nn.Linear(4, 3)
    log = []
    X = Tracked.wrap(torch.randn(12, 4), "inputs", log)
    y = Tracked.wrap(torch.randint(0, 3, (12,)), "labels", log)
    _evaluate(iris_net, model, X, y)
    assert moved_to(log, "inputs", CPU), (
        "X was never moved with .to(device): on a GPU the model would get CPU tensors / 输入需要 .to(device)")


# --- run -----------------------------------------------------------------------------------------


@pytest.mark.points(3)
def test_run_result_keys_and_losses(iris_net, capsys):
    """run returns {"test_accuracy", "losses" (one float per epoch), "model"}. / run 的返回值。"""
    result = quiet_run(iris_net, capsys, num_epochs=4, seed=1)
    missing = {"test_accuracy", "losses", "model"} - set(result)
    assert not missing, f"run() result lacks the key(s) {sorted(missing)}"
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 4, f"run(num_epochs=4) returned {len(losses)} losses; expected one per epoch"
    assert all(math.isfinite(v) and v > 0 for v in losses), f"losses must be positive finite numbers: {losses}"
    assert 0.0 <= as_float(result["test_accuracy"], "test_accuracy") <= 1.0, "test_accuracy must be in [0, 1]"
    model = result["model"]
    assert isinstance(model, nn.Module), f"result['model'] must be the trained nn.Module, got {type(model).__name__}"
    device = next(model.parameters()).device
    with torch.no_grad():
        out = model(torch.randn(5, 4, device=device))
    assert tuple(out.shape) == (5, 3), f"the returned model maps (5, 4) to {tuple(out.shape)}, expected (5, 3)"


@pytest.mark.points(4)
def test_run_reaches_90_percent(iris_net, capsys):
    """run() with the defaults (100 epochs) reaches test accuracy >= 0.9, measured on the test split. / 测试准确率 ≥ 0.9。"""
    result = quiet_run(iris_net, capsys)
    acc = as_float(result["test_accuracy"], "test_accuracy")
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 100, f"run() trains 100 epochs by default, got {len(losses)} losses"
    assert losses[-1] < losses[0], f"the loss did not go down: first {losses[0]:.4f}, last {losses[-1]:.4f}"
    assert acc >= 0.9, f"test accuracy {acc:.3f} < 0.9 after 100 epochs / 测试准确率低于 0.9"
    model = copy.deepcopy(result["model"]).cpu().eval()
    _, X_test, _, y_test = _load(iris_net)
    with torch.no_grad():
        own = (model(X_test).argmax(dim=1) == y_test).float().mean().item()
    assert math.isclose(acc, own, abs_tol=1e-6), (
        f"test_accuracy is {acc:.4f} but the returned model scores {own:.4f} on load_data()'s test split: "
        "report the accuracy on the test data / 应报告测试集上的准确率")


@pytest.mark.points(3)
def test_run_honours_hyperparameters(iris_net, capsys):
    """run uses Adam with the given lr, batch_size and num_epochs. / 使用 Adam，lr、batch_size、num_epochs 参数生效。"""
    calls = []

    def record(optimizer, args, kwargs):
        if isinstance(optimizer, torch.optim.Adam):
            calls.append([group["lr"] for group in optimizer.param_groups])

    handle = register_optimizer_step_post_hook(record)  # every optimizer, however it was imported
    try:
        result = quiet_run(iris_net, capsys, num_epochs=2, lr=0.0, batch_size=50, seed=2)
    finally:
        handle.remove()
    losses = [as_float(v, "each loss") for v in result["losses"]]
    assert len(losses) == 2, f"run(num_epochs=2) returned {len(losses)} losses"
    assert calls, "no torch.optim.Adam step was taken: train with optim.Adam(model.parameters(), lr=lr)"
    assert len(calls) == 6, (f"{len(calls)} optimizer steps for 2 epochs of 120 samples with batch_size=50; expected "
                             "2 x 3: pass batch_size to the DataLoader / batch_size 参数未生效")
    assert all(lr == 0.0 for lrs in calls for lr in lrs), "run(lr=0.0) trained with another learning rate"


@pytest.mark.points(2)
def test_run_seed_reproducible(iris_net, capsys):
    """The same seed gives the same losses and model; another seed a different run. / 相同种子结果可复现。"""
    a = quiet_run(iris_net, capsys, num_epochs=3, seed=5)
    b = quiet_run(iris_net, capsys, num_epochs=3, seed=5)
    c = quiet_run(iris_net, capsys, num_epochs=3, seed=6)
    la, lb, lc = ([as_float(v, "each loss") for v in r["losses"]] for r in (a, b, c))
    assert np.allclose(la, lb, rtol=1e-6, atol=1e-9), (
        "run(seed=5) twice gave different losses: seed everything (torch.manual_seed) before creating the model "
        "and the DataLoader / 需在创建模型与 DataLoader 之前设置随机种子")
    for pa, pb in zip(a["model"].parameters(), b["model"].parameters()):
        assert torch.allclose(pa.detach().cpu(), pb.detach().cpu()), "run(seed=5) twice gave different models"
    assert not np.allclose(la, lc, rtol=1e-6, atol=1e-9), "seed=5 and seed=6 gave the same run: seed is not used"


@pytest.mark.points(2)
def test_run_honours_device(iris_net, capsys, monkeypatch):
    """run(device=...) moves the model and the data to that device instead of choosing one itself. / run 使用给定的 device。"""
    # torch.device("cpu", 0) runs on the CPU like "cpu" but is a different value, so only code that
    # passes the caller's device on can produce it; select_device() would now answer "meta".
    # Spies replace names in the student's module only (torch itself is never patched).
    given = torch.device("cpu", 0)
    monkeypatch.setenv("AILIT_DEVICE", "meta")
    log, model_moves, calls = [], [], []
    student_net, student_load = iris_net.IrisNet, iris_net.load_data
    module_to = student_net.to

    def recording_to(self, *args, **kwargs):
        try:
            model_moves.append(torch._C._nn._parse_to(*args, **kwargs)[0])
        except Exception:  # noqa: BLE001 - an invalid call fails in the real .to below
            pass
        return module_to(self, *args, **kwargs)

    def tracked_data(*args, **kwargs):
        X_train, X_test, y_train, y_test = student_load(*args, **kwargs)
        return (Tracked.wrap(X_train, "inputs", log), Tracked.wrap(X_test, "inputs", log),
                Tracked.wrap(y_train, "labels", log), Tracked.wrap(y_test, "labels", log))

    monkeypatch.setattr(student_net, "to", recording_to)  # on the student's class, not nn.Module
    monkeypatch.setattr(iris_net, "load_data", tracked_data)
    for name in ("train", "evaluate"):
        original = getattr(iris_net, name, None)
        if callable(original):
            def spy(*args, _original=original, **kwargs):
                calls.append(kwargs.get("device", args[-1] if args else None))
                return _original(*args, **kwargs)
            monkeypatch.setattr(iris_net, name, spy)
    try:
        result = quiet_run(iris_net, capsys, num_epochs=2, device=given, seed=3)
    except Exception as exc:  # noqa: BLE001 - the only difference from other runs is the device
        pytest.fail(f"run(device=torch.device('cpu', 0)) failed ({type(exc).__name__}: {str(exc)[:200]}): use the "
                    "`device` argument and choose a device only when it is None / device 不为 None 时必须使用它")
    devices = {p.device.type for p in result["model"].parameters()}
    assert devices == {"cpu"}, f"run(device=cpu) returned a model on {sorted(devices)}"
    ignored = [d for d in calls if d is not None and torch.device(d) != given]
    assert not ignored, f"run(device={given}) passed device {ignored[0]} to train/evaluate instead"
    assert given in model_moves, (
        "the model was never moved to run's `device` (model = IrisNet().to(device)) / 模型需要 .to(device)")
    assert moved_to(log, "inputs", given, exact=True), (
        "the data was never moved to run's `device` (.to(device)) / 数据需要 .to(device)")


# --- classical_baselines -------------------------------------------------------------------------


def _baselines(iris_net, random_state):
    out = iris_net.classical_baselines(random_state=random_state)
    assert isinstance(out, dict), f"classical_baselines must return a dict, got {type(out).__name__}"
    missing = {"logreg_accuracy", "kmeans_labels", "pca_2d"} - set(out)
    assert not missing, f"classical_baselines result lacks {sorted(missing)}"
    return out


@pytest.mark.points(3)
def test_baselines_logreg_accuracy(iris_net):
    """logreg_accuracy is LogisticRegression's accuracy on a 70/30 split (random_state) of standardised Iris. / 逻辑回归准确率。"""
    for random_state in (42, 7, 8):
        got = as_float(_baselines(iris_net, random_state)["logreg_accuracy"], "logreg_accuracy")
        if math.isclose(got * 0.01, 1.0, rel_tol=0.2):
            pytest.fail("logreg_accuracy looks like a percentage; return a fraction in [0, 1]")
        accepted = oracle_baseline_accuracies(random_state)
        assert any(math.isclose(got, a, abs_tol=1e-6) for a in accepted), (
            f"classical_baselines(random_state={random_state}): logreg_accuracy {got:.4f}, expected one of "
            f"{sorted(round(a, 4) for a in accepted)} (LogisticRegression on standardised data, 30 % test split "
            "with this random_state) / 请在标准化数据上按 7:3 划分并使用 random_state")


@pytest.mark.points(3)
def test_baselines_kmeans_labels(iris_net):
    """kmeans_labels: 150 labels from KMeans with 3 clusters on the standardised data. / KMeans 聚类标签。"""
    labels = np.asarray(_baselines(iris_net, 42)["kmeans_labels"]).ravel()
    assert labels.shape == (150,), f"kmeans_labels has shape {np.asarray(labels).shape}, expected (150,)"
    assert np.allclose(labels, np.round(labels)), "kmeans_labels must be integer cluster indices"
    labels = np.round(labels).astype(int)
    assert len(np.unique(labels)) == 3, f"expected 3 clusters, found {len(np.unique(labels))}"
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
    assert got.shape == (150, 2), f"pca_2d has shape {got.shape}, expected (150, 2)"
    expected = PCA(n_components=2).fit_transform(standardised_iris())
    for j in range(2):
        err = min(np.abs(got[:, j] - expected[:, j]).max(), np.abs(got[:, j] + expected[:, j]).max())
        if j == 0 and err > 1e-3:
            raw = PCA(n_components=2).fit_transform(load_iris().data)[:, 0]
            if min(np.abs(got[:, 0] - raw).max(), np.abs(got[:, 0] + raw).max()) < 1e-3:
                pytest.fail("PCA was fitted on the raw features; use the standardised data / PCA 应使用标准化后的数据")
        assert err < 1e-3, (f"component {j + 1} of pca_2d differs from PCA(n_components=2) on the standardised data "
                            f"(max difference {err:.3g}, up to sign)")
