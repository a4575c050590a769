# Frank: averages the gradients over samples and records the loss after each update.
import numpy as np


def sigmoid(x):
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_derivative(s):
    return s - s ** 2


class NeuralNetwork:
    def __init__(self, input_size, hidden_size, output_size, seed=None):
        if seed is not None:
            np.random.seed(seed)
        self.weights_input_hidden = np.random.randn(input_size, hidden_size)
        self.weights_hidden_output = np.random.randn(hidden_size, output_size)
        self.bias_hidden = np.zeros((1, hidden_size))
        self.bias_output = np.zeros((1, output_size))

    def feedforward(self, X):
        rows_h, rows_o = [], []
        for x in np.asarray(X, dtype=float):
            h = sigmoid(x @ self.weights_input_hidden + self.bias_hidden[0])
            o = sigmoid(h @ self.weights_hidden_output + self.bias_output[0])
            rows_h.append(h)
            rows_o.append(o)
        self.hidden_output = np.array(rows_h)
        self.predicted_output = np.array(rows_o)
        return self.predicted_output

    def compute_gradients(self, X, y):
        self.feedforward(X)
        g_w1 = np.zeros_like(self.weights_input_hidden)
        g_b1 = np.zeros_like(self.bias_hidden)
        g_w2 = np.zeros_like(self.weights_hidden_output)
        g_b2 = np.zeros_like(self.bias_output)
        for i in range(len(X)):
            h, o = self.hidden_output[i], self.predicted_output[i]
            d_o = (o - y[i]) * sigmoid_derivative(o)
            d_h = (self.weights_hidden_output @ d_o) * sigmoid_derivative(h)
            g_w2 += np.outer(h, d_o)
            g_b2 += d_o
            g_w1 += np.outer(X[i], d_h)
            g_b1 += d_h
        n = len(X)
        g_w1, g_b1, g_w2, g_b2 = g_w1 / n, g_b1 / n, g_w2 / n, g_b2 / n
        return {"weights_input_hidden": g_w1, "bias_hidden": g_b1,
                "weights_hidden_output": g_w2, "bias_output": g_b2}

    def backward(self, X, y, learning_rate):
        g = self.compute_gradients(X, y)
        self.weights_input_hidden -= learning_rate * g["weights_input_hidden"]
        self.bias_hidden -= learning_rate * g["bias_hidden"]
        self.weights_hidden_output -= learning_rate * g["weights_hidden_output"]
        self.bias_output -= learning_rate * g["bias_output"]

    def train(self, X, y, epochs, learning_rate):
        losses = []
        for _ in range(epochs):
            self.backward(X, y, learning_rate)
            losses.append(float(np.mean(np.square(y - self.feedforward(X)))))
        return losses
