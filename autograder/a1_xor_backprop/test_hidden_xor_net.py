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


@pytest.mark.points(8)
def test_sigmoid_values(xor_net):
    """sigmoid(x) = 1 / (1 + exp(-x)) elementwise, for arrays of any shape. / sigmoid 逐元素计算，适用于任意形状。"""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 4, (7, 3))
    got = np.asarray(xor_net.sigmoid(x))
    assert got.shape == x.shape, f"sigmoid changed the shape {x.shape} -> {got.shape}"
    assert np.allclose(got, oracle_sigmoid(x), rtol=1e-7, atol=1e-10), "sigmoid values are wrong"
    assert np.isclose(float(np.asarray(xor_net.sigmoid(np.array([0.0]))).ravel()[0]), 0.5), "sigmoid(0) must be 0.5"


@pytest.mark.points(6)
def test_sigmoid_derivative_takes_output(xor_net):
    """sigmoid_derivative(s) takes a sigmoid OUTPUT s and returns s * (1 - s). / 参数是 sigmoid 的输出。"""
    s = np.random.default_rng(12).uniform(0.01, 0.99, (5, 4))
    got = np.asarray(xor_net.sigmoid_derivative(s))
    assert np.allclose(got, s * (1 - s), rtol=1e-7), (
        "sigmoid_derivative(s) must return s * (1 - s) for a sigmoid output s, not the derivative at s")


@pytest.mark.points(8)
def test_init_shapes_and_distribution(xor_net):
    """Weights have shapes (in, hidden) and (hidden, out) drawn from N(0, 1); biases are zeros (1, n). / 初始化形状与分布。"""
    net = xor_net.NeuralNetwork(60, 70, 50, seed=3)
    w1, w2 = np.asarray(net.weights_input_hidden), np.asarray(net.weights_hidden_output)
    assert w1.shape == (60, 70), f"weights_input_hidden has shape {w1.shape}, expected (60, 70)"
    assert w2.shape == (70, 50), f"weights_hidden_output has shape {w2.shape}, expected (70, 50)"
    assert np.asarray(net.bias_hidden).shape == (1, 70), "bias_hidden must have shape (1, hidden_size)"
    assert np.asarray(net.bias_output).shape == (1, 50), "bias_output must have shape (1, output_size)"
    assert not np.any(net.bias_hidden) and not np.any(net.bias_output), "biases must start at zero"
    for name, w in (("weights_input_hidden", w1), ("weights_hidden_output", w2)):
        assert abs(w.mean()) < 0.1 and 0.9 < w.std() < 1.1, (
            f"{name} does not look like N(0, 1) samples (mean {w.mean():.3f}, std {w.std():.3f})")


@pytest.mark.points(2)
def test_init_seed_reproducible(xor_net):
    """The same seed gives the same weights, another seed other weights. / 相同种子得到相同权重。"""
    a = xor_net.NeuralNetwork(3, 4, 2, seed=7)
    b = xor_net.NeuralNetwork(3, 4, 2, seed=7)
    c = xor_net.NeuralNetwork(3, 4, 2, seed=8)
    assert np.array_equal(a.weights_input_hidden, b.weights_input_hidden), "seed does not make weights reproducible"
    assert np.array_equal(a.weights_hidden_output, b.weights_hidden_output), "seed does not make weights reproducible"
    assert not np.array_equal(a.weights_input_hidden, c.weights_input_hidden), "different seeds give the same weights"


@pytest.mark.points(12)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_feedforward_matches_math(xor_net, sizes):
    """feedforward computes sigmoid(sigmoid(X W1 + b1) W2 + b2) for any layer sizes. / 前向传播对任意尺寸正确。"""
    params, X, _ = random_problem(100 + sum(sizes), *sizes)
    net = make_net(xor_net, params)
    got = np.asarray(net.feedforward(X))
    hidden, expected = oracle_forward(params, X)
    assert got.shape == expected.shape, f"output shape {got.shape}, expected {expected.shape}"
    assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), "feedforward output is wrong"


