"""Public tests for A1: run `pytest` in this folder. 公开测试：在本目录运行 `pytest`。

They check the basics with helpful messages; the hidden tests used for grading check much more.
"""

import numpy as np

from ailit_core.testing import implementation

xor_net = implementation("xor_net")

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
Y = np.array([[0], [1], [1], [0]], dtype=float)


def test_sigmoid():
    assert np.allclose(xor_net.sigmoid(np.array([0.0, 2.0])), [0.5, 1 / (1 + np.exp(-2))]), \
        "sigmoid(0) should be 0.5 / sigmoid(0) 应为 0.5"


def test_sigmoid_derivative_uses_output():
    assert np.isclose(xor_net.sigmoid_derivative(np.array(0.5)), 0.25), \
        "sigmoid_derivative takes the sigmoid OUTPUT s and returns s*(1-s) / 参数是 sigmoid 的输出"


def test_shapes():
    net = xor_net.NeuralNetwork(2, 4, 1, seed=0)
    assert net.weights_input_hidden.shape == (2, 4), \
        "weights_input_hidden has shape (input_size, hidden_size) / 形状应为 (input_size, hidden_size)"
    assert net.bias_hidden.shape == (1, 4), "biases have shape (1, n) / 偏置形状为 (1, n)"
    assert net.feedforward(X).shape == (4, 1), "feedforward returns (N, output_size) / 输出形状应为 (N, output_size)"
    grads = net.compute_gradients(X, Y)
    assert grads["weights_hidden_output"].shape == (4, 1), \
        "each gradient has the shape of its parameter / 每个梯度的形状与对应参数相同"


def test_loss_goes_down():
    net = xor_net.NeuralNetwork(2, 4, 1, seed=0)
    history = net.train(X, Y, epochs=200, learning_rate=0.5)
    assert len(history) == 200, "one loss per epoch / 每个 epoch 一个损失值"
    assert history[-1] < history[0], "training should reduce the loss; check the gradient sign / 检查梯度符号"
