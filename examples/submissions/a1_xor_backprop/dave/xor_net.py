"""Dave: mixes the course's y - y_hat error with a minus-sign update (climbs the loss)."""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_derivative(s):
    return s * (1 - s)


class NeuralNetwork:
    def __init__(self, input_size, hidden_size, output_size, seed=None):
        rs = np.random.RandomState(seed)
        self.bias_hidden = np.zeros((1, hidden_size))
        self.bias_output = np.zeros((1, output_size))
        self.weights_input_hidden = rs.randn(input_size, hidden_size)
        self.weights_hidden_output = rs.randn(hidden_size, output_size)

    def feedforward(self, X):
        self.hidden_activation = np.dot(X, self.weights_input_hidden) + self.bias_hidden
        self.hidden_output = sigmoid(self.hidden_activation)
        self.output_activation = np.dot(self.hidden_output, self.weights_hidden_output) + self.bias_output
        self.predicted_output = sigmoid(self.output_activation)
        return self.predicted_output

    def _deltas(self, X, y):
        output_error = y - self.feedforward(X)
        output_delta = output_error * sigmoid_derivative(self.predicted_output)
        hidden_delta = np.dot(output_delta, self.weights_hidden_output.T) * sigmoid_derivative(self.hidden_output)
        return output_delta, hidden_delta

    def compute_gradients(self, X, y):
        output_delta, hidden_delta = self._deltas(X, y)
        return {
            "weights_hidden_output": np.dot(self.hidden_output.T, output_delta),
            "bias_output": np.sum(output_delta, axis=0, keepdims=True),
            "weights_input_hidden": np.dot(X.T, hidden_delta),
            "bias_hidden": np.sum(hidden_delta, axis=0, keepdims=True),
        }

    def backward(self, X, y, learning_rate):
        output_delta, hidden_delta = self._deltas(X, y)
        self.weights_hidden_output -= np.dot(self.hidden_output.T, output_delta) * learning_rate
        self.bias_output -= np.sum(output_delta, axis=0, keepdims=True) * learning_rate
        self.weights_input_hidden -= np.dot(X.T, hidden_delta) * learning_rate
        self.bias_hidden -= np.sum(hidden_delta, axis=0, keepdims=True) * learning_rate

    def train(self, X, y, epochs, learning_rate):
        history = []
        for epoch in range(epochs):
            output = self.feedforward(X)
            history.append(np.mean(np.square(y - output)))
            self.backward(X, y, learning_rate)
            if epoch % 4000 == 0:
                print(f"Epoch {epoch}, Loss:{history[-1]}")
        return history
