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
    # BEGIN SOLUTION
    # HINT: np.exp works elementwise on arrays.  提示：np.exp 可逐元素作用于数组。
    return 1.0 / (1.0 + np.exp(-x))
    # END SOLUTION


def sigmoid_derivative(s: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid, given its OUTPUT s = sigmoid(x): s * (1 - s).

    注意：参数 s 是 sigmoid 的输出，而不是输入 x。
    """
    # BEGIN SOLUTION
    return s * (1.0 - s)
    # END SOLUTION


class NeuralNetwork:
    """input -> sigmoid hidden layer -> sigmoid output layer. / 输入层 → sigmoid 隐藏层 → sigmoid 输出层。"""

    def __init__(self, input_size: int, hidden_size: int, output_size: int, seed: int | None = None):
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.output_size = output_size
        # BEGIN SOLUTION
        # HINT: weights ~ N(0, 1) with np.random.default_rng(seed).standard_normal; biases are zeros of shape (1, n).
        # 提示：权重服从标准正态分布 N(0, 1)；偏置为形状 (1, n) 的全零数组。
        rng = np.random.default_rng(seed)
        self.weights_input_hidden = rng.standard_normal((input_size, hidden_size))
        self.weights_hidden_output = rng.standard_normal((hidden_size, output_size))
        self.bias_hidden = np.zeros((1, hidden_size))
        self.bias_output = np.zeros((1, output_size))
        # END SOLUTION

    def feedforward(self, X: np.ndarray) -> np.ndarray:
        """Forward pass; keeps ``hidden_output`` and ``predicted_output``. Returns (N, output_size)."""
        # BEGIN SOLUTION
        self.hidden_output = sigmoid(X @ self.weights_input_hidden + self.bias_hidden)
        self.predicted_output = sigmoid(self.hidden_output @ self.weights_hidden_output + self.bias_output)
        return self.predicted_output
        # END SOLUTION

    def compute_gradients(self, X: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of L = 0.5 * sum((y - y_hat) ** 2) w.r.t. every parameter (runs its own forward pass).

        返回字典，键为四个参数名，值与对应参数形状相同。
        """
        # BEGIN SOLUTION
        # HINT: dL/dy_hat = (y_hat - y); multiply by sigmoid_derivative(y_hat) to get the output delta.
        # 提示：dL/dy_hat = (y_hat - y)，再乘以 sigmoid_derivative(y_hat) 得到输出层的 delta。
        y_hat = self.feedforward(X)
        output_delta = (y_hat - y) * sigmoid_derivative(y_hat)
        hidden_delta = (output_delta @ self.weights_hidden_output.T) * sigmoid_derivative(self.hidden_output)
        return {
            "weights_input_hidden": X.T @ hidden_delta,
            "bias_hidden": hidden_delta.sum(axis=0, keepdims=True),
            "weights_hidden_output": self.hidden_output.T @ output_delta,
            "bias_output": output_delta.sum(axis=0, keepdims=True),
        }
        # END SOLUTION

    def backward(self, X: np.ndarray, y: np.ndarray, learning_rate: float) -> None:
        """One gradient-descent step: param -= learning_rate * grad. / 一步梯度下降。"""
        # BEGIN SOLUTION
        gradients = self.compute_gradients(X, y)
        for name in PARAMETER_NAMES:
            setattr(self, name, getattr(self, name) - learning_rate * gradients[name])
        # END SOLUTION

    def train(self, X: np.ndarray, y: np.ndarray, epochs: int, learning_rate: float) -> list[float]:
        """Full-batch training; returns one loss per epoch: mean((y - y_hat) ** 2) before that epoch's update.

        每个 epoch 记录一次损失（更新参数之前的均方误差）。
        """
        # BEGIN SOLUTION
        history = []
        for epoch in range(epochs):
            y_hat = self.feedforward(X)
            history.append(float(np.mean((y - y_hat) ** 2)))
            self.backward(X, y, learning_rate)
            if epoch % 4000 == 0:
                print(f"Epoch {epoch}, Loss: {history[-1]:.6f}")
        return history
        # END SOLUTION


if __name__ == "__main__":
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    net = NeuralNetwork(input_size=2, hidden_size=4, output_size=1, seed=0)
    net.train(X, y, epochs=10000, learning_rate=0.1)
    print("Predictions after training / 训练后的预测:")
    print(net.feedforward(X).round(3))
