"""Hidden tests for a1_xor_backprop (100 points).

Every check compares the student's code with an independent oracle written here, on random sizes
and data from fixed seeds, so any correct implementation (loops or vectorised, any RNG call for the
initial weights) passes and hard-coded answers fail.
"""

import numpy as np
import pytest

from ailit_core.grade import remote
from ailit_core.gradcheck import numerical_gradient, relative_error

NAMES = ("weights_input_hidden", "bias_hidden", "weights_hidden_output", "bias_output")
SIZES = [(2, 4, 1), (3, 5, 2), (5, 7, 3), (4, 2, 6)]


def oracle_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def oracle_forward(params, X):
    hidden = oracle_sigmoid(X @ params["weights_input_hidden"] + params["bias_hidden"])
    return hidden, oracle_sigmoid(hidden @ params["weights_hidden_output"] + params["bias_output"])


def oracle_loss(params, X, y):
    return 0.5 * float(np.sum((y - oracle_forward(params, X)[1]) ** 2))


def oracle_gradients(params, X, y):
    hidden, out = oracle_forward(params, X)
    d_out = (out - y) * out * (1 - out)
    d_hidden = (d_out @ params["weights_hidden_output"].T) * hidden * (1 - hidden)
    return {
        "weights_input_hidden": X.T @ d_hidden, "bias_hidden": d_hidden.sum(0, keepdims=True),
        "weights_hidden_output": hidden.T @ d_out, "bias_output": d_out.sum(0, keepdims=True),
    }


def random_params(rng, n_in, n_hidden, n_out):
    return {
        "weights_input_hidden": rng.normal(0, 1, (n_in, n_hidden)),
        "bias_hidden": rng.normal(0, 0.5, (1, n_hidden)),
        "weights_hidden_output": rng.normal(0, 1, (n_hidden, n_out)),
        "bias_output": rng.normal(0, 0.5, (1, n_out)),
    }


def make_net(xor_net, params):
    n_in, n_hidden = params["weights_input_hidden"].shape
    n_out = params["weights_hidden_output"].shape[1]
    net = xor_net.NeuralNetwork(n_in, n_hidden, n_out, seed=0)
    for name in NAMES:
        setattr(net, name, params[name].copy())
    return net


def net_params(net):
    return {name: np.asarray(getattr(net, name), dtype=np.float64) for name in NAMES}


def random_problem(seed, n_in, n_hidden, n_out, n_samples=None):
    rng = np.random.default_rng(seed)
    n = n_samples or int(rng.integers(3, 9))
    X = rng.normal(0, 1, (n, n_in))
    y = rng.uniform(0, 1, (n, n_out))
    return random_params(rng, n_in, n_hidden, n_out), X, y


def own_gradients(xor_net, params, X, y):
    """The student's own compute_gradients on a fresh network holding ``params`` (or None if it fails)."""
    try:
        grads = make_net(xor_net, params).compute_gradients(X, y)
        return {name: np.asarray(grads[name], dtype=np.float64).reshape(params[name].shape) for name in NAMES}
    except Exception:  # noqa: BLE001 - a broken compute_gradients is charged in its own tests
        return None


@pytest.mark.points(8)
def test_sigmoid_values(xor_net):
    """sigmoid(x) = 1 / (1 + exp(-x)) elementwise, for arrays of any shape. / sigmoid 逐元素计算，适用于任意形状。"""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 4, (7, 3))
    got = np.asarray(xor_net.sigmoid(x))
    assert got.shape == x.shape, f"sigmoid changed the shape {x.shape} -> {got.shape} / sigmoid 改变了形状"
    assert np.allclose(got, oracle_sigmoid(x), rtol=1e-7, atol=1e-10), "sigmoid values are wrong / sigmoid 的值不正确"
    assert np.isclose(float(np.asarray(xor_net.sigmoid(np.array([0.0]))).ravel()[0]), 0.5), (
        "sigmoid(0) must be 0.5 / sigmoid(0) 应为 0.5")


@pytest.mark.points(6)
def test_sigmoid_derivative_takes_output(xor_net):
    """sigmoid_derivative(s) takes a sigmoid OUTPUT s and returns s * (1 - s). / 参数是 sigmoid 的输出。"""
    s = np.random.default_rng(12).uniform(0.01, 0.99, (5, 4))
    got = np.asarray(xor_net.sigmoid_derivative(s))
    assert np.allclose(got, s * (1 - s), rtol=1e-7), (
        "sigmoid_derivative(s) must return s * (1 - s) for a sigmoid output s, not the derivative at s "
        "/ sigmoid_derivative(s) 的参数 s 是 sigmoid 的输出，应返回 s * (1 - s)")


