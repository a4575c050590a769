"""Grace: lets torch autograd do the backward pass -- correct numbers, but not backprop by hand."""
import numpy as np
import torch


def sigmoid(x):
    return torch.sigmoid(torch.as_tensor(x, dtype=torch.float64)).numpy()


def sigmoid_derivative(s):
    return s * (1 - s)


class NeuralNetwork:
    def __init__(self, input_size, hidden_size, output_size, seed=None):
        rng = np.random.default_rng(seed)
        self.weights_input_hidden = rng.standard_normal((input_size, hidden_size))
        self.weights_hidden_output = rng.standard_normal((hidden_size, output_size))
        self.bias_hidden = np.zeros((1, hidden_size))
        self.bias_output = np.zeros((1, output_size))

    def feedforward(self, X):
        self.hidden_output = sigmoid(X @ self.weights_input_hidden + self.bias_hidden)
        self.predicted_output = sigmoid(self.hidden_output @ self.weights_hidden_output + self.bias_output)
        return self.predicted_output

    def compute_gradients(self, X, y):
        self.feedforward(X)
        names = ["weights_input_hidden", "bias_hidden", "weights_hidden_output", "bias_output"]
        p = {n: torch.tensor(getattr(self, n), dtype=torch.float64, requires_grad=True) for n in names}
        Xt, yt = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
        h = torch.sigmoid(Xt @ p["weights_input_hidden"] + p["bias_hidden"])
        out = torch.sigmoid(h @ p["weights_hidden_output"] + p["bias_output"])
        (0.5 * ((yt - out) ** 2).sum()).backward()
        return {n: p[n].grad.numpy() for n in names}

    def backward(self, X, y, learning_rate):
        for name, grad in self.compute_gradients(X, y).items():
            setattr(self, name, getattr(self, name) - learning_rate * grad)

    def train(self, X, y, epochs, learning_rate):
        history = []
        for _ in range(epochs):
            history.append(float(np.mean((y - self.feedforward(X)) ** 2)))
            self.backward(X, y, learning_rate)
        return history
