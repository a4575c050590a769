"""Each a2_iris hidden test fails on the stub and on at least one realistic mistake."""

from ailit_core.mutate.catalogue import Mutant

ID = "a2_iris"
RUNNER_OPTIONS: dict = {}

TRAIN_MOVE = "        batch_X, batch_y = batch_X.to(device), batch_y.to(device)\n"
SCALE = "    X_train = scaler.fit_transform(X_train)\n    X_test = scaler.transform(X_test)\n"

MUTANTS = [
    # IrisNet
    Mutant("softmax_in_forward", (("return self.net(x)", "return torch.softmax(self.net(x), dim=1)"),),
           kills=("test_forward_is_linear_relu_linear", "test_forward_returns_raw_logits"),
           why="probabilities fed to CrossEntropyLoss",
           spares=("test_train_steps_once_per_batch_with_zeroed_gradients", "test_train_returns_sample_weighted_mean_loss", "test_evaluate_accuracy_and_predictions", "test_evaluate_in_eval_mode")),
    Mutant("log_softmax_in_forward", (("return self.net(x)", "return torch.log_softmax(self.net(x), dim=1)"),),
           kills=("test_forward_returns_raw_logits",), why="log-probabilities instead of logits"),
    Mutant("no_relu", (("            nn.ReLU(),\n", ""),),
           kills=("test_forward_is_linear_relu_linear",), why="two stacked Linear layers are one linear map",
           spares=("test_train_steps_once_per_batch_with_zeroed_gradients", "test_train_returns_sample_weighted_mean_loss", "test_evaluate_accuracy_and_predictions", "test_evaluate_in_eval_mode")),
    Mutant("hidden_size_hard_coded",
           (("nn.Linear(input_size, hidden_size)", "nn.Linear(input_size, 10)"),
            ("nn.Linear(hidden_size, num_classes)", "nn.Linear(10, num_classes)")),
           kills=("test_parameter_count", "test_forward_is_linear_relu_linear"), why="sizes of the course copied in"),
    # load_data
    Mutant("no_stratify", (("random_state=random_state, stratify=y", "random_state=random_state"),),
           kills=("test_load_data_stratified",), why="plain random split"),
    Mutant("scaler_fitted_on_all_data",
           (("    X, y = load_iris(return_X_y=True)\n    X_train, X_test",
             "    X, y = load_iris(return_X_y=True)\n    X = StandardScaler().fit_transform(X)\n    X_train, X_test"),
            (SCALE, "")),
           kills=("test_load_data_scaler_fitted_on_train_only",), why="test data leaks into the scaler"),
    Mutant("scaler_fitted_on_test",
           ((SCALE, "    X_test = scaler.fit_transform(X_test)\n    X_train = scaler.transform(X_train)\n"),),
           kills=("test_load_data_scaler_fitted_on_train_only",), why="scaler statistics from the test part"),
    Mutant("features_float64", (("torch.tensor(X_train, dtype=torch.float32)", "torch.tensor(X_train)"),),
           kills=("test_load_data_shapes_and_dtypes",), why="NumPy's float64 kept"),
    Mutant("random_state_ignored", (("random_state=random_state, stratify=y", "random_state=42, stratify=y"),),
           kills=("test_load_data_honours_arguments",), why="the course's 42 hard-coded"),
    Mutant("test_size_ignored", (("test_size=test_size", "test_size=0.2"),),
           kills=("test_load_data_honours_arguments",), why="the course's 0.2 hard-coded"),
    # train
    Mutant("missing_zero_grad", (("        optimizer.zero_grad()\n", ""),),
           kills=("test_train_steps_once_per_batch_with_zeroed_gradients",), why="gradients accumulate",
           spares=("test_evaluate_accuracy_and_predictions", "test_forward_is_linear_relu_linear")),
    Mutant("step_once_per_epoch",
           (("        optimizer.step()\n        total_loss", "        total_loss"),
            ("    return total_loss / total_samples", "    optimizer.step()\n    return total_loss / total_samples")),
           kills=("test_train_steps_once_per_batch_with_zeroed_gradients",), why="step() outside the batch loop"),
    Mutant("mean_of_batch_losses",
           (("total_loss += loss.item() * batch_X.size(0)\n        total_samples += batch_X.size(0)",
             "total_loss += loss.item()\n        total_samples += 1"),),
           kills=("test_train_returns_sample_weighted_mean_loss",), why="short last batch weighs as much as a full one"),
    Mutant("no_model_train", (("    model.train()\n    total_loss", "    total_loss"),),
           kills=("test_train_sets_train_mode",), why="stays in eval mode after evaluate()"),
    Mutant("train_ignores_device", ((TRAIN_MOVE, ""),),
           kills=("test_train_moves_batches_to_device",), why="batches stay on the CPU"),
    Mutant("labels_not_moved", ((TRAIN_MOVE, "        batch_X = batch_X.to(device)\n"),),
           kills=("test_train_moves_batches_to_device",), why="only the inputs are moved"),
    # evaluate
    Mutant("no_model_eval", (("    model.eval()\n    with torch.no_grad():", "    with torch.no_grad():"),),
           kills=("test_evaluate_in_eval_mode",), why="Dropout stays active",
           spares=("test_train_steps_once_per_batch_with_zeroed_gradients", "test_train_sets_train_mode")),
    Mutant("no_no_grad", (("    with torch.no_grad():\n        X, y = X.to(device)", "    if True:\n        X, y = X.to(device)"),),
           kills=("test_evaluate_without_autograd",), why="builds a graph while evaluating"),
    Mutant("grad_disabled_globally",
           (("    with torch.no_grad():\n        X, y = X.to(device)",
             "    torch.set_grad_enabled(False)\n    if True:\n        X, y = X.to(device)"),),
           kills=("test_evaluate_without_autograd",), why="autograd left off for later training"),
    Mutant("accuracy_as_tensor", ((".float().mean().item()", ".float().mean()"),),
           kills=("test_evaluate_accuracy_is_python_float",), why="returns a 0-d tensor"),
    Mutant("accuracy_in_percent", ((".float().mean().item()", ".float().mean().item() * 100"),),
           kills=("test_evaluate_accuracy_and_predictions",), why="percentage instead of a fraction"),
    Mutant("argmax_over_batch", (("predicted = model(X).argmax(dim=1)", "predicted = model(X).argmax(dim=0)"),),
           kills=("test_evaluate_accuracy_and_predictions",), why="argmax over the wrong dimension"),
    Mutant("evaluate_ignores_device", (("X, y = X.to(device), y.to(device)", "X, y = X, y"),),
           kills=("test_evaluate_moves_inputs_to_device",), why="inputs stay where they are"),
    # run
    Mutant("run_ignores_device",
           (("device = select_device() if device is None else torch.device(device)", "device = select_device()"),),
           kills=("test_run_honours_device",), why="always picks its own device"),
    Mutant("train_returns_tensor", (("total_loss += loss.item() * batch_X.size(0)", "total_loss += loss * batch_X.size(0)"),),
           kills=("test_train_returns_sample_weighted_mean_loss",), why="loss summed as a tensor (graph kept), no .item()"),
    Mutant("run_device_ignored", (("device = select_device() if device is None else torch.device(device)",
                                   "device = select_device()"),),
           kills=("test_run_honours_device",), why="the device argument ignored"),
    Mutant("run_sgd_not_adam", (("optim.Adam(model.parameters(), lr=lr)", "optim.SGD(model.parameters(), lr=lr)"),),
           kills=("test_run_uses_adam_with_batch_size",), why="SGD instead of Adam"),
    Mutant("run_seed_ignored", (("    seed_everything(seed)\n", ""),),
           kills=("test_run_seed_reproducible",), why="no seeding",
           spares=("test_run_shuffles_the_training_data",)),
    Mutant("run_no_shuffle", (("batch_size=batch_size, shuffle=True", "batch_size=batch_size, shuffle=False"),),
           kills=("test_run_shuffles_the_training_data",), why="every epoch sees the batches in the same order",
           spares=("test_run_reaches_90_percent", "test_run_seed_reproducible", "test_run_result_keys_and_losses")),
    Mutant("run_seed_fixed", (("    seed_everything(seed)\n", "    seed_everything(0)\n"),),
           kills=("test_run_seed_reproducible",), why="seed hard-coded"),
    Mutant("run_lr_hard_coded", (("optim.Adam(model.parameters(), lr=lr)", "optim.Adam(model.parameters(), lr=0.01)"),),
           kills=("test_run_honours_hyperparameters",), why="lr argument ignored"),
    Mutant("run_batch_size_hard_coded", (("batch_size=batch_size, shuffle=True", "batch_size=16, shuffle=True"),),
           kills=("test_run_uses_adam_with_batch_size",), why="batch_size argument ignored"),
    Mutant("run_reports_train_accuracy",
           (("test_accuracy, _ = evaluate(model, X_test, y_test, device)",
             "test_accuracy, _ = evaluate(model, X_train, y_train, device)"),),
           kills=("test_run_reaches_90_percent",), why="accuracy measured on the training data"),
    Mutant("run_one_epoch_short", (("for epoch in range(1, num_epochs + 1):", "for epoch in range(1, num_epochs):"),),
           kills=("test_run_result_keys_and_losses", "test_run_reaches_90_percent"), why="off-by-one epoch loop"),
    # classical_baselines
    Mutant("baselines_not_standardised", (("X_scaled = StandardScaler().fit_transform(X)", "X_scaled = X"),),
           kills=("test_baselines_logreg_accuracy", "test_baselines_kmeans_labels", "test_baselines_pca"),
           why="raw features"),
    Mutant("baselines_random_state_ignored",
           (("test_size=0.3, random_state=random_state", "test_size=0.3, random_state=42"),),
           kills=("test_baselines_logreg_accuracy",), why="the course's 42 hard-coded"),
]

# Generated mutants (ailit mutate) that behave like the reference.
EQUIVALENT = {
    "classical_baselines/swap_args/3": "accuracy_score(a, b) counts the positions where a and b agree: swapping "
                                       "its arguments gives the same accuracy",
}

# Realistic mistakes no hidden test can catch on a CPU-only grader (reported apart, not counted as misses).
ACCEPTED = {
    "evaluate/drop_method/2": "labels left on their device: on a CPU every device is the CPU, and a correct evaluate "
                              "may equally bring the predictions back to the labels (.cpu()); on a GPU the comparison "
                              "raises a device mismatch at once",
    "run/drop_method/1": "the model is not moved with .to(device): on a CPU it is on the device anyway, and a correct "
                         "run may create it there without .to() (with torch.device(device):); on a GPU the first "
                         "batch raises a device mismatch",
}