@pytest.mark.points(8)
def test_init_shapes_and_distribution(xor_net):
    """Weights have shapes (in, hidden) and (hidden, out) drawn from N(0, 1); biases are zeros (1, n). / 初始化形状与分布。"""
    net = xor_net.NeuralNetwork(60, 70, 50, seed=3)
    w1, w2 = np.asarray(net.weights_input_hidden), np.asarray(net.weights_hidden_output)
    assert w1.shape == (60, 70), f"weights_input_hidden has shape {w1.shape}, expected (60, 70) / 形状应为 (60, 70)"
    assert w2.shape == (70, 50), f"weights_hidden_output has shape {w2.shape}, expected (70, 50) / 形状应为 (70, 50)"
    b1, b2 = np.asarray(net.bias_hidden), np.asarray(net.bias_output)
    assert b1.shape == (1, 70), "bias_hidden must have shape (1, hidden_size) / bias_hidden 的形状应为 (1, hidden_size)"
    assert b2.shape == (1, 50), "bias_output must have shape (1, output_size) / bias_output 的形状应为 (1, output_size)"
    assert not np.any(b1) and not np.any(b2), "biases must start at zero / 偏置初始值应为 0"
    for name, w in (("weights_input_hidden", w1), ("weights_hidden_output", w2)):
        assert abs(w.mean()) < 0.1 and 0.9 < w.std() < 1.1, (
            f"{name} does not look like N(0, 1) samples (mean {w.mean():.3f}, std {w.std():.3f}) "
            f"/ {name} 不像标准正态分布的样本")


@pytest.mark.points(2)
def test_init_seed_reproducible(xor_net):
    """The same seed gives the same weights, another seed other weights. / 相同种子得到相同权重。"""
    a = xor_net.NeuralNetwork(3, 4, 2, seed=7)
    b = xor_net.NeuralNetwork(3, 4, 2, seed=7)
    c = xor_net.NeuralNetwork(3, 4, 2, seed=8)
    assert np.array_equal(a.weights_input_hidden, b.weights_input_hidden), (
        "seed does not make weights reproducible / 相同的 seed 没有得到相同的权重")
    assert np.array_equal(a.weights_hidden_output, b.weights_hidden_output), (
        "seed does not make weights reproducible / 相同的 seed 没有得到相同的权重")
    assert not np.array_equal(a.weights_input_hidden, c.weights_input_hidden), (
        "different seeds give the same weights / 不同的 seed 得到了相同的权重")


@pytest.mark.points(12)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_feedforward_matches_math(xor_net, sizes):
    """feedforward computes sigmoid(sigmoid(X W1 + b1) W2 + b2) for any layer sizes. / 前向传播对任意尺寸正确。"""
    params, X, _ = random_problem(100 + sum(sizes), *sizes)
    net = make_net(xor_net, params)
    got = np.asarray(net.feedforward(X))
    hidden, expected = oracle_forward(params, X)
    assert got.shape == expected.shape, f"output shape {got.shape}, expected {expected.shape} / 输出形状应为 {expected.shape}"
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), "feedforward output is wrong / 前向传播的输出不正确"


@pytest.mark.points(4)
def test_feedforward_keeps_activations(xor_net):
    """feedforward keeps hidden_output and predicted_output on the network. / 前向传播保存中间结果。"""
    params, X, _ = random_problem(21, 3, 5, 2)
    net = make_net(xor_net, params)
    net.feedforward(X)
    hidden, out = oracle_forward(params, X)
    assert np.allclose(np.asarray(net.hidden_output), hidden, rtol=1e-6), (
        "hidden_output is missing or wrong / hidden_output 缺失或不正确")
    assert np.allclose(np.asarray(net.predicted_output), out, rtol=1e-6), (
        "predicted_output is missing or wrong / predicted_output 缺失或不正确")


@pytest.mark.points(6)
def test_gradient_keys_and_shapes(xor_net):
    """compute_gradients returns the four parameter names, each shaped like its parameter. / 梯度的键与形状。"""
    params, X, y = random_problem(31, 4, 6, 3)
    grads = make_net(xor_net, params).compute_gradients(X, y)
    assert isinstance(grads, dict), f"compute_gradients must return a dict, got {type(grads).__name__} / 应返回字典"
    assert set(grads) == set(NAMES), f"keys are {sorted(grads)}, expected {sorted(NAMES)} / 键应为 {sorted(NAMES)}"
    for name in NAMES:
        assert np.shape(grads[name]) == params[name].shape, (
            f"gradient of {name} has shape {np.shape(grads[name])}, expected {params[name].shape} "
            f"/ {name} 的梯度形状应与参数相同")


