"""Each a1 hidden test fails on the stub and on at least one realistic mistake."""

from ailit_core.mutate.catalogue import Mutant

ID = "a1_xor_backprop"
RUNNER_OPTIONS: dict = {}

MUTANTS = [
    Mutant("sigmoid_sign", (("1.0 / (1.0 + np.exp(-x))", "1.0 / (1.0 + np.exp(x))"),),
           kills=("test_sigmoid_values", "test_feedforward_matches_math", "test_xor_solved_from_good_start"),
           why="exp(x) instead of exp(-x)"),
    Mutant("derivative_of_input", (("return s * (1.0 - s)", "return (1.0 / (1.0 + np.exp(-s))) * (1.0 - 1.0 / (1.0 + np.exp(-s)))"),),
           kills=("test_sigmoid_derivative_takes_output", "test_gradients_match_finite_differences"),
           why="sigmoid_derivative applies the sigmoid again to an output"),
    Mutant("uniform_init", (("rng.standard_normal((input_size, hidden_size))", "rng.random((input_size, hidden_size))"),),
           kills=("test_init_shapes_and_distribution",), why="U(0, 1) instead of N(0, 1)"),
    Mutant("seed_ignored", (("np.random.default_rng(seed)", "np.random.default_rng()"),),
           kills=("test_init_seed_reproducible",), why="seed not used"),
    Mutant("bias_forgotten", (("sigmoid(X @ self.weights_input_hidden + self.bias_hidden)", "sigmoid(X @ self.weights_input_hidden)"),),
           kills=("test_feedforward_matches_math", "test_feedforward_keeps_activations"), why="hidden bias not added"),
    Mutant("activations_not_kept",
           (("self.hidden_output = sigmoid(X @ self.weights_input_hidden + self.bias_hidden)",
             "hidden = sigmoid(X @ self.weights_input_hidden + self.bias_hidden); self.hidden_output = hidden * 0"),
            ("sigmoid(self.hidden_output @ self.weights_hidden_output", "sigmoid(hidden @ self.weights_hidden_output")),
           kills=("test_feedforward_keeps_activations", "test_gradients_match_finite_differences"),
           why="hidden_output overwritten after use"),
    Mutant("gradient_sign", (("output_delta = (y_hat - y) *", "output_delta = (y - y_hat) *"),),
           kills=("test_gradients_match_finite_differences", "test_xor_solved_from_good_start"),
           spares=("test_backward_update_rule", "test_train_history_semantics"),
           why="error taken as y - y_hat but still subtracted"),
    Mutant("mean_instead_of_sum", (("output_delta = (y_hat - y) *", "output_delta = (y_hat - y) / len(X) *"),),
           kills=("test_gradients_match_finite_differences",),
           spares=("test_backward_update_rule", "test_train_history_semantics"),
           why="gradient of the mean loss, not the summed one"),
    Mutant("gradients_reuse_last_forward",
           (("        y_hat = self.feedforward(X)\n        output_delta",
             "        y_hat = self.predicted_output if getattr(self, 'predicted_output', None) is not None "
             "and len(self.predicted_output) == len(X) else self.feedforward(X)\n        output_delta"),),
           kills=("test_gradients_match_finite_differences",),
           why="compute_gradients reuses the activations of an earlier forward pass instead of running its own"),
    Mutant("bias_grad_not_summed", (('"bias_output": output_delta.sum(axis=0, keepdims=True)', '"bias_output": output_delta'),),
           kills=("test_gradient_keys_and_shapes",), why="bias gradient kept per sample"),
    Mutant("step_ascends", (("getattr(self, name) - learning_rate", "getattr(self, name) + learning_rate"),),
           kills=("test_backward_update_rule", "test_train_history_semantics"), why="param += lr * grad"),
    Mutant("history_after_update",
           (("            y_hat = self.feedforward(X)\n            history.append(float(np.mean((y - y_hat) ** 2)))\n            self.backward(X, y, learning_rate)",
             "            self.backward(X, y, learning_rate)\n            y_hat = self.feedforward(X)\n            history.append(float(np.mean((y - y_hat) ** 2)))"),),
           kills=("test_train_history_semantics",), why="loss recorded after the update"),
    Mutant("imports_torch", (("import numpy as np\n", "import numpy as np\nimport torch\n"),),
           kills=("test_works_without_torch",), why="module imports torch"),
]