@pytest.mark.points(4)
def test_feedforward_keeps_activations(xor_net):
    """feedforward keeps hidden_output and predicted_output on the network. / 前向传播保存中间结果。"""
    params, X, _ = random_problem(21, 3, 5, 2)
    net = make_net(xor_net, params)
    net.feedforward(X)
    hidden, out = oracle_forward(params, X)
    assert np.allclose(np.asarray(net.hidden_output), hidden, rtol=1e-6), "hidden_output is missing or wrong"
    assert np.allclose(np.asarray(net.predicted_output), out, rtol=1e-6), "predicted_output is missing or wrong"


@pytest.mark.points(6)
def test_gradient_keys_and_shapes(xor_net):
    """compute_gradients returns the four parameter names, each shaped like its parameter. / 梯度的键与形状。"""
    params, X, y = random_problem(31, 4, 6, 3)
    grads = make_net(xor_net, params).compute_gradients(X, y)
    assert set(grads) == set(NAMES), f"keys are {sorted(grads)}, expected {sorted(NAMES)}"
    for name in NAMES:
        assert np.shape(grads[name]) == params[name].shape, (
            f"gradient of {name} has shape {np.shape(grads[name])}, expected {params[name].shape}")


@pytest.mark.points(16)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: "-".join(map(str, s)))
def test_gradients_match_finite_differences(xor_net, sizes):
    """Each gradient of L = 0.5*sum((y - y_hat)^2) agrees with central finite differences. / 梯度与数值梯度一致。"""
    params, X, y = random_problem(200 + sum(sizes), *sizes)
    grads = make_net(xor_net, params).compute_gradients(X, y)
    for name in NAMES:
        numeric = numerical_gradient(lambda: oracle_loss(params, X, y), params[name])
        analytic = np.asarray(grads[name], dtype=np.float64).reshape(params[name].shape)
        err = relative_error(analytic, numeric)
        hint = ""
        if relative_error(-analytic, numeric) < 1e-4:
            hint = " (the sign is flipped)"
        elif relative_error(analytic / X.shape[0], numeric) < 1e-4 or relative_error(analytic * X.shape[0], numeric) < 1e-4:
            hint = " (off by a factor of the batch size: the loss is a sum, not a mean)"
        assert err < 1e-5, f"gradient of {name} is wrong{hint}: relative error {err:.2e}"


@pytest.mark.points(10)
def test_backward_update_rule(xor_net):
    """backward does one step param <- param - learning_rate * gradient on every parameter. / 梯度下降更新规则。"""
    params, X, y = random_problem(41, 3, 4, 2, n_samples=6)
    net = make_net(xor_net, params)
    lr = 0.37
    net.backward(X, y, lr)
    grads = oracle_gradients(params, X, y)
    for name in NAMES:
        expected = params[name] - lr * grads[name]
        got = np.asarray(getattr(net, name), dtype=np.float64)
        if np.allclose(got, params[name] + lr * grads[name], rtol=1e-6):
            pytest.fail(f"{name} moved up the gradient (param += lr * grad): the loss would grow")
        assert np.allclose(got, expected, rtol=1e-6, atol=1e-9), f"{name} after backward is not param - lr * grad"


@pytest.mark.points(10)
def test_train_history_semantics(xor_net):
    """train returns one float per epoch: mean((y - y_hat)^2) measured before that epoch's update. / 训练损失记录。"""
    params, X, y = random_problem(51, 2, 3, 1, n_samples=4)
    net = make_net(xor_net, params)
    history = net.train(X, y, 5, 0.8)
    assert isinstance(history, list) and len(history) == 5, "train must return a list with one entry per epoch"
    expected, current = [], {k: v.copy() for k, v in params.items()}
    for _ in range(5):
        expected.append(float(np.mean((y - oracle_forward(current, X)[1]) ** 2)))
        grads = oracle_gradients(current, X, y)
        current = {k: current[k] - 0.8 * grads[k] for k in NAMES}
    assert np.allclose([float(h) for h in history], expected, rtol=1e-6), (
        "history must hold mean((y - y_hat)**2) before each epoch's update (first entry = initial loss)")
    for name in NAMES:
        assert np.allclose(getattr(net, name), current[name], rtol=1e-6), "train must do exactly one update per epoch"


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
    assert history[-1] < history[0], "the loss did not go down during training"
    assert np.array_equal((out > 0.5).astype(int), [0, 1, 1, 0]), f"XOR not learned: predictions {out.round(3)}"
    assert np.mean((y.ravel() - out) ** 2) < 0.05, "XOR predictions are not close enough to the targets"


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