@pytest.mark.points(16)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_gradients_match_finite_differences(xor_net, sizes):
    """Each gradient of L = 0.5*sum((y - y_hat)^2) agrees with central finite differences, computed with its own forward pass. / 梯度与数值梯度一致。"""
    params, X, y = random_problem(200 + sum(sizes), *sizes)
    net = make_net(xor_net, params)
    # A forward pass on other inputs first: compute_gradients must run its own on X (the contract),
    # not reuse the activations the network kept from the last one.
    net.feedforward(np.random.default_rng(7 + sum(sizes)).normal(0, 1, X.shape))
    grads = net.compute_gradients(X, y)
    fresh = None
    for name in NAMES:
        numeric = numerical_gradient(lambda: oracle_loss(params, X, y), params[name])
        analytic = np.asarray(grads[name], dtype=np.float64).reshape(params[name].shape)
        err = relative_error(analytic, numeric)
        if err < 1e-5:
            continue
        hint = ""
        if relative_error(-analytic, numeric) < 1e-4:
            hint = " (the sign is flipped / 符号相反)"
        elif relative_error(analytic / X.shape[0], numeric) < 1e-4 or relative_error(analytic * X.shape[0], numeric) < 1e-4:
            hint = (" (off by a factor of the batch size: the loss is a sum, not a mean "
                    "/ 差了一个 batch 大小的因子：损失是求和而不是平均)")
        else:
            fresh = fresh or own_gradients(xor_net, params, X, y)
            if fresh is not None and relative_error(fresh[name], numeric) < 1e-5:
                hint = (" (it reuses the activations of an earlier feedforward: run the forward pass on X inside "
                        "compute_gradients / 复用了之前前向传播的结果：compute_gradients 应自己对 X 做前向传播)")
        pytest.fail(f"gradient of {name} is wrong{hint}: relative error {err:.2e} / {name} 的梯度不正确", pytrace=False)


@pytest.mark.points(10)
def test_backward_update_rule(xor_net):
    """backward does one step param <- param - learning_rate * gradient on every parameter. / 梯度下降更新规则。"""
    # The gradient is the student's own compute_gradients (a wrong gradient is charged in the
    # gradient tests, not here), or the true one for a backward that computes its own.
    params, X, y = random_problem(41, 3, 4, 2, n_samples=6)
    lr = 0.37
    candidates = [g for g in (own_gradients(xor_net, params, X, y), oracle_gradients(params, X, y)) if g is not None]
    net = make_net(xor_net, params)
    net.backward(X, y, lr)
    got = {name: np.asarray(getattr(net, name), dtype=np.float64) for name in NAMES}

    def stepped(grads, sign):
        return all(np.allclose(got[n], params[n] + sign * lr * grads[n], rtol=1e-6, atol=1e-9) for n in NAMES)

    if any(stepped(g, -1.0) for g in candidates):
        return
    if any(stepped(g, +1.0) for g in candidates):
        pytest.fail("the parameters moved up the gradient (param += lr * grad): the loss would grow "
                    "/ 参数沿梯度方向增加了：应为 param -= lr * grad", pytrace=False)
    if all(np.allclose(got[n], params[n]) for n in NAMES):
        pytest.fail("backward did not change the parameters: assign param - learning_rate * grad back to the network "
                    "/ backward 没有更新参数", pytrace=False)
    pytest.fail("after backward the parameters are not param - learning_rate * grad (one step, every parameter) "
                "/ backward 之后的参数不等于 param - learning_rate * grad", pytrace=False)


