"""A1 — XOR with a 2-layer sigmoid network and backpropagation written by hand (NumPy only).

作业 1：用 NumPy 手写反向传播，训练一个两层 sigmoid 网络解决异或（XOR）问题。

Loss / 损失:  L = 0.5 * sum((y - y_hat) ** 2), summed over samples and outputs.
Do not import torch here: the point is to derive every gradient yourself.
不要在本文件中导入 torch：本作业的目的就是亲手推导每一个梯度。
"""

from __future__ import annotations

import numpy as np

PARAMETER_NAMES = ("weights_input_hidden", "bias_hidden", "weights_hidden_output", "bias_output")


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise 1 / (1 + exp(-x)). / 逐元素计算 sigmoid。"""
    # HINT: np.exp works elementwise on arrays.  提示：np.exp 可逐元素作用于数组。
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


def sigmoid_derivative(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, given its OUTPUT s = sigmoid(x): s * (1 - s).

    注意：参数 s 是 sigmoid 的输出，而不是输入 x。
    """
    raise NotImplementedError("TODO: implement this / 请在此处完成代码")


class NeuralNetwork:
    """input -> sigmoid hidden layer -> sigmoid output layer. / 输入层 → sigmoid 隐藏层 → sigmoid 输出层。"""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, seed: int | None = None):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        # HINT: weights ~ N(0, 1) with np.random.default_rng(seed).standard_normal; biases are zeros of shape (1, n).
        # 提示：权重服从标准正态分布 N(0, 1)；偏置为形状 (1, n) 的全零数组。
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def feedforward(self, X: np.ndarray) -> np.ndarray:
        """Forward pass; keeps ``hidden_output`` and ``predicted_output``. Returns (N, output_size)."""
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def compute_gradients(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of L = 0.5 * sum((y - y_hat) ** 2) w.r.t. every parameter (runs its own forward pass).

        返回字典，键为四个参数名，值与对应参数形状相同。
        """
        # HINT: dL/dy_hat = (y_hat - y); multiply by sigmoid_derivative(y_hat) to get the output delta.
        # 提示：dL/dy_hat = (y_hat - y)，再乘以 sigmoid_derivative(y_hat) 得到输出层的 delta。
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def backward(self, X: np.ndarray, y: np.ndarray, learning_rate: float) -> None:
        """One gradient-descent step: param -= learning_rate * grad. / 一步梯度下降。"""
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")

    def train(self, X: np.ndarray, y: np.ndarray, epochs: int, learning_rate: float) -> list[float]:
        """Full-batch training; returns one loss per epoch: mean((y - y_hat) ** 2) before that epoch's update.

        每个 epoch 记录一次损失（更新参数之前的均方误差）。
        """
        raise NotImplementedError("TODO: implement this / 请在此处完成代码")


if __name__ == "__main__":
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = NeuralNetwork(input_size=2, hidden_size=4, output_size=1, seed=0)
    net.train(X, y, epochs=10000, learning_rate=0.1)
    print("Predictions after training / 训练后的预测:")
    print(net.feedforward(X).round(3))