@pytest.mark.points(10)
def test_train_history_semantics(xor_net):
    """train returns one float per epoch: mean((y - y_hat)^2) measured before that epoch's update. / 训练损失记录。"""
    # Replayed here with the student's own feedforward and compute_gradients (their mistakes are
    # charged in their own tests) and with the true ones; train must match one of the two.
    params, X, y = random_problem(51, 2, 3, 1, n_samples=4)
    net = make_net(xor_net, params)
    history = net.train(X, y, 5, 0.8)
    assert isinstance(history, list) and len(history) == 5, (
        "train must return a list with one entry per epoch / train 应返回每个 epoch 一个值的列表")
    got_history = [float(h) for h in history]
    got_params = {name: np.asarray(getattr(net, name), dtype=np.float64) for name in NAMES}

    def replay(forward, gradients):
        expected, current = [], {k: v.copy() for k, v in params.items()}
        for _ in range(5):
            expected.append(float(np.mean((y - forward(current)) ** 2)))
            grads = gradients(current)
            if grads is None:
                return None
            current = {k: current[k] - 0.8 * grads[k] for k in NAMES}
        return expected, current

    def own_forward(current):
        return np.asarray(make_net(xor_net, current).feedforward(X), dtype=np.float64)

    replays = [r for r in (replay(lambda c: oracle_forward(c, X)[1], lambda c: oracle_gradients(c, X, y)),
                           replay(own_forward, lambda c: own_gradients(xor_net, c, X, y))) if r is not None]
    for expected, final in replays:
        if np.allclose(got_history, expected, rtol=1e-6) and all(
                np.allclose(got_params[n], final[n], rtol=1e-6) for n in NAMES):
            return
    if any(np.allclose(got_history[:-1], expected[1:], rtol=1e-6) for expected, _ in replays):
        pytest.fail("the history holds the loss after each update; record it before the epoch's update "
                    "(first entry = initial loss) / 应在每个 epoch 更新之前记录损失", pytrace=False)
    if any(np.allclose(got_history, expected, rtol=1e-6) for expected, _ in replays):
        pytest.fail("the history is right but the final parameters are not those of exactly one update per epoch "
                    "/ 每个 epoch 应恰好更新一次参数", pytrace=False)
    pytest.fail("history must hold mean((y - y_hat)**2) before each epoch's update (first entry = initial loss), "
                "with one update per epoch / 损失记录应为每个 epoch 更新前的 mean((y - y_hat)**2)", pytrace=False)


@pytest.mark.points(8)
def test_xor_solved_from_good_start(xor_net):
    """From a good initialisation, training 2-4-1 on XOR predicts [0, 1, 1, 0]. / 从良好初始化出发能学会异或。"""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    rng = np.random.default_rng(2024)
    params = {
        "weights_input_hidden": rng.standard_normal((2, 4)), "bias_hidden": np.zeros((1, 4)),
        "weights_hidden_output": rng.standard_normal((4, 1)), "bias_output": np.zeros((1, 1)),
    }
    net = make_net(xor_net, params)
    history = net.train(X, y, 4000, 1.0)
    out = np.asarray(net.feedforward(X)).ravel()
    assert history[-1] < history[0], "the loss did not go down during training / 训练过程中损失没有下降"
    assert np.array_equal((out > 0.5).astype(int), [0, 1, 1, 0]), (
        f"XOR not learned: predictions {out.round(3)} (if a gradient test fails too, fix it first) "
        f"/ 没有学会异或：预测为 {out.round(3)}")
    assert np.mean((y.ravel() - out) ** 2) < 0.05, (
        "XOR predictions are not close enough to the targets / 异或的预测与目标相差太大")


@pytest.mark.points(10)
def test_works_without_torch():
    """The module imports and trains in a Python where torch cannot be imported (backprop by hand). / 不依赖 torch。"""
    # A second student server imports the module with `import torch` failing (remote variant).
    conn = remote.connection("without_torch")
    if not conn.hello.ok:
        if "torch" in conn.hello.message:
            pytest.fail(f"the module needs torch; write backpropagation with NumPy only ({conn.hello.message}) "
                        "/ 模块依赖 torch：请只用 NumPy 手写反向传播")
        pytest.fail(f"the module failed to import without torch: {conn.hello.message} / 没有 torch 时模块导入失败")
    module = conn.module
    params, X, y = random_problem(61, 2, 3, 1, n_samples=4)
    try:
        net = make_net(module, params)
        grads = net.compute_gradients(X, y)
        net.train(X, y, 3, 0.1)
    except remote.RemoteError as exc:
        if "torch" in str(exc):
            pytest.fail(f"the module needs torch while training; use NumPy only ({exc}) / 训练时依赖 torch，请只用 NumPy")
        pytest.fail(f"the module failed without torch: {type(exc).__name__}: {exc} / 没有 torch 时运行失败")
    assert isinstance(grads, dict) and sorted(grads) == sorted(NAMES), (
        "without torch, compute_gradients must still return the four gradients / 没有 torch 时也应返回四个梯度")
